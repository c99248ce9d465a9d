"""Nobody can read, drive or erase someone else's conversation (docs/security.md §2).

Each test replays an attack that worked before against the real bot:
- REST naming a Zalo user's id read their step ("nhắc lại"), moved it on
  ("tiếp") and erased it ("/restart");
- a socket.io client naming another page's session id got its replies and
  drove it;
- typed `/intent` payloads the bot never offered ran as intents;
- the REST channel served anyone who could reach it.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import urllib.error
import urllib.request
import uuid

import pytest

from tests import servers
from tests.conftest import post_json
from tests.test_battery import fakes  # noqa: F401 - the fake Zalo and Graph servers
from tests.test_zalo import event, post_webhook

STEP_2 = "Bước 2/"


@pytest.fixture(scope="module")
def zalo(fakes):  # noqa: F811
    return fakes[0]


def texts(replies) -> str:
    return "\n".join(r.get("text") or "" for r in replies)


def stored_events(db, conversation: str) -> int:
    with sqlite3.connect(db) as connection:
        query = "SELECT COUNT(*) FROM events WHERE sender_id = ?"
        return connection.execute(query, (conversation,)).fetchone()[0]


def zalo_says(rasa_server, zalo, user: str, text: str, raw: bool = False) -> str:
    """The Zalo user's message; the texts (or, with `raw`, the messages) sent back."""
    before = len(zalo.settle(user, quiet=0.2, timeout=1))
    status, _ = post_webhook(f"{rasa_server.url}/webhooks/zalo/webhook", event(user, text=text))
    assert status == 200
    sent = zalo.settle(user)[before:]
    return (
        json.dumps([r.json for r in sent], ensure_ascii=False)
        if raw
        else "\n".join(r.text for r in sent)
    )


def test_rest_cannot_read_drive_or_erase_a_zalo_conversation(rasa_server, zalo, rest):
    user = f"zalo-{uuid.uuid4().hex[:10]}"
    zalo_says(rasa_server, zalo, user, "đổi mật khẩu vssid")
    zalo_says(rasa_server, zalo, user, "từng bước")
    assert STEP_2 in zalo_says(rasa_server, zalo, user, "tiếp")
    stored = stored_events(rasa_server.db, f"zalo:{user}")
    assert stored > 0  # the victim's conversation is where the attack aims

    for sender in (user, f"zalo:{user}"):
        assert STEP_2 not in texts(rest(sender, "nhắc lại"))  # nothing of the victim's is read
        rest(sender, "tiếp")
        rest(sender, "/restart")

    assert stored_events(rasa_server.db, f"zalo:{user}") == stored  # untouched
    assert STEP_2 in zalo_says(rasa_server, zalo, user, "nhắc lại")  # still at step 2


async def web_session(url: str, request: dict | str | None = None, origin: str | None = None):
    """A socket.io client like the page: (client, confirmed session, received queue)."""
    import socketio

    client = socketio.AsyncClient()
    received: asyncio.Queue = asyncio.Queue()
    confirmed = asyncio.get_running_loop().create_future()
    client.on("bot_uttered", lambda data: received.put_nowait(data.get("text") or ""))
    client.on("session_confirm", lambda data: confirmed.done() or confirmed.set_result(data))
    headers = {"Origin": origin} if origin else {}
    await client.connect(url, transports=["polling"], headers=headers)
    await client.emit("session_request", request if request is not None else {"session_id": None})
    return client, await asyncio.wait_for(confirmed, 10), received


async def close(client) -> None:
    # Without waiting for the long-poll to end (up to 25 s per client).
    await client.eio.disconnect(abort=True)


async def say(client, received: asyncio.Queue, text: str, session_id: str | None = None) -> str:
    await client.emit("user_uttered", {"message": text, "session_id": session_id})
    got = [await asyncio.wait_for(received.get(), 15)]
    await asyncio.sleep(0.8)
    while not received.empty():
        got.append(received.get_nowait())
    return "\n".join(got)


