"""Size and depth limits (addons/limits.py) on a real Rasa server, every channel.

A body over MAX_BODY_BYTES gets 413 before a byte of it is read (the first
test announces 30 MB and sends nothing; handlers would answer 401/403 to
these unsigned webhooks), JSON nested over MAX_JSON_DEPTH gets 400 before any
handler parses it (Zalo: before the signature check; Messenger: a correctly
signed body, which its handler would parse), and a socket.io frame over the
limit closes that socket. Afterwards rasa.db has not grown and the sender's
conversation holds only the message that was within the limits.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import uuid

import pytest

from addons.limits import MAX_BODY_BYTES, MAX_JSON_DEPTH
from scripts.flood_bench import WebChat
from tests import test_battery
from tests.conftest import post_json
from tests.test_battery import facebook_texts, stored_texts, stored_user_events, zalo_texts
from tests.test_facebook import sign, text_body
from tests.test_zalo import event, post_webhook, zalo_mac

REST, ZALO, FACEBOOK = (
    "/webhooks/rest/webhook",
    "/webhooks/zalo/webhook",
    "/webhooks/facebook/webhook",
)
POLLING = "/socket.io/?EIO=4&transport=polling"
TEN_MB = "x" * 10_000_000
fakes = test_battery.fakes  # the fake Zalo and Graph APIs (fixture)
GREW_AT_MOST = 200_000  # bytes of rasa.db for a few normal turns; a 10 MB message costs 40 MB


def post(url: str, path: str, body: bytes = b"", headers: dict | None = None, length=None):
    """POSTs like a client that sends the whole body until the server stops reading.

    `length` announces another Content-Length than len(body) (30 MB, none sent).
    Returns (status, response text).
    """
    connection = http.client.HTTPConnection("127.0.0.1", int(url.rsplit(":", 1)[1]), timeout=30)
    connection.putrequest("POST", path)
    headers = {"Content-Type": "application/json", **(headers or {})}
    headers["Content-Length"] = str(len(body) if length is None else length)
    for name, value in headers.items():
        connection.putheader(name, value)
    connection.endheaders()
    try:
        for start in range(0, len(body), 1 << 16):
            connection.sock.sendall(body[start : start + (1 << 16)])
    except OSError:
        pass  # the server closed the connection after its answer: read it
    response = connection.getresponse()
    try:
        return response.status, response.read().decode(errors="replace")
    finally:
        connection.close()


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("path", [REST, ZALO, FACEBOOK, POLLING])
def test_bodies_over_the_limit_get_413_before_they_are_read(rasa_server, path):
    status, text = post(rasa_server.url, path, length=30_000_000)
    assert status == 413, text


def test_the_limit_is_the_documented_one(rasa_server):
    sender = f"limit-{uuid.uuid4().hex[:8]}"
    body = {"sender": sender, "message": "xin chào", "pad": ""}
    body["pad"] = "p" * (MAX_BODY_BYTES - len(json.dumps(body)))
    status, replies = post_json(f"{rasa_server.url}{REST}", json.dumps(body).encode())
    assert status == 200 and replies, replies
    body["pad"] += "p"
    assert post(rasa_server.url, REST, json.dumps(body).encode())[0] == 413


@pytest.mark.parametrize("path", [REST, ZALO, FACEBOOK])
def test_deep_json_gets_400_before_any_handler(rasa_server, path):
    body = nested(MAX_BODY_BYTES // 2 - 100).encode()
    headers = {"X-Hub-Signature-256": sign(body)} if path == FACEBOOK else {}
    status, text = post(rasa_server.url, path, body, headers)
    assert status == 400 and "nested" in text, text


def test_the_depth_limit_is_the_documented_one(rasa_server):
    def send(depth: int):
        raw = f'{{"sender": "deep", "message": "xin chào", "x": {nested(depth - 1)}}}'
        return post(rasa_server.url, REST, raw.encode())

    assert send(MAX_JSON_DEPTH)[0] == 200
    assert send(MAX_JSON_DEPTH + 1)[0] == 400


def refused_then_answered(channel: str, url: str, apis, user: str) -> list[str]:
    """A 10 MB and an over-deep message from `user`, both signed where the channel
    signs, then a normal one: the statuses of the refused ones, the replies."""
    zalo, graph = apis
    deep = json.loads(nested(MAX_JSON_DEPTH))  # deep in what it carries, parsed here only
    if channel == "rest":
        for message, status in ((TEN_MB, 413), ("xin chào", 400)):
            body = json.dumps({"sender": user, "message": message, "metadata": deep}).encode()
            assert post(url, REST, body)[0] == status
        metadata = {"metadata": {"client": "c" * 1000}}  # client metadata is dropped
        _, replies = post_json(url + REST, {"sender": user, "message": "xin chào", **metadata})
        return [r.get("text") or "" for r in replies]
    if channel == "zalo":
        for text, status in ((TEN_MB, 413), (deep, 400)):
            body = event(user, text=text)
            raw = json.dumps(body).encode()
            signature = {"X-ZEvent-Signature": zalo_mac(raw, body["timestamp"])}
            assert post(url, ZALO, raw, signature)[0] == status
        assert post_webhook(url + ZALO, event(user, text="xin chào"))[0] == 200
        return zalo_texts(zalo, user)
    for body, status in ((text_body(user, TEN_MB), 413), (text_body(user, deep), 400)):
        assert post(url, FACEBOOK, body, {"X-Hub-Signature-256": sign(body)})[0] == status
    body = text_body(user, "xin chào")
    assert post(url, FACEBOOK, body, {"X-Hub-Signature-256": sign(body)})[0] == 200
    return facebook_texts(graph, user)


@pytest.mark.parametrize("channel", ["rest", "zalo", "facebook"])
def test_nothing_over_the_limits_reaches_the_tracker_store(rasa_server, fakes, channel):
    user = f"{channel}-limits-{uuid.uuid4().hex[:8]}"
    before = os.path.getsize(rasa_server.db)
    replies = refused_then_answered(channel, rasa_server.url, fakes, user)
    assert any("Xin chào" in reply for reply in replies), replies
    assert stored_texts(rasa_server.db, user) == ["xin chào"]
    assert all(
        "client" not in (e.get("metadata") or {}) for e in stored_user_events(rasa_server.db, user)
    )
    assert os.path.getsize(rasa_server.db) - before < GREW_AT_MOST


async def test_a_socketio_frame_over_the_limit_closes_only_that_socket(rasa_server):
    before = os.path.getsize(rasa_server.db)
    chat = WebChat(rasa_server.url)
    session = await chat.connect()
    await chat.say("x" * (MAX_BODY_BYTES + 1))
    assert await asyncio.wait_for(chat.closed, 10) == 1009  # "message too big"
    assert chat.replies.empty() and stored_texts(rasa_server.db, session) == []

    other = WebChat(rasa_server.url)
    await other.connect()
    await other.say("xin chào")
    reply = await asyncio.wait_for(other.replies.get(), 30)
    assert "Xin chào" in reply.get("text", "")
    await other.close()
    assert os.path.getsize(rasa_server.db) - before < GREW_AT_MOST


async def test_a_deep_json_socketio_packet_is_dropped_and_the_socket_goes_on(rasa_server):
    log = rasa_server.log.read_text(errors="replace")
    chat = WebChat(rasa_server.url)
    session = await chat.connect()
    deep = "[" * 30_000 + "]" * 30_000  # under 64 KB, far over 32 levels
    await chat.ws.send(f'42["user_uttered",{{"message":"x","deep":{deep}}}]')
    await chat.say("xin chào")  # the same socket is still served
    reply = await asyncio.wait_for(chat.replies.get(), 30)
    assert "Xin chào" in reply.get("text", "")
    assert stored_texts(rasa_server.db, session) == ["xin chào"]  # the deep one never ran
    await chat.close()
    added = rasa_server.log.read_text(errors="replace")[len(log) :]
    assert "RecursionError" not in added and "deeper than 32" in added
