"""The Zalo OA channel: pure helpers, the API client, and the real bot end to end.

End-to-end tests post webhook events signed exactly like Zalo to the real Rasa
server (session fixture `rasa_server`) and read the replies from a fake Zalo
API (tests/fake_zalo.py) on ports["zalo_api"]. Each test talks as its own
user id, so tests do not see each other's replies.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import stat
import time
import urllib.error
import urllib.request
import uuid

import pytest

from connectors import zalo
from tests import servers
from tests.conftest import TEST_ENV
from tests.fake_zalo import REFRESH_PATH, SEND_PATH, FakeZalo

APP_ID = TEST_ENV["ZALO_APP_ID"]
OA_SECRET_KEY = TEST_ENV["ZALO_OA_SECRET_KEY"]
OA_ID = "579745863508352884"


def new_user() -> str:
    return f"zalo-{uuid.uuid4().hex[:10]}"


def event(user_id: str, name: str = "user_send_text", text: str | None = None, **message):
    """A webhook event shaped like Zalo's (timestamp in ms, as a string)."""
    body = {
        "app_id": APP_ID,
        "user_id_by_app": f"app-{user_id}",
        "event_name": name,
        "timestamp": str(int(time.time() * 1000)),
        "sender": {"id": user_id},
        "recipient": {"id": OA_ID},
        "message": {"msg_id": uuid.uuid4().hex, **message},
    }
    if text is not None:
        body["message"]["text"] = text
    return body


def zalo_mac(raw: bytes, timestamp: str, key: str = OA_SECRET_KEY) -> str:
    # Written out again rather than calling the connector, so a wrong formula fails.
    return (
        "mac="
        + hashlib.sha256(APP_ID.encode() + raw + timestamp.encode() + key.encode()).hexdigest()
    )


def post_webhook(url: str, body=None, raw: bytes | None = None, signature: str | None = "sign"):
    """POSTs like Zalo; returns (status, seconds taken). signature="sign" signs correctly."""
    if raw is None:
        raw = json.dumps(body, ensure_ascii=False).encode()
    headers = {"Content-Type": "application/json"}
    if signature == "sign":
        signature = zalo_mac(raw, str(body["timestamp"]))
    if signature is not None:
        headers["X-ZEvent-Signature"] = signature
    request = urllib.request.Request(url, raw, headers)
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    return status, time.monotonic() - started


# --- fixtures ----------------------------------------------------------------


@pytest.fixture(scope="module")
def fake_zalo(ports):
    fake = FakeZalo(
        TEST_ENV["ZALO_APP_ID"],
        TEST_ENV["ZALO_APP_SECRET"],
        TEST_ENV["ZALO_ACCESS_TOKEN"],
        TEST_ENV["ZALO_REFRESH_TOKEN"],
    ).start(ports["zalo_api"])
    yield fake
    fake.stop()


@pytest.fixture
def fake(fake_zalo):
    fake_zalo.reset_knobs()
    yield fake_zalo
    fake_zalo.reset_knobs()


@pytest.fixture
def webhook(rasa_server, fake):
    return f"{rasa_server.url}/webhooks/zalo/webhook"


@pytest.fixture
def send(webhook):
    """Sends a correctly signed text message; asserts Zalo got its 200."""

    def send(user_id: str, text: str, **message) -> None:
        status, _ = post_webhook(webhook, event(user_id, text=text, **message))
        assert status == 200

    return send


# --- pure parts: no servers --------------------------------------------------


def test_signature_is_plain_sha256_of_app_id_body_timestamp_key():
    raw = '{"message":{"text":"đổi mật khẩu"},"timestamp":"1700000000000"}'.encode()
    expected = hashlib.sha256(f"{APP_ID}{raw.decode()}1700000000000{OA_SECRET_KEY}".encode())
    assert zalo.compute_signature(APP_ID, raw, "1700000000000", OA_SECRET_KEY) == (
        expected.hexdigest()
    )
    good = "mac=" + expected.hexdigest()
    assert zalo.verify_signature(good, APP_ID, raw, "1700000000000", OA_SECRET_KEY)
    assert zalo.verify_signature(good.upper().replace("MAC=", "mac="), APP_ID, raw,
                                 "1700000000000", OA_SECRET_KEY)  # fmt: skip
    bad = [
        (good, raw + b" ", "1700000000000", OA_SECRET_KEY),  # body changed
        (good, raw, "1700000000001", OA_SECRET_KEY),  # timestamp changed
        (good, raw, "1700000000000", "other-key"),
        (expected.hexdigest(), raw, "1700000000000", OA_SECRET_KEY),  # no "mac="
        ("mac=", raw, "1700000000000", OA_SECRET_KEY),
        ("", raw, "1700000000000", OA_SECRET_KEY),
        (None, raw, "1700000000000", OA_SECRET_KEY),
    ]
    for header, body, timestamp, key in bad:
        assert not zalo.verify_signature(header, APP_ID, body, timestamp, key)


