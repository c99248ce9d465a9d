"""One bad-input and outage battery, the same on REST, socket.io, Zalo and Messenger.

Every channel hands its text to connectors/inbound.py, so every channel must
answer the same way: a polite reply (or the channel's HTTP status), never the
model's work on text above the limit, and the apology when the conversation
store is down. A body over addons.limits.MAX_BODY_BYTES is refused before it
is read: HTTP 413, or on socket.io the socket closed with 1009 (message too
big). The rows stored afterwards are checked in rasa.db.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
import uuid

import pytest

from addons.limits import MAX_BODY_BYTES
from content import load
from scripts.flood_bench import WebChat
from tests import servers
from tests.conftest import TEST_ENV, post_json
from tests.fake_graph import FakeGraph, message_text
from tests.fake_zalo import FakeZalo
from tests.test_bad_input import socket_replies
from tests.test_facebook import post as facebook_post
from tests.test_facebook import text_body
from tests.test_zalo import event, post_webhook

CHANNELS = ("rest", "socketio", "zalo", "facebook")
RETRY = "HTTP 503, nothing sent"
LIMIT = 1000  # connectors.inbound.MAX_TEXT_CHARS, as README documents it
EMPTY = "chưa nhận được nội dung"
TOO_LONG = "dài quá 1.000 ký tự"
REFUSED = "refused: over the size limit"  # 413, or the socket closed with 1009
CASES = [
    ("empty", "", EMPTY),
    ("whitespace", "  \n\t  ", EMPTY),
    ("nul bytes", "doi mat\x00 khau\x07 vssid\x00", "Hoàn tất"),
    ("5,000 characters", "đổi mật khẩu " * 385, TOO_LONG),
    ("300,000 characters", "x" * 300_000, REFUSED),
    ("html", "<b>doi mat khau vssid</b><script>alert(1)</script>", "Hoàn tất"),
]


@pytest.fixture(scope="module")
def fakes(ports):
    zalo = FakeZalo(
        TEST_ENV["ZALO_APP_ID"], TEST_ENV["ZALO_APP_SECRET"],
        TEST_ENV["ZALO_ACCESS_TOKEN"], TEST_ENV["ZALO_REFRESH_TOKEN"],
    ).start(ports["zalo_api"])  # fmt: skip
    graph = FakeGraph(ports["graph_api"], TEST_ENV["FB_PAGE_ACCESS_TOKEN"]).start()
    yield zalo, graph
    zalo.stop()
    graph.stop()


def zalo_texts(fake: FakeZalo, user: str) -> list[str]:
    return [record.text for record in fake.settle(user)]


def facebook_texts(graph: FakeGraph, sender: str, wait: float = 30) -> list[str]:
    graph.wait_for(sender, lambda sent: len(sent) > 0, timeout=wait)
    asyncio.run(asyncio.sleep(1.5))  # let the rest of the turn arrive
    return [message_text(m) for m in graph.sent(sender)]


def send(channel: str, url: str, fakes, text: str) -> tuple[str, list[str]]:
    """Sends one message as a new user of `channel`: (conversation id, reply texts)."""
    zalo, graph = fakes
    if channel == "rest":
        sender = f"battery-{uuid.uuid4().hex[:8]}"
        status, replies = post_json(
            f"{url}/webhooks/rest/webhook", {"sender": sender, "message": text}
        )
        if status == 503:
            return sender, [json.loads(replies)["text"]]
        if status == 413:
            return sender, [REFUSED]
        assert status == 200, replies
        return sender, [r.get("text") or "" for r in replies]
    if channel == "socketio" and len(text) > MAX_BODY_BYTES:
        return asyncio.run(oversized_web_message(url, text))
    if channel == "socketio":
        session: list[str] = []
        payload = {"session_id": "SESSION", "message": text}
        [replies] = asyncio.run(socket_replies(url, [payload], session=session))
        return session[0], replies
    if channel == "zalo":
        user = f"zalo-{uuid.uuid4().hex[:10]}"
        status, _ = post_webhook(f"{url}/webhooks/zalo/webhook", event(user, text=text))
        if status == 413:
            return user, [REFUSED]
        if status == 503:  # not taken: Zalo delivers it again; nothing may have been sent
            return user, [RETRY, *zalo_texts(zalo, user)]
        assert status == 200
        return user, zalo_texts(zalo, user)
    sender = f"psid-{uuid.uuid4().hex[:12]}"
    status, reply = facebook_post(f"{url}/webhooks/facebook/webhook", text_body(sender, text))
    if status == 413:
        return sender, [REFUSED]
    if status == 503:  # not taken: Meta delivers it again; nothing may have been sent
        asyncio.run(asyncio.sleep(1.5))
        return sender, [RETRY, *(message_text(m) for m in graph.sent(sender))]
    assert status == 200, reply
    return sender, facebook_texts(graph, sender)


async def oversized_web_message(url: str, text: str) -> tuple[str, list[str]]:
    """One frame over the limit from the web page's websocket: (conversation, [REFUSED])."""
    chat = WebChat(url)
    session = await chat.connect()
    await chat.say(text)
    code = await asyncio.wait_for(chat.closed, 10)
    replies = [] if chat.replies.empty() else [chat.replies.get_nowait().get("text", "")]
    return f"socketio:{session}", [REFUSED] if code == 1009 and not replies else replies


