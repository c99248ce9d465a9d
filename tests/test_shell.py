"""`rasa shell` in a pseudo-terminal: ask a question, read the steps, leave with /stop."""

from __future__ import annotations

import io
import os
import re

import pexpect
import pytest

from tests import servers

PROMPT = "Your input ->"
# `rasa shell` shows a reply with buttons as a questionary menu whose last
# choice switches back to free text.
FREE_TEXT_CHOICE = "Type out your own message..."
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Za-z0-9]|[\r\x08]")
ARROW_UP = "\x1b[A"


def plain(transcript: str) -> str:
    """Terminal output without colour and cursor escapes."""
    return ANSI.sub("", transcript)


@pytest.fixture
def shell(action_server, ports, tmp_path):
    if not servers.MODEL.exists():
        pytest.fail(f"no trained model at {servers.MODEL}")
    endpoints = servers.write_endpoints(tmp_path / "endpoints.yml", ports["actions"])
    args = ["shell", "--model", str(servers.MODEL), "--endpoints", str(endpoints)]
    args += ["--port", str(servers.free_port())]  # not 5005: other servers may run
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "PROMPT_TOOLKIT_NO_CPR": "1"}
    # A wide terminal keeps each long step on one line, so words are not cut by wrapping.
    command, *first = servers.RASA
    child = pexpect.spawn(
        command, [*first, *args], cwd=servers.ROOT, env=env,
        encoding="utf-8", timeout=180, dimensions=(60, 1000),
    )  # fmt: skip
    child.logfile_read = io.StringIO()
    yield child
    if child.isalive():
        child.terminate(force=True)


def test_shell_answers_how_to_change_the_password(shell):
    shell.expect_exact(PROMPT)
    start = len(shell.logfile_read.getvalue())
    shell.sendline("doi mat khau vssid")

    # Wait for the answer itself: the prompt is redrawn as soon as Enter is pressed.
    shell.expect_exact("OTP", timeout=60)
    if shell.expect_exact([FREE_TEXT_CHOICE, PROMPT], timeout=30) == 0:
        # The menu opens on the first choice; Up wraps round to free text.
        shell.send(ARROW_UP)
        shell.send("\r")
        shell.expect_exact(PROMPT, timeout=30)
    answer = plain(shell.logfile_read.getvalue()[start:])
    assert "Đổi mật khẩu" in answer and "Hoàn tất" in answer and "OTP" in answer, answer

    shell.sendline("/stop")
    shell.expect(pexpect.EOF, timeout=60)
    shell.close()
    assert shell.exitstatus == 0, plain(shell.logfile_read.getvalue())[-2000:]
