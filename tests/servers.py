"""Starts the real action server and Rasa server as subprocesses for tests."""

from __future__ import annotations

import os
import pathlib
import socket
import subprocess
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
MODEL = ROOT / "models" / "vssid.tar.gz"
# Shared by the test action servers and the endpoints the test bots use.
ACTION_TOKEN = "test-action-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, proc: subprocess.Popen, log: pathlib.Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"{url}: process exited {proc.returncode}\n{log.read_text()[-3000:]}"
            )
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"{url} not up after {timeout}s\n{log.read_text()[-3000:]}")


class Service:
    """A subprocess with a log file, started and stopped by the test fixtures."""

    def __init__(self, name: str, args: list[str], log_dir: pathlib.Path, env: dict | None = None):
        self.name, self.args, self.log = name, args, log_dir / f"{name}.log"
        self.env = {**os.environ, **(env or {})}
        self.proc: subprocess.Popen | None = None

    def start(self, health_url: str, timeout: float = 120) -> Service:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        out = open(self.log, "ab")
        self.proc = subprocess.Popen(
            self.args, cwd=ROOT, env=self.env, stdout=out, stderr=subprocess.STDOUT
        )
        wait_http(health_url, self.proc, self.log, timeout)
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def action_server(port: int, log_dir: pathlib.Path) -> Service:
    args = [str(BIN / "python"), "-m", "actions.server", "--port", str(port)]
    env = {"ACTION_SERVER_TOKEN": ACTION_TOKEN}
    return Service("actions", args, log_dir, env).start(f"http://127.0.0.1:{port}/health")


def rasa_server(
    port: int,
    log_dir: pathlib.Path,
    endpoints: pathlib.Path,
    credentials: pathlib.Path = ROOT / "credentials.yml",
    env: dict | None = None,
    name: str = "rasa",
) -> Service:
    if not MODEL.exists():
        raise RuntimeError("no trained model: run `make train` (make test does)")
    args = [
        str(BIN / "rasa"), "run", "--model", str(MODEL), "--port", str(port),
        "--endpoints", str(endpoints), "--credentials", str(credentials),
    ]  # fmt: skip
    return Service(name, args, log_dir, env).start(f"http://127.0.0.1:{port}/", timeout=180)


def write_endpoints(
    path: pathlib.Path, actions_port: int, tracker_store: str | None = None
) -> pathlib.Path:
    """endpoints.yml for a test server; SQLite next to it unless told otherwise."""
    if tracker_store is None:
        tracker_store = (
            "tracker_store:\n"
            "  type: addons.tracker_store.CachedSQLTrackerStore\n"
            "  dialect: sqlite\n"
            f"  db: {path.parent / 'rasa.db'}\n"
        )
    path.write_text(
        f'action_endpoint:\n  url: "http://127.0.0.1:{actions_port}/webhook"\n'
        f'  headers:\n    Authorization: "Bearer {ACTION_TOKEN}"\n{tracker_store}',
        encoding="utf-8",
    )
    return path
