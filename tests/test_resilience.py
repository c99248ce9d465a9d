"""Single-machine resilience: persistence across restarts, a dead or stalled action server."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from tests import servers
from tests.conftest import post_json


@pytest.fixture
def stack(tmp_path):
    """A private action server + bot on SQLite in tmp_path; restartable."""
    ports = {"rasa": servers.free_port(), "actions": servers.free_port()}
    endpoints = servers.write_endpoints(tmp_path / "endpoints.yml", ports["actions"])

    class Stack:
        url = f"http://127.0.0.1:{ports['rasa']}/webhooks/rest/webhook"
        actions = servers.action_server(ports["actions"], tmp_path)
        bot = None

        def start_bot(self):
            self.bot = servers.rasa_server(ports["rasa"], tmp_path, endpoints, name="rasa-private")

        def start_actions(self):
            self.actions = servers.action_server(ports["actions"], tmp_path)

        def send(self, sender, text):
            started = time.monotonic()
            status, replies = post_json(self.url, {"sender": sender, "message": text})
            assert status == 200, replies
            return "\n".join(r.get("text", "") for r in replies), time.monotonic() - started

    s = Stack()
    s.start_bot()
    yield s
    s.bot.stop()
    s.actions.stop()


def test_conversation_survives_a_restart(stack):
    stack.send("u-restart", "đổi mật khẩu vssid")
    stack.send("u-restart", "hướng dẫn từng bước")
    text, _ = stack.send("u-restart", "tiếp")
    assert "Bước 2/4" in text

    stack.bot.stop()
    stack.start_bot()

    text, _ = stack.send("u-restart", "tiếp")
    assert "Bước 3/4" in text


def test_dead_action_server_gets_an_apology_then_recovers(stack):
    stack.send("u-dead", "đổi mật khẩu vssid")
    stack.actions.stop()

    text, elapsed = stack.send("u-dead", "hướng dẫn từng bước")
    assert "Xin lỗi" in text and "1900 9068" in text
    assert elapsed < 3

    stack.start_actions()
    text, _ = stack.send("u-dead", "hướng dẫn từng bước")
    assert "Bước 1/4" in text


def stalled_server():
    """Accepts connections and never answers, like a hung action server."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    held = []

    def accept():
        while True:
            try:
                held.append(listener.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    return listener


def test_stalled_action_server_gets_an_apology_within_3_seconds(tmp_path):
    listener = stalled_server()
    port = servers.free_port()
    endpoints = servers.write_endpoints(tmp_path / "endpoints.yml", listener.getsockname()[1])
    bot = servers.rasa_server(port, tmp_path, endpoints, name="rasa-stalled")
    try:
        started = time.monotonic()
        status, replies = post_json(
            f"http://127.0.0.1:{port}/webhooks/rest/webhook",
            {"sender": "u-stalled", "message": "đổi mật khẩu vssid"},
        )
        elapsed = time.monotonic() - started
        assert status == 200
        assert "1900 9068" in replies[0]["text"]
        assert elapsed < 3
    finally:
        bot.stop()
        listener.close()
