"""`make run` (scripts/run.py): starts everything, says when the bot is ready,
restarts a dead action server, stops everything on Ctrl-C."""

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
    log = tmp_path / "run.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [str(servers.BIN / "python"), "-m", "scripts.run"], cwd=servers.ROOT, env=env,
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    deadline = time.monotonic() + 180
    while "Bot ready" not in log.read_text() and time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()
        time.sleep(0.5)
    proc.web_port, proc.log = web_port, log
    yield proc, f"http://127.0.0.1:{port}/webhooks/rest/webhook"
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)  # what Ctrl-C does: it stops its services
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
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


def test_run_says_when_the_bot_answers_and_nothing_alarming(running_bot):
    proc, url = running_bot
    output = proc.log.read_text()
    ready = [line for line in output.splitlines() if line.startswith("Bot ready")]
    rest = url.replace("127.0.0.1", "localhost")
    assert ready and f"http://localhost:{proc.web_port}/" in ready[0] and rest in ready[0]
    # The line comes only once the bot answers, and nothing before it alarms a newcomer.
    assert "Hoàn tất" in ask(url, "doi mat khau vssid")
    assert "ERROR" not in output and "Warning" not in output, output


def test_run_restarts_the_action_server_and_stops_cleanly(running_bot):
    proc, url = running_bot
    assert "Hoàn tất" in ask(url, "doi mat khau vssid")
    port = url.split(":")[2][:5]
    bot_pattern = f"addons run --model {servers.MODEL} --port {port}"
    web_pattern = f"serve-web.py --port {proc.web_port}"
    # The patterns really match the running processes, so "none left" below means something.
    assert len(pids_of(bot_pattern)) == 1 and len(pids_of(web_pattern)) == 1

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
    assert pids_of(bot_pattern) == [] and pids_of(web_pattern) == []


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