async def test_web_sessions_are_issued_and_only_their_page_can_rejoin(rasa_server):
    url = rasa_server.url
    victim, session, inbox = await web_session(url)
    assert len(session["session_id"]) == 32 and session["session_token"]
    await say(victim, inbox, "đổi mật khẩu vssid")
    await say(victim, inbox, "từng bước")
    assert STEP_2 in await say(victim, inbox, "tiếp")

    # Asking for the victim's id, with no token, a wrong one, or a made-up id:
    # a new session each time, never the victim's.
    for request in (
        {"session_id": session["session_id"]},
        {"session_id": session["session_id"], "session_token": "0" * 64},
        {"session_id": "00000000"},
        "00000000",
    ):
        attacker, theirs, attacker_inbox = await web_session(url, request)
        assert theirs["session_id"] != session["session_id"]
        # Naming the victim's session in a message changes nothing either.
        reply = await say(attacker, attacker_inbox, "tiếp", session_id=session["session_id"])
        assert STEP_2 not in reply and "Bước 3/" not in reply
        await close(attacker)
    assert inbox.empty()  # the victim received none of the attackers' replies
    await close(victim)

    # The page itself, reloaded with its id and token, continues at step 2.
    again, rejoined, inbox = await web_session(url, session)
    assert rejoined == session
    assert STEP_2 in await say(again, inbox, "nhắc lại")
    await close(again)


async def test_socketio_refuses_other_origins(rasa_server):
    import socketio

    with pytest.raises(socketio.exceptions.ConnectionError):
        await web_session(rasa_server.url, origin="https://evil.example")
    client, session, _ = await web_session(rasa_server.url, origin="http://localhost:8080")
    assert session["session_id"]
    await close(client)


def test_typed_payloads_run_only_when_offered(rasa_server, rest):
    user = f"payload-{uuid.uuid4().hex[:8]}"
    rest(user, "đổi mật khẩu vssid")
    rest(user, "từng bước")
    rest(user, "tiếp")
    stored = stored_events(rasa_server.db, f"rest:{user}")
    rest(user, "/erase_confirm")  # never offered: no erasure
    assert stored_events(rasa_server.db, f"rest:{user}") > stored
    rest(user, "/restart")  # never offered: the guide goes on
    assert STEP_2 in texts(rest(user, "nhắc lại"))
    # An unoffered route is not taken either.
    assert "mẫu số 01" not in texts(rest(user, '/inform{"guide":"register_web"}'))
    # The entry points every page shows still work without an offer.
    assert "Đổi mật khẩu" in json.dumps(
        rest(f"new-{uuid.uuid4().hex[:8]}", '/show_menu{"group":"password_otp"}'),
        ensure_ascii=False,
    )


def rest_status(url: str, headers: dict | None = None) -> int:
    body = json.dumps({"sender": f"t-{uuid.uuid4().hex[:6]}", "message": "xin chào"}).encode()
    headers = {"Content-Type": "application/json", **(headers or {})}
    request = urllib.request.Request(f"{url}/webhooks/rest/webhook", body, headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_rest_without_a_token_serves_this_machine_only(rasa_server):
    assert rest_status(rasa_server.url) == 200
    # A caller behind a proxy on this machine is not this machine.
    assert rest_status(rasa_server.url, {"X-Forwarded-For": "203.0.113.9"}) == 403


@pytest.fixture(scope="module")
def token_bot(action_server, ports, rasa_env, tmp_path_factory):
    """A bot on every interface with REST_TOKEN set, as a server would run it."""
    tmp = tmp_path_factory.mktemp("rest-token")
    endpoints = servers.write_endpoints(tmp / "endpoints.yml", ports["actions"])
    port = servers.free_port()
    env = {**rasa_env, "REST_TOKEN": "rest-secret"}
    extra = ["--interface", "0.0.0.0"]
    bot = servers.harness_rasa_server("rasa-rest-token", port, endpoints, tmp, env, extra=extra)
    bot.start(f"http://127.0.0.1:{port}/", timeout=180)
    bot.port = port
    yield bot
    bot.stop()


def test_rest_with_a_token_needs_it_from_everywhere(token_bot):
    local = f"http://127.0.0.1:{token_bot.port}"
    assert rest_status(local) == 401
    assert rest_status(local, {"Authorization": "rest-secret"}) == 401  # no Bearer prefix
    assert rest_status(local, {"Authorization": "Bearer rést-sécret"}) == 401  # non-ASCII
    assert rest_status(local, {"Authorization": "Bearer rest-secret"}) == 200
    status, _ = post_json(f"{local}/webhooks/rest/webhook", b"{")
    assert status == 401  # refused before the body is even read as JSON