def test_up_to_five_buttons_become_a_zalo_template():
    buttons = [
        {"title": "Android", "payload": '/inform{"os":"android"}'},
        {"title": "iPhone (iOS)", "payload": '/inform{"os":"ios"}'},
    ]
    messages = zalo.render_reply("Bạn dùng điện thoại nào?", buttons)
    assert messages == [
        {
            "text": "Bạn dùng điện thoại nào?",
            "attachment": {
                "type": "template",
                "payload": {
                    "buttons": [
                        {
                            "title": "Android",
                            "type": "oa.query.show",
                            "payload": '/inform{"os":"android"}',
                        },
                        {
                            "title": "iPhone (iOS)",
                            "type": "oa.query.show",
                            "payload": '/inform{"os":"ios"}',
                        },
                    ]
                },
            },
        }
    ]
    five = [{"title": f"B{n}", "payload": f"/b{n}"} for n in range(5)]
    messages = zalo.render_reply("Chọn:", five)
    assert len(messages[-1]["attachment"]["payload"]["buttons"]) == 5


def test_buttons_go_on_the_last_part_of_a_long_text():
    text = "\n".join(f"Bước {n}. " + "y" * 300 for n in range(1, 11))
    messages = zalo.render_reply(text, [{"title": "Tiếp", "payload": "/next_step"}])
    assert len(messages) == 2
    assert "attachment" not in messages[0]
    assert messages[1]["attachment"]["payload"]["buttons"][0]["payload"] == "/next_step"


def test_more_than_five_buttons_become_a_numbered_list():
    buttons = [{"title": f"Chủ đề {n}", "payload": f"/topic_{n}"} for n in range(1, 8)]
    messages = zalo.render_reply("Tôi có thể hướng dẫn bạn các việc sau:", buttons)
    assert all("attachment" not in m for m in messages)
    text = "\n".join(m["text"] for m in messages)
    assert text.startswith("Tôi có thể hướng dẫn bạn các việc sau:")
    for n in range(1, 8):
        assert f"\n{n}. Chủ đề {n}" in text


def test_config_comes_from_env_and_prefers_the_token_file(tmp_path):
    token_file = tmp_path / "zalo_tokens.json"
    env = {
        **{k: v for k, v in TEST_ENV.items() if k.startswith("ZALO_")},
        "ZALO_TOKEN_FILE": str(token_file),
    }
    config = zalo.ZaloConfig.from_env(env)
    assert config.tokens == zalo.Tokens("test-access-token", "test-refresh-token")
    assert config.api_url == "https://openapi.zalo.me"
    assert config.oauth_url == "https://oauth.zaloapp.com"
    token_file.write_text(json.dumps({"access_token": "stored-a", "refresh_token": "stored-r"}))
    assert zalo.ZaloConfig.from_env(env).tokens == zalo.Tokens("stored-a", "stored-r")
    with pytest.raises(zalo.ZaloConfigError, match="ZALO_APP_ID.*ZALO_OA_SECRET_KEY"):
        zalo.ZaloConfig.from_env({**env, "ZALO_APP_ID": " ", "ZALO_OA_SECRET_KEY": ""})
    token_file.unlink()
    with pytest.raises(zalo.ZaloConfigError, match="ZALO_ACCESS_TOKEN"):
        zalo.ZaloConfig.from_env({**env, "ZALO_ACCESS_TOKEN": ""})
    channel = zalo.ZaloInput.from_env({})
    assert channel.config is None and "ZALO_APP_ID" in channel.missing
    assert zalo.DEFAULT_TOKEN_FILE.name == "zalo_tokens.json"


