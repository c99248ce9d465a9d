"""Personal data typed into the chat is masked before it is stored or logged.

A real bot with debug logging (which prints every message and tracker) is
sent a conversation full of personal data over REST and socket.io; afterwards
neither rasa.db nor any log file holds one of the values in clear.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest

from tests import servers
from tests.conftest import post_json
from tests.test_battery import fakes  # noqa: F401 - fixture the zalo fixture uses
from tests.test_ownership import zalo, zalo_says  # noqa: F401 - fixture

SECRETS = {
    "phone": "0912345678",
    "password": "Abc12345",
    "cccd": "079123456789",
    "otp": "483920",
    "email": "nguyenvana1975@gmail.com",
    "bhxh": "7932200150",
}
CONVERSATION = [
    f"mật khẩu của tôi là {SECRETS['password']} mà không vào được",
    f"số điện thoại của tôi {SECRETS['phone']} có nhận otp không",
    f"mã otp là {SECRETS['otp']} nhưng báo sai",
    f"cccd {SECRETS['cccd']} đăng ký vssid được không",
    f"email {SECRETS['email']} có dùng để lấy lại mật khẩu được không",
    f"mã số bhxh {SECRETS['bhxh']} tra cứu ở đâu",
    "gọi tổng đài 1900 9068 được không, mẫu 01 theo 5236/VBHN-BLĐTBXH năm 2020",
]


@pytest.fixture(scope="module")
def debug_bot(action_server, ports, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("privacy")
    endpoints = servers.write_endpoints(tmp / "endpoints.yml", ports["actions"])
    port = servers.free_port()
    bot = servers.harness_rasa_server("rasa-debug", port, endpoints, tmp, extra=["--debug"])
    bot.start(f"http://127.0.0.1:{port}/", timeout=180)
    bot.url, bot.db = f"http://127.0.0.1:{port}", tmp / "rasa.db"
    yield bot
    bot.stop()


async def socket_conversation(url: str, texts: list[str]) -> list[str]:
    import socketio

    client = socketio.AsyncClient()
    replies: asyncio.Queue = asyncio.Queue()
    confirmed = asyncio.get_running_loop().create_future()
    client.on("bot_uttered", lambda data: replies.put_nowait(data.get("text", "")))
    client.on("session_confirm", lambda sid: confirmed.done() or confirmed.set_result(sid))
    await client.connect(url, transports=["polling"])
    await client.emit("session_request", {"session_id": None})
    session_id = await asyncio.wait_for(confirmed, 30)
    got = []
    try:
        for text in texts:
            await client.emit("user_uttered", {"session_id": session_id, "message": text})
            got.append(await asyncio.wait_for(replies.get(), 30))
            await asyncio.sleep(0.3)
    finally:
        await client.disconnect()
    return got


def test_personal_data_is_stored_and_logged_only_masked(debug_bot):
    sender = f"privacy-{uuid.uuid4().hex[:8]}"
    first = None
    for text in CONVERSATION:
        status, replies = post_json(
            f"{debug_bot.url}/webhooks/rest/webhook", {"sender": sender, "message": text}
        )
        assert status == 200 and replies, (text, replies)
        first = first or replies
    # The password message is answered with the warning first.
    assert "không cần chúng" in first[0]["text"]
    asyncio.run(socket_conversation(debug_bot.url, CONVERSATION[:3]))

    stored = debug_bot.db.read_bytes()
    # Placeholders are there instead (JSON may escape the Vietnamese letters).
    assert b" OTP]" in stored and b"KH\\u1ea8U]" in stored
    logs = {
        path.name: path.read_text(errors="replace") for path in debug_bot.log.parent.glob("*.log")
    }
    assert any(" OTP]" in text for text in logs.values())  # debug logging printed messages
    for kind, value in SECRETS.items():
        assert value.encode() not in stored, f"{kind} stored in clear"
        for name, text in logs.items():
            assert value not in text, f"{kind} logged in clear in {name}"
    # What must not be masked is still there, as typed.
    assert b"1900 9068" in stored and b"5236/VBHN" in stored and b"2020" in stored


def test_every_log_record_is_masked(caplog):
    import logging

    from privacy import logs

    logs.install()
    with caplog.at_level(logging.INFO, logger="vssid.test"):
        logging.getLogger("vssid.test").info(
            "user %s typed otp %s", "0912 345 678", "mã otp 483920"
        )
    assert "0912 345 678" not in caplog.text and "483920" not in caplog.text
    assert "[SỐ ĐIỆN THOẠI]" in caplog.text and "[MÃ OTP]" in caplog.text


def test_a_user_can_erase_their_conversation_after_confirming(debug_bot):
    import sqlite3

    sender = f"erase-{uuid.uuid4().hex[:8]}"
    url = f"{debug_bot.url}/webhooks/rest/webhook"

    def say(text):
        status, replies = post_json(url, {"sender": sender, "message": text})
        assert status == 200
        return replies

    def rows():
        with sqlite3.connect(debug_bot.db) as connection:
            query = "SELECT COUNT(*) FROM events WHERE sender_id = ?"
            return connection.execute(query, (f"rest:{sender}",)).fetchone()[0]

    say("đổi mật khẩu vssid")
    say("từng bước")
    asked = say("xóa dữ liệu của tôi")
    assert "/erase_confirm" in [b["payload"] for r in asked for b in r.get("buttons") or []], asked
    assert rows() > 0  # nothing is deleted before the user confirms
    done = say("/erase_confirm")
    assert any(r.get("custom") == {"erased": True} for r in done)  # the page clears its copy
    assert rows() == 0
    # A new, empty conversation: no guide is remembered.
    assert "chưa chọn hướng dẫn" in " ".join(r.get("text") or "" for r in say("tiếp"))


def test_erasure_on_zalo_also_removes_the_user_id_from_kept_webhook_events(rasa_server, zalo):  # noqa: F811
    import sqlite3

    user = f"zalo-{uuid.uuid4().hex[:10]}"
    zalo_says(rasa_server, zalo, user, "đổi mật khẩu vssid")
    assert "/erase_confirm" in zalo_says(rasa_server, zalo, user, "xóa dữ liệu của tôi", raw=True)
    zalo_says(rasa_server, zalo, user, "/erase_confirm")

    def count(query: str, value: str) -> int:
        with sqlite3.connect(rasa_server.db) as connection:
            return connection.execute(query, (value,)).fetchone()[0]

    assert count("SELECT COUNT(*) FROM events WHERE sender_id = ?", f"zalo:{user}") == 0
    assert count("SELECT COUNT(*) FROM webhook_events WHERE sender = ?", user) == 0
    # The events' ids are still kept, so a replayed body is still dropped.
    assert count("SELECT COUNT(*) FROM webhook_events WHERE channel = ?", "zalo") >= 3
