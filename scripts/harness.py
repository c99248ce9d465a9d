"""The one process harness: start a service, wait until it is healthy, stop it,
read its log. `make run` (scripts/run.py), the tests (tests/servers.py),
`make eval`, `make bench` and `make cluster` all start their processes here.

Each service runs in its own session, so Ctrl-C reaches only the driver,
which then stops them in order; stopping is SIGTERM, then SIGKILL after a
timeout.
"""

from __future__ import annotations

import os
import pathlib
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Callable

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
PYTHON = str(BIN / "python")
MODEL = ROOT / "models" / "vssid.tar.gz"
CREDENTIALS = ROOT / "credentials.yml"
# The rasa CLI with the project's add-ons switched on (addons/__main__.py).
RASA = [PYTHON, "-m", "addons"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def raise_open_files_limit(wanted: int) -> None:
    """Raises this process's soft limit of open files towards `wanted` (the
    services started here inherit it): every held web chat connection is a
    descriptor of the Rasa process, and the usual soft limit is 1,024."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def http_ok(url: str, timeout: float = 2) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status == 200
    except OSError:
        return False


class Service:
    """One service process with its log file."""

    def __init__(
        self,
        name: str,
        args: list[str],
        log_dir: pathlib.Path,
        env: dict | None = None,
        **options,
    ):
        self.name, self.args = name, args
        self.log = pathlib.Path(log_dir) / f"{name}.log"
        self.env = {**os.environ, **(env or {})}
        self.options = options  # user, group for Popen
        self.proc: subprocess.Popen | None = None

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self, ready: str | Callable[[], bool], timeout: float = 120) -> Service:
        """Starts the process and waits until `ready` (a URL answering 200, or a check)."""
        return self.launch().wait(ready, timeout)

    def launch(self) -> Service:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen(
                self.args, cwd=ROOT, env=self.env, stdin=subprocess.DEVNULL, stdout=out,
                stderr=subprocess.STDOUT, start_new_session=True, **self.options,
            )  # fmt: skip
        return self

    def wait(self, ready: str | Callable[[], bool], timeout: float = 120) -> Service:
        check = (lambda: http_ok(ready)) if isinstance(ready, str) else ready
        deadline = time.monotonic() + timeout
        while not check():
            if not self.alive():
                code = self.proc.returncode if self.proc else None
                raise RuntimeError(f"{self.name} exited ({code}):\n{self.tail()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.name} not ready after {timeout:.0f} s:\n{self.tail()}")
            time.sleep(0.3)
        return self

    def tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20) -> None:
        if not self.alive():
            return
        self.proc.send_signal(sig)
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def kill(self) -> None:
        """SIGKILL: a crash, no chance to clean up."""
        self.stop(signal.SIGKILL)


def action_server(port: int, token: str, log_dir: pathlib.Path, name: str = "actions") -> Service:
    """The action server (token-checked rasa_sdk on loopback), not started."""
    args = [PYTHON, "-m", "actions.server", "--port", str(port)]
    return Service(name, args, log_dir, {"ACTION_SERVER_TOKEN": token})


def start_action_server(port: int, token: str, log_dir: pathlib.Path) -> Service:
    return action_server(port, token, log_dir).start(f"http://127.0.0.1:{port}/health")


def rasa_server(
    name: str,
    port: int,
    endpoints: pathlib.Path,
    log_dir: pathlib.Path,
    env: dict | None = None,
    credentials: pathlib.Path = CREDENTIALS,
    model: pathlib.Path = MODEL,
    extra: list[str] | None = None,
) -> Service:
    """`rasa run` on 127.0.0.1 with the add-ons, the model and the channels (not started)."""
    if not pathlib.Path(model).exists():
        raise RuntimeError(f"no trained model at {model}: run `make train` (make test does)")
    args = [
        *RASA, "run", "--model", str(model), "--interface", "127.0.0.1", "--port", str(port),
        "--endpoints", str(endpoints), "--credentials", str(credentials), *(extra or []),
    ]  # fmt: skip
    return Service(name, args, log_dir, env)


def write_endpoints(
    path: pathlib.Path, actions_port: int, token: str, db: pathlib.Path | None = None
) -> pathlib.Path:
    """endpoints.yml as the repo has it, with this run's action server and database."""
    endpoints = yaml.safe_load((ROOT / "endpoints.yml").read_text(encoding="utf-8"))
    endpoints["action_endpoint"]["url"] = f"http://127.0.0.1:{actions_port}/webhook"
    endpoints["action_endpoint"]["headers"] = {"Authorization": f"Bearer {token}"}
    endpoints["tracker_store"]["db"] = str(db or path.parent / "rasa.db")
    path.write_text(yaml.safe_dump(endpoints, allow_unicode=True), encoding="utf-8")
    return path


class SingleMachine:
    """The default profile as `make run` starts it (endpoints.yml: SQLite,
    in-memory locks, one Rasa process, the action server), on free loopback
    ports with the database in a temporary directory: for tests, soak runs
    (scripts/loadgen.py --spawn), `make eval` and `make bench`."""

    def __init__(self, log_dir: pathlib.Path, model: pathlib.Path = MODEL, env: dict | None = None):
        self.log_dir = pathlib.Path(log_dir)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.model, self.env = model, env
        self.ports = {"actions": free_port(), "rasa": free_port()}
        self.url = f"http://127.0.0.1:{self.ports['rasa']}"
        self.data: pathlib.Path | None = None
        self.actions: Service | None = None
        self.rasa: Service | None = None

    def start(self) -> SingleMachine:
        self.data = pathlib.Path(tempfile.mkdtemp(prefix="vssid-single-"))
        token = secrets.token_urlsafe(24)
        endpoints = write_endpoints(self.data / "endpoints.yml", self.ports["actions"], token)
        try:
            self.actions = start_action_server(self.ports["actions"], token, self.log_dir)
            self.rasa = rasa_server(
                "rasa", self.ports["rasa"], endpoints, self.log_dir, self.env, model=self.model
            )
            self.rasa.start(self.url + "/", timeout=240)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for service in (self.rasa, self.actions):
            if service:
                service.stop()
        if self.data:
            shutil.rmtree(self.data, ignore_errors=True)