def test_tokens_are_saved_atomically_and_privately(tmp_path):
    path = tmp_path / "secrets" / "zalo_tokens.json"
    zalo.save_tokens(path, zalo.Tokens("a1", "r1"), "90000")
    zalo.save_tokens(path, zalo.Tokens("a2", "r2"), "90000")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert zalo.load_tokens(path) == zalo.Tokens("a2", "r2")
    assert sorted(p.name for p in path.parent.iterdir()) == ["zalo_tokens.json"]


# --- the API client against its own fake (no Rasa) ---------------------------


@pytest.fixture
def own_fake():
    fake = FakeZalo("app", "app-secret", "a0", "r0").start(servers.free_port())
    yield fake
    fake.stop()


def client_for(url: str, tmp_path, delay=0.05) -> zalo.ZaloClient:
    config = zalo.ZaloConfig(
        app_id="app",
        app_secret="app-secret",
        oa_secret_key="oa-key",
        tokens=zalo.Tokens("a0", "r0"),
        api_url=url,
        oauth_url=url,
        token_file=tmp_path / "tokens.json",
    )
    return zalo.ZaloClient(config, first_delay=delay)


async def test_concurrent_expired_sends_refresh_the_token_once(own_fake, tmp_path):
    client = client_for(own_fake.url, tmp_path)
    own_fake.expire_access_token()
    try:
        users = [f"u{n}" for n in range(6)]
        await asyncio.gather(*(client.send(u, {"text": "chào"}) for u in users))
    finally:
        await client.close()
    assert len(own_fake.records(REFRESH_PATH)) == 1
    assert all(len(own_fake.delivered(u)) == 1 for u in users)
    assert zalo.load_tokens(tmp_path / "tokens.json") == zalo.Tokens("access-1", "refresh-1")


async def test_replicas_sharing_the_token_file_refresh_once(own_fake, tmp_path):
    # Every replica serves Zalo webhooks: a refresh token works once, so the
    # second replica must take up the pair the first one stored.
    replicas = [client_for(own_fake.url, tmp_path) for _ in range(2)]
    own_fake.expire_access_token()
    try:
        await asyncio.gather(*(c.send(f"r{n}", {"text": "chào"}) for n, c in enumerate(replicas)))
    finally:
        for client in replicas:
            await client.close()
    assert len(own_fake.records(REFRESH_PATH)) == 1
    assert own_fake.delivered("r0") and own_fake.delivered("r1")
    assert {c.tokens for c in replicas} == {zalo.Tokens("access-1", "refresh-1")}


async def test_client_retries_5xx_then_gives_up_loudly(own_fake, tmp_path, caplog):
    client = client_for(own_fake.url, tmp_path)
    try:
        own_fake.fail_next(2)
        await client.send("u1", {"text": "một"})
        assert len(own_fake.records(SEND_PATH, "u1")) == 3
        assert len(own_fake.delivered("u1")) == 1

        own_fake.fail_next(10, status=502)
        output = zalo.ZaloOutput(client)
        with caplog.at_level(logging.ERROR, logger="connectors.zalo"):
            await output.send_text_message("u2", "tin nhắn quan trọng")
    finally:
        await client.close()
    assert len(own_fake.records(SEND_PATH, "u2")) == 4  # 1 + 3 retries
    assert own_fake.delivered("u2") == []
    assert "NOT DELIVERED" in caplog.text and "tin nhắn quan trọng" in caplog.text


async def test_client_retries_connection_errors(tmp_path):
    nobody_listens = f"http://127.0.0.1:{servers.free_port()}"
    client = client_for(nobody_listens, tmp_path)
    started = time.monotonic()
    try:
        with pytest.raises(zalo.ZaloApiError, match="failed 4 times"):
            await client.send("u1", {"text": "chào"})
    finally:
        await client.close()
    assert time.monotonic() - started >= 0.15  # it did back off between attempts


# --- end to end through the real Rasa server ---------------------------------


def test_text_question_gets_the_vietnamese_steps(fake, send):
    user = new_user()
    send(user, "doi mat khau vssid")
    reply = fake.wait_for_text(user, "Đổi mật khẩu", "OTP")
    assert reply.user_id == user
    assert reply.headers["access_token"] == fake.access_token
    assert reply.headers["Content-Type"].startswith("application/json")
    assert "Bước 1." in reply.text and "Hoàn tất" in reply.text


