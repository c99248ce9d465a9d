"""The same failure looks the same on every channel (docs/security.md §5).

With the conversation database unwritable (another writer holds its lock, so
reads work and saves fail), socket.io and Zalo users used to get the step and
then the apology, and Messenger users the step alone; the step was not saved
and came again later. Now a turn that cannot be saved sends only the apology,
or the channel's 503 so the platform delivers it again. Also: the action
server's token needs its `Bearer ` prefix, and the chat page's server
refuses framing, slow clients and NUL bytes in paths without a traceback.
"""

from __future__ import annotations

import contextlib
import json
import socket
import sqlite3
import time
import urllib.error
import urllib.request
import uuid

import pytest

from content import load
from tests import servers
from tests.conftest import post_json
from tests.fake_graph import message_text
from tests.test_battery import fakes  # noqa: F401 - the fake Zalo and Graph servers
from tests.test_facebook import post as facebook_post
from tests.test_facebook import text_body
from tests.test_ownership import close, say, web_session
from tests.test_zalo import event, post_webhook

QUESTION = "đổi mật khẩu vssid"
STEP_TEXT = "Hoàn tất"  # in the change-password answer


@contextlib.contextmanager
def unwritable(db):
    """Holds SQLite's write lock: Rasa can read the conversation, not save it."""
    connection = sqlite3.connect(db, timeout=30, isolation_level=None)
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        connection.execute("ROLLBACK")
        connection.close()


def test_rest_answers_503_with_only_the_apology(rasa_server):
    sender = f"unsaved-{uuid.uuid4().hex[:8]}"
    with unwritable(rasa_server.db):
        status, body = post_json(
            f"{rasa_server.url}/webhooks/rest/webhook", {"sender": sender, "message": QUESTION}
        )
    assert status == 503 and json.loads(body)["text"] == load().message("service_down")


async def test_socketio_gets_only_the_apology(rasa_server):
    client, _, inbox = await web_session(rasa_server.url)
    with unwritable(rasa_server.db):
        reply = await say(client, inbox, QUESTION)
    await close(client)
    assert reply == load().message("service_down")


def test_zalo_and_messenger_never_get_an_unsaved_step(rasa_server, fakes):  # noqa: F811
    zalo, graph = fakes
    user, psid = f"zalo-{uuid.uuid4().hex[:10]}", f"psid-{uuid.uuid4().hex[:12]}"
    with unwritable(rasa_server.db):
        zalo_status, _ = post_webhook(
            f"{rasa_server.url}/webhooks/zalo/webhook", event(user, text=QUESTION)
        )
        fb_status, _ = facebook_post(
            f"{rasa_server.url}/webhooks/facebook/webhook", text_body(psid, QUESTION)
        )
        time.sleep(8)  # past SQLite's busy timeout: any reply would be out by now
        zalo_sent = [r.text for r in zalo.settle(user, quiet=1, timeout=5)]
        fb_sent = [message_text(m) for m in graph.sent(psid)]
    # Either the event was refused (503: the platform delivers it again) and
    # nothing was sent, or it was taken and only the apology was sent.
    for status, sent in ((zalo_status, zalo_sent), (fb_status, fb_sent)):
        assert status in (200, 503), status
        assert not any(STEP_TEXT in text for text in sent), sent
        assert sent == ([] if status == 503 else [load().message("service_down")]), sent


def action_status(url: str, authorization: str) -> int:
    request = urllib.request.Request(
        f"{url}/webhook",
        b"{}",
        {"Content-Type": "application/json", "Authorization": authorization},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_action_server_needs_the_bearer_prefix_and_refuses_odd_headers(action_server, ports):
    url = f"http://127.0.0.1:{ports['actions']}"
    assert action_status(url, servers.ACTION_TOKEN) == 401  # the bare token
    assert action_status(url, f"Bearer {servers.ACTION_TOKEN}é") == 401  # non-ASCII
    assert action_status(url, f"Bearer {servers.ACTION_TOKEN}") != 401


@pytest.fixture(scope="module")
def page_server(tmp_path_factory):
    port = servers.free_port()
    args = [servers.BIN / "python", str(servers.ROOT / "scripts" / "serve-web.py")]
    service = servers.Service("web-page", [*map(str, args), "--port", str(port)],
                              tmp_path_factory.mktemp("web-page"))  # fmt: skip
    service.start(f"http://127.0.0.1:{port}/")
    service.port = port
    yield service
    service.stop()


def raw_request(port: int, data: bytes, wait: float = 5) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as conn:
        conn.sendall(data)
        return conn.recv(4096)


def test_page_server_forbids_framing(page_server):
    with urllib.request.urlopen(f"http://127.0.0.1:{page_server.port}/", timeout=10) as reply:
        assert "frame-ancestors 'none'" in reply.headers["Content-Security-Policy"]
        assert reply.headers["X-Frame-Options"] == "DENY"


def test_page_server_answers_400_to_a_nul_byte_and_goes_on(page_server):
    reply = raw_request(page_server.port, b"GET /static/%00chat.js HTTP/1.1\r\nHost: x\r\n\r\n")
    assert reply.startswith(b"HTTP/1.0 400")
    assert "Traceback" not in page_server.tail()
    with urllib.request.urlopen(f"http://127.0.0.1:{page_server.port}/", timeout=10) as reply:
        assert reply.status == 200


def test_page_server_drops_a_client_that_stops_sending(page_server):
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", page_server.port), timeout=30) as conn:
        conn.sendall(b"GET / HTTP/1.1\r\n")  # and nothing more
        assert conn.recv(4096) == b""  # closed by the server
    assert time.monotonic() - started < 20
