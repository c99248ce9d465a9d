"""`make run`'s script: starts everything, restarts a dead action server, stops on Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from tests import servers
from tests.conftest import post_json


def pids_of(pattern: str) -> list[int]:
    out = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


@pytest.fixture
def running_bot(tmp_path):
    if pids_of("actions.server --port 5055"):
        pytest.fail("port 5055 is taken by another action server; stop it first")
    port, web_port = servers.free_port(), servers.free_port()
    env = {**os.environ, "RASA_PORT": str(port), "WEB_PORT": str(web_port)}
    log = open(tmp_path / "run.log", "wb")
    proc = subprocess.Popen(
        [str(servers.ROOT / "scripts" / "run.sh")],
        cwd=servers.ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    servers.wait_http(f"http://127.0.0.1:{port}/", proc, tmp_path / "run.log", timeout=180)
    proc.web_port = web_port
    yield proc, f"http://127.0.0.1:{port}/webhooks/rest/webhook"
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)


def ask(url: str, text: str) -> str:
    status, replies = post_json(url, {"sender": "run-script", "message": text})
    assert status == 200
    return "\n".join(r.get("text", "") for r in replies)


def wait_health(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(url)


def test_run_restarts_the_action_server_and_stops_cleanly(running_bot):
    proc, url = running_bot
    assert "Hoàn tất" in ask(url, "doi mat khau vssid")

    [actions_pid] = pids_of("actions.server --port 5055")
    os.kill(actions_pid, signal.SIGKILL)
    time.sleep(1)
    wait_health("http://127.0.0.1:5055/health")
    assert pids_of("actions.server --port 5055") != [actions_pid]
    assert "Hoàn tất" in ask(url, "doi mat khau vssid")

    os.killpg(proc.pid, signal.SIGINT)
    proc.wait(timeout=30)
    time.sleep(1)
    assert pids_of("actions.server --port 5055") == []
    assert pids_of(f"rasa run --model models/vssid.tar.gz --port {url.split(':')[2][:5]}") == []


def allowed_origin(url: str, origin: str) -> str | None:
    request = urllib.request.Request(
        url,
        method="OPTIONS",
        headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.headers.get("Access-Control-Allow-Origin")


def test_run_allows_only_the_web_page_origin_and_no_http_api(running_bot):
    proc, url = running_bot
    page = f"http://localhost:{proc.web_port}"
    assert allowed_origin(url, page) == page
    assert allowed_origin(url, "http://evil.example") is None
    base = url.split("/webhooks")[0]
    try:
        urllib.request.urlopen(f"{base}/conversations/x/tracker", timeout=10)
        raise AssertionError("the HTTP API answered")
    except urllib.error.HTTPError as error:
        assert error.code == 404