def test_install_offers_platform_buttons_and_a_tap_answers(fake, send):
    user = new_user()
    send(user, "cài vssid")
    question = fake.wait_for(
        lambda: next((r for r in fake.delivered(user) if r.buttons), None),
        what="the platform buttons",
    )
    assert question.message["attachment"]["type"] == "template"
    assert [b["title"] for b in question.buttons] == ["Android", "iPhone (iOS)"]
    assert {b["type"] for b in question.buttons} == {"oa.query.show"}
    # Tapping an oa.query.show button makes Zalo send its payload as the user's text.
    send(user, question.buttons[0]["payload"])
    fake.wait_for_text(user, "CH Play")


def test_the_menu_is_a_template_and_a_number_picks_from_it(fake, send):
    user = new_user()
    send(user, "/show_menu")
    menu = fake.wait_for_text(user, "Tôi có thể hướng dẫn")
    titles = [b["title"] for b in menu.message["attachment"]["payload"]["buttons"]]
    send(user, str(titles.index("Mật khẩu & OTP") + 1))
    group = fake.wait_for_text(user, "Tôi có thể hướng dẫn", after=menu)
    titles = [b["title"] for b in group.message["attachment"]["payload"]["buttons"]]
    send(user, f"số {titles.index('Đổi mật khẩu') + 1}")
    fake.wait_for_text(user, "Hoàn tất", "OTP")


def test_overlong_text_gets_the_shared_polite_reply(fake, send):
    user = new_user()
    send(user, "cách đổi mật khẩu vssid " * 80)  # about 2,000 characters
    fake.wait_for_text(user, "dài quá")
    assert not any("OTP" in r.text for r in fake.settle(user))


def test_forged_or_missing_signature_never_reaches_the_bot(fake, send, webhook):
    user = new_user()
    body = event(user, text="doi mat khau vssid")
    raw = json.dumps(body).encode()
    forged = zalo_mac(raw, body["timestamp"], key="guessed-key")
    # 403 for a signature that does not match, 401 for none at all.
    assert post_webhook(webhook, body, raw, signature=forged)[0] == 403
    assert post_webhook(webhook, body, raw, signature="mac=" + "0" * 64)[0] == 403
    other = event(user, text="doi mat khau vssid")
    mac_of_another_body = zalo_mac(raw, body["timestamp"])
    assert post_webhook(webhook, other, signature=mac_of_another_body)[0] == 403
    assert post_webhook(webhook, body, raw, signature=None)[0] == 401
    # The bot stays silent about those; a genuine message afterwards is answered.
    send(user, "xin chào")
    fake.wait_for_text(user, "Xin chào")
    assert not any("OTP" in r.text for r in fake.settle(user))


def test_malformed_bodies_answer_400(fake, webhook):
    for raw in (b"{not json", b"", b"[1, 2]", b'{"event_name": "user_send_text"}'):
        status, _ = post_webhook(webhook, raw=raw, signature="mac=" + "0" * 64)
        assert status == 400, raw
    assert post_webhook(webhook, raw=b"\xff\xfe", signature="mac=abc")[0] == 400


def test_duplicate_delivery_is_answered_once(fake, webhook):
    user = new_user()
    body = event(user, text="doi mat khau vssid")
    raw = json.dumps(body).encode()
    for _ in range(3):  # Zalo redelivers the same body, same msg_id
        assert post_webhook(webhook, body, raw)[0] == 200
    fake.wait_for_text(user, "OTP")
    assert len([r for r in fake.settle(user) if "OTP" in r.text]) == 1


def test_non_text_messages_get_the_polite_text_only_reply(fake, webhook):
    user = new_user()
    image = {"type": "image", "payload": {"url": "https://example.com/a.jpg"}}
    assert post_webhook(webhook, event(user, "user_send_image", attachments=[image]))[0] == 200
    reply = fake.wait_for_text(user, "Xin lỗi, tôi chỉ đọc được tin nhắn bằng chữ")
    assert reply.headers["access_token"] == fake.access_token
    for name in ("user_send_sticker", "user_send_location", "user_send_file"):
        other = new_user()
        assert post_webhook(webhook, event(other, name))[0] == 200
        fake.wait_for_text(other, "chỉ đọc được tin nhắn bằng chữ")