def stored_user_events(db, sender: str) -> list[dict]:
    """The user events stored under `sender`, or under a channel's namespace for it."""
    with sqlite3.connect(db) as connection:
        rows = connection.execute(
            "SELECT data FROM events WHERE (sender_id = ? OR sender_id LIKE ?)"
            " AND type_name = 'user'",
            (sender, f"%:{sender}"),
        ).fetchall()
    return [json.loads(data) for (data,) in rows]


def stored_texts(db, sender: str) -> list[str]:
    return [event.get("text") or "" for event in stored_user_events(db, sender)]


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("case, text, expected", CASES, ids=[c[0] for c in CASES])
def test_every_channel_answers_bad_input_the_same_way(
    rasa_server, fakes, channel, case, text, expected
):
    sender, replies = send(channel, rasa_server.url, fakes, text)
    assert any(expected in reply for reply in replies), (channel, case, replies)
    stored = stored_texts(rasa_server.db, sender)
    assert all(len(t) <= LIMIT and "\x00" not in t for t in stored), stored
    if expected in (EMPTY, TOO_LONG, REFUSED):
        assert stored == []  # refused before the model: nothing stored
    else:
        assert stored  # answered and stored under this id: the checks above saw it


@pytest.fixture(scope="module")
def broken_store_bot(action_server, ports, rasa_env, fakes, tmp_path_factory):
    """A bot whose SQLite database becomes unreachable once it is running."""
    tmp = tmp_path_factory.mktemp("broken-store")
    store = tmp / "store"
    store.mkdir()
    endpoints = servers.harness_write_endpoints(
        tmp / "endpoints.yml", ports["actions"], servers.ACTION_TOKEN, db=store / "rasa.db"
    )
    port = servers.free_port()
    bot = servers.harness_rasa_server("rasa-broken-store", port, endpoints, tmp, rasa_env)
    bot.start(f"http://127.0.0.1:{port}/", timeout=180)
    bot.url = f"http://127.0.0.1:{port}"
    shutil.rmtree(store)
    store.write_text("not a directory: the database cannot be opened")
    yield bot
    bot.stop()


@pytest.mark.parametrize("channel", CHANNELS)
def test_a_store_outage_gets_only_the_apology_on_every_channel(broken_store_bot, fakes, channel):
    _, replies = send(channel, broken_store_bot.url, fakes, "doi mat khau vssid")
    # Webhooks are stored before they are acknowledged (connectors/webhook_queue.py):
    # with the database gone the platform is told to deliver again (503).
    expected = [RETRY] if channel in ("zalo", "facebook") else [load().message("service_down")]
    assert replies == expected, (channel, replies)