def test_follow_seen_and_oa_events_are_acknowledged_and_ignored(fake, send, webhook):
    user, control = new_user(), new_user()
    follow = {
        "app_id": APP_ID,
        "oa_id": OA_ID,
        "event_name": "follow",
        "timestamp": str(int(time.time() * 1000)),
        "follower": {"id": user},
        "source": "oa_profile",
    }
    seen = event(user, "user_seen_message")
    oa_echo = event(user, "oa_send_text", text="tin OA gửi")
    oa_echo["sender"], oa_echo["recipient"] = {"id": OA_ID}, {"id": user}
    for body in (follow, seen, oa_echo, event(user, "user_received_message")):
        assert post_webhook(webhook, body)[0] == 200
    send(user, "xin chào")
    send(control, "xin chào")
    fake.wait_for_text(user, "Xin chào")
    fake.wait_for_text(control, "Xin chào")
    replies = fake.settle(user)
    assert len(replies) == len(fake.settle(control))
    assert not any("Xin lỗi" in r.text for r in replies)


def test_expired_token_is_refreshed_once_stored_and_the_reply_resent(fake, send, rasa_env):
    user = new_user()
    old_refresh = fake.refresh_token
    expired = fake.expire_access_token()
    refreshes_before = len(fake.records(REFRESH_PATH))
    send(user, "doi mat khau vssid")
    reply = fake.wait_for_text(user, "OTP")
    refreshes = fake.records(REFRESH_PATH)[refreshes_before:]
    assert len(refreshes) == 1
    assert refreshes[0].headers["secret_key"] == TEST_ENV["ZALO_APP_SECRET"]
    assert refreshes[0].form == {
        "refresh_token": old_refresh,
        "app_id": APP_ID,
        "grant_type": "refresh_token",
    }
    assert reply.headers["access_token"] == fake.access_token != expired
    rejected = [r for r in fake.records(SEND_PATH, user) if r.answer.get("error") == -216]
    assert rejected and rejected[0].headers["access_token"] == expired
    assert rejected[0].json == reply.json  # the same message, resent
    token_file = rasa_env["ZALO_TOKEN_FILE"]
    stored = json.loads(open(token_file, encoding="utf-8").read())
    assert (stored["access_token"], stored["refresh_token"]) == (
        fake.access_token,
        fake.refresh_token,
    )
    assert stat.S_IMODE(os.stat(token_file).st_mode) == 0o600
    assert len(fake.records(REFRESH_PATH)) == refreshes_before + 1  # nothing else refreshed


def test_server_errors_are_retried_and_delivered_once(fake, send):
    user = new_user()
    fake.fail_next(2, user_id=user)
    send(user, "doi mat khau vssid")
    fake.wait_for_text(user, "OTP")
    attempts = fake.records(SEND_PATH, user)
    assert [r.status for r in attempts[:3]] == [500, 500, 200]
    assert attempts[0].json == attempts[2].json
    assert len([r for r in fake.settle(user) if "OTP" in r.text]) == 1


def test_webhook_answers_fast_while_the_bot_is_busy(fake, webhook):
    fake.delay = 3.0  # every reply takes Zalo 3 s: the bot is busy for a while
    users = [new_user() for _ in range(3)]
    timings = []
    for user in users:
        status, seconds = post_webhook(webhook, event(user, text="doi mat khau vssid"))
        assert status == 200
        timings.append(seconds)
    assert max(timings) < 2, timings
    for user in users:
        fake.wait_for_text(user, "OTP")


def test_server_without_zalo_env_starts_and_answers_503(ports, log_dir, tmp_path):
    credentials = tmp_path / "credentials.yml"
    credentials.write_text("rest:\nconnectors.zalo.ZaloInput:\n", encoding="utf-8")
    endpoints = servers.write_endpoints(tmp_path / "endpoints.yml", ports["actions"])
    unset = {name: "" for name in (*zalo.REQUIRED_ENV, "ZALO_ACCESS_TOKEN", "ZALO_REFRESH_TOKEN")}
    env = {**unset, "ZALO_TOKEN_FILE": str(tmp_path / "none.json")}
    port = servers.free_port()
    service = servers.rasa_server(port, log_dir, endpoints, credentials, env, name="rasa-no-zalo")
    try:
        body = event(new_user(), text="xin chào")
        status, _ = post_webhook(f"http://127.0.0.1:{port}/webhooks/zalo/webhook", body)
        assert status == 503
    finally:
        service.stop()
    log = service.log.read_text(encoding="utf-8", errors="replace")
    # Reported as information at start-up (an unused channel is no error), then 503.
    assert "INFO" in log and "Zalo channel not configured (set ZALO_APP_ID" in log
    assert "Zalo webhook called but not configured" in log
