"""Facebook Messenger channel: pure functions, then end to end through the real Rasa server.

End-to-end tests post signed webhooks to the session's Rasa server, which
answers through `FB_GRAPH_URL` to the fake Graph API in tests/fake_graph.py.
Every test uses its own sender id. To prove that something was NOT answered,
a test sends a later "sentinel" message from the same sender: the channel
answers one sender in order, so once the sentinel's answer arrives, any
answer to the earlier message would already be there.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest
import sqlalchemy as sa

from connectors import facebook as fb
from connectors import inbound, webhook_queue
from tests.conftest import TEST_ENV
from tests.fake_graph import FakeGraph, limit_errors, message_text, options

APP_SECRET = TEST_ENV["FB_APP_SECRET"]
PAGE_TOKEN = TEST_ENV["FB_PAGE_ACCESS_TOKEN"]
PAGE_ID = "111222333"
IOS_PAYLOAD = '/inform{"os":"ios"}'


# --- helpers -------------------------------------------------------------------


def sign(body: bytes, secret: str = APP_SECRET, algorithm: str = "sha256") -> str:
    return f"{algorithm}=" + hmac.new(secret.encode(), body, algorithm).hexdigest()


def new_sender() -> str:
    return f"psid-{uuid.uuid4().hex[:12]}"


def webhook_body(sender: str, **event) -> bytes:
    """A page webhook with one messaging event from `sender` (message, postback…)."""
    messaging = {
        "sender": {"id": sender},
        "recipient": {"id": PAGE_ID},
        "timestamp": int(time.time() * 1000),
        **event,
    }
    body = {"object": "page", "entry": [{"id": PAGE_ID, "time": 0, "messaging": [messaging]}]}
    return json.dumps(body, ensure_ascii=False).encode()


def text_body(sender: str, text: str, mid: str | None = None) -> bytes:
    return webhook_body(sender, message={"mid": mid or f"m_{uuid.uuid4().hex}", "text": text})


def http(url: str, body: bytes | None = None, headers: dict | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, body, headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


# --- rendering and splitting -----------------------------------------------------


def test_render_plain_text_splits_over_2000_characters():
    text = "\n".join("Dòng số %d của câu trả lời dài." % n for n in range(200))
    messages = fb.render(text)
    assert len(messages) > 1
    assert all(set(m) == {"text"} and not limit_errors(m) for m in messages)


def test_render_up_to_three_buttons_as_a_button_template_with_postbacks():
    buttons = [
        {"title": "Android", "payload": '/inform{"os":"android"}'},
        {"title": "iPhone (iOS)", "payload": IOS_PAYLOAD},
    ]
    [message] = fb.render("Bạn dùng điện thoại Android hay iPhone (iOS)?", buttons)
    payload = message["attachment"]["payload"]
    assert payload["template_type"] == "button"
    assert payload["buttons"] == [
        {"type": "postback", "title": "Android", "payload": '/inform{"os":"android"}'},
        {"type": "postback", "title": "iPhone (iOS)", "payload": IOS_PAYLOAD},
    ]
    assert not limit_errors(message)


def test_render_long_text_with_buttons_uses_quick_replies_on_the_last_chunk():
    text = "\n".join(f"{n}. Một bước khá dài để làm theo trên ứng dụng VssID." for n in range(60))
    buttons = [{"title": "Hướng dẫn từng bước một", "payload": "/step_by_step"}]
    messages = fb.render(text, buttons)
    assert len(messages) >= 2 and not any(limit_errors(m) for m in messages)
    assert all("quick_replies" not in m for m in messages[:-1])
    [reply] = messages[-1]["quick_replies"]
    assert reply == {
        "content_type": "text",
        "title": "Hướng dẫn từng bước…",
        "payload": "/step_by_step",
    }


def test_render_many_buttons_as_at_most_ten_quick_replies_and_lists_the_rest():
    buttons = [
        {"title": f"Chủ đề số {n} rất là dài", "payload": f"/topic_{n}"} for n in range(1, 13)
    ]
    [message] = fb.render("Bạn cần hướng dẫn việc gì?", buttons)
    assert len(message["quick_replies"]) == 10 and not limit_errors(message)
    assert [r["payload"] for r in message["quick_replies"]] == [f"/topic_{n}" for n in range(1, 11)]
    assert "11. Chủ đề số 11 rất là dài" in message["text"]
    assert "12. Chủ đề số 12 rất là dài" in message["text"]


def test_render_buttons_without_text_still_sends_a_prompt():
    [message] = fb.render("", [{"title": "Có", "payload": "/affirm"}])
    assert message_text(message) and not limit_errors(message)


# --- signatures and incoming events ----------------------------------------------


def test_valid_signature_accepts_only_a_matching_sha256_hmac():
    body = b'{"object":"page"}'
    assert fb.valid_signature(APP_SECRET, body, sign(body))
    assert not fb.valid_signature(APP_SECRET, body + b" ", sign(body))
    assert not fb.valid_signature(APP_SECRET, body, sign(body, "other-secret"))
    assert not fb.valid_signature(APP_SECRET, body, sign(body, algorithm="sha1"))
    assert not fb.valid_signature(APP_SECRET, body, sign(body).replace("sha256=", "sha1="))
    assert not fb.valid_signature(APP_SECRET, body, None)
    assert not fb.valid_signature(APP_SECRET, body, "sha256=ĐĐĐ")
    assert not fb.valid_signature("", body, sign(body, ""))


def test_parse_events_yields_texts_and_payloads_and_skips_echo_delivery_read():
    events = [
        {"sender": {"id": "u1"}, "message": {"mid": "m1", "text": "doi mat khau"}},
        {"sender": {"id": "u1"}, "message": {"mid": "m2", "text": "iPhone (iOS)",
                                             "quick_reply": {"payload": IOS_PAYLOAD}}},
        {"sender": {"id": "u2"}, "postback": {"mid": "m3", "title": "Đổi mật khẩu",
                                              "payload": "/ask_change_password"}},
        {"sender": {"id": PAGE_ID}, "message": {"mid": "m4", "text": "echo", "is_echo": True}},
        {"sender": {"id": "u1"}, "delivery": {"mids": ["m9"], "watermark": 1}},
        {"sender": {"id": "u1"}, "read": {"watermark": 1}},
        {"sender": {"id": "u1"}, "message": {"mid": "m5", "attachments": [{"type": "image"}]}},
        {"sender": "oops", "message": "oops"},
    ]  # fmt: skip
    payload = {"object": "page", "entry": [{"id": PAGE_ID, "messaging": events}]}
    assert fb.parse_events(payload) == [
        fb.Incoming("u1", "doi mat khau", "m1"),
        fb.Incoming("u1", IOS_PAYLOAD, "m2"),
        fb.Incoming("u2", "/ask_change_password", "m3"),
        fb.Incoming("u1", None, "m5"),  # a photo: answered with the text-only reply
    ]


@pytest.mark.parametrize("payload", [[], "page", {"entry": "x"}, {"object": "page", "entry": [1]}])
def test_parse_events_rejects_bodies_that_are_not_webhooks(payload):
    with pytest.raises(ValueError):
        fb.parse_events(payload)


# --- the channel object, without a server ---------------------------------------------


def test_channel_without_environment_still_loads_and_answers_503(monkeypatch, caplog):
    for name in ("FB_VERIFY_TOKEN", "FB_APP_SECRET", "FB_PAGE_ACCESS_TOKEN", "FB_GRAPH_URL"):
        monkeypatch.delenv(name, raising=False)
    channel = fb.FacebookInput.from_credentials(None)
    assert channel.name() == "facebook" and not channel.configured
    assert channel.get_output_channel() is None
    assert channel.client.url == "https://graph.facebook.com/v21.0/me/messages"
    assert channel.blueprint(lambda message: None) is not None
    with caplog.at_level(logging.ERROR):
        assert channel.verify({"hub.mode": "subscribe", "hub.verify_token": ""}).status == 503
        body = text_body("u1", "hi")
        assert channel.receive(body, {"X-Hub-Signature-256": sign(body, "")}).status == 503
    assert "not configured" in caplog.text


def test_channel_reads_its_settings_from_the_environment(monkeypatch):
    monkeypatch.setenv("FB_VERIFY_TOKEN", "v")
    monkeypatch.setenv("FB_APP_SECRET", "s")
    monkeypatch.setenv("FB_PAGE_ACCESS_TOKEN", "p")
    monkeypatch.setenv("FB_GRAPH_URL", "http://graph.test/")
    channel = fb.FacebookInput.from_credentials(None)
    assert channel.configured and isinstance(channel.get_output_channel(), fb.MessengerBot)
    assert channel.client.url.startswith("http://graph.test/v")
    assert channel.client.params["access_token"] == "p"


# --- the Send API client, against the fake Graph API ------------------------------------


@pytest.fixture(scope="module")
def graph(ports):
    fake = FakeGraph(ports["graph_api"], PAGE_TOKEN).start()
    yield fake
    fake.stop()


async def test_client_retries_a_5xx_and_delivers(graph):
    client = fb.GraphClient(PAGE_TOKEN, APP_SECRET, graph.url, backoff=0.01)
    sender = new_sender()
    graph.fail_next(sender, 500, 503)
    try:
        assert await client.send_message(sender, {"text": "xin chào"})
    finally:
        await client.close()
    assert [r["status"] for r in graph.records(sender)] == [500, 503, 200]
    assert graph.sent(sender) == [{"text": "xin chào"}]
    proof = hmac.new(APP_SECRET.encode(), PAGE_TOKEN.encode(), hashlib.sha256).hexdigest()
    assert graph.records(sender)[-1]["query"]["appsecret_proof"] == proof


async def test_client_gives_up_loudly(graph, caplog):
    client = fb.GraphClient(PAGE_TOKEN, APP_SECRET, graph.url, backoff=0.01)
    sender = new_sender()
    graph.fail_next(sender, 500, 500, 500)
    with caplog.at_level(logging.WARNING, logger="connectors.facebook"):
        assert not await client.send_message(sender, {"text": "xin chào"})
        graph.fail_next(sender, 400)  # a 4xx is not retried
        assert not await client.send_message(sender, {"text": "xin chào"})
        await client.close()
    assert [r["status"] for r in graph.records(sender)] == [500, 500, 500, 400]
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 2 and all("NOT delivered" in r.getMessage() for r in errors)


async def test_client_retries_connection_errors(caplog):
    from tests.servers import free_port

    client = fb.GraphClient(PAGE_TOKEN, APP_SECRET, f"http://127.0.0.1:{free_port()}", backoff=0)
    with caplog.at_level(logging.WARNING, logger="connectors.facebook"):
        assert not await client.send_message("u1", {"text": "xin chào"})
        await client.close()
    assert "NOT delivered after 3 attempt(s)" in caplog.text


async def test_channel_answers_each_event_of_a_batch_once_in_order(graph, tmp_path):
    channel = fb.FacebookInput("v", APP_SECRET, PAGE_TOKEN, graph_url=graph.url)
    received = []

    async def on_new_message(message):
        received.append((inbound.platform_id(message.sender_id), message.text,
                         message.input_channel))  # fmt: skip
        reply = {"text": f"đã nhận {message.text}"}
        await message.output_channel.send_response(message.sender_id, reply)

    queue = webhook_queue.WebhookQueue(sa.create_engine(f"sqlite:///{tmp_path / 'q.db'}"))
    sender = new_sender()
    events = [
        {"sender": {"id": sender}, "message": {"mid": "b1", "text": "một"}},
        {"sender": {"id": sender}, "postback": {"mid": "b2", "payload": "/greet"}},
        {"sender": {"id": sender}, "message": {"mid": "b1", "text": "một"}},
    ]
    body = json.dumps({"object": "page", "entry": [{"messaging": events}]}).encode()
    # Received before the worker starts (as after a restart): stored, handled later.
    channel.worker = webhook_queue.Worker(queue, "facebook", None, None)
    assert channel.receive(body, {"X-Hub-Signature-256": sign(body)}).status == 200
    channel.worker = channel.start_worker(None, on_new_message, queue)
    assert channel.receive(body, {"X-Hub-Signature-256": sign(body)}).status == 200
    for _ in range(200):
        if len(graph.sent(sender)) >= 2 and not channel.worker.inflight:
            break
        await asyncio.sleep(0.02)
    await channel.worker.stop()
    await channel.client.close()
    assert received == [(sender, "một", "facebook"), (sender, "/greet", "facebook")]
    assert graph.sent(sender) == [{"text": "đã nhận một"}, {"text": "đã nhận /greet"}]
    assert queue.pending() == {}


# --- end to end through the real Rasa server ------------------------------------------


@pytest.fixture(scope="module")
def webhook(rasa_server, graph):
    return f"{rasa_server.url}/webhooks/facebook/webhook"


def post(webhook: str, body: bytes, headers: dict | None = None) -> tuple[int, str]:
    if headers is None:
        headers = {"X-Hub-Signature-256": sign(body)}
    return http(webhook, body, {"Content-Type": "application/json", **headers})


def say(webhook: str, sender: str, text: str, mid: str | None = None) -> None:
    status, reply = post(webhook, text_body(sender, text, mid))
    assert status == 200, reply


def assert_all_within_limits(graph: FakeGraph, sender: str) -> None:
    rejected = [r for r in graph.records(sender) if r["errors"]]
    assert not rejected, rejected


def test_verification_handshake(webhook):
    query = {"hub.mode": "subscribe", "hub.verify_token": TEST_ENV["FB_VERIFY_TOKEN"]}
    status, text = http(f"{webhook}?{urllib.parse.urlencode({**query, 'hub.challenge': '4242'})}")
    assert (status, text) == (200, "4242")
    wrong = {**query, "hub.verify_token": "guess", "hub.challenge": "4242"}
    status, text = http(f"{webhook}?{urllib.parse.urlencode(wrong)}")
    assert status == 403 and "4242" not in text
    status, _ = http(f"{webhook}?hub.mode=unsubscribe&hub.verify_token=test-verify-token")
    assert status == 403


def test_text_message_gets_the_change_password_steps(webhook, graph):
    sender = new_sender()
    say(webhook, sender, "doi mat khau vssid")
    messages = graph.wait_for_text(sender, "Đổi mật khẩu", "OTP")
    answer = next(m for m in messages if "OTP" in message_text(m))
    assert "Hoàn tất" in message_text(answer)
    record = next(r for r in graph.records(sender) if r["body"].get("message") == answer)
    assert record["body"]["recipient"] == {"id": sender}
    assert record["body"]["messaging_type"] == "RESPONSE"
    assert record["query"]["access_token"] == PAGE_TOKEN
    assert record["path"].startswith("/v") and record["path"].endswith("/me/messages")
    assert_all_within_limits(graph, sender)


def test_install_question_offers_android_and_ios(webhook, graph):
    sender = new_sender()
    say(webhook, sender, "cài vssid")
    messages = graph.wait_for(sender, lambda sent: any(options(m) for m in sent))
    choices = {o["title"]: o["payload"] for m in messages for o in options(m)}
    assert choices == {"Android": '/inform{"os":"android"}', "iPhone (iOS)": IOS_PAYLOAD}
    assert_all_within_limits(graph, sender)


@pytest.mark.parametrize(
    "event",
    [
        {"postback": {"title": "iPhone (iOS)", "payload": IOS_PAYLOAD}},
        {"message": {"text": "iPhone (iOS)", "quick_reply": {"payload": IOS_PAYLOAD}}},
    ],
    ids=["postback", "quick_reply"],
)
def test_tapped_platform_payload_gives_the_ios_steps(webhook, graph, event):
    sender = new_sender()
    say(webhook, sender, "cài vssid")
    graph.wait_for(sender, lambda sent: any(options(m) for m in sent))
    kind = next(iter(event))
    tapped = {kind: {**event[kind], "mid": f"m_{uuid.uuid4().hex}"}}
    status, _ = post(webhook, webhook_body(sender, **tapped))
    assert status == 200
    messages = graph.wait_for_text(sender, "App Store")
    assert not any("CH Play" in message_text(m) for m in messages)


def test_greeting_menu_arrives_within_messenger_limits(webhook, graph):
    sender = new_sender()
    say(webhook, sender, "xin chào")
    messages = graph.wait_for(sender, lambda sent: any(len(options(m)) >= 5 for m in sent))
    menu = next(m for m in messages if len(options(m)) >= 5)
    assert len(menu["quick_replies"]) <= 10  # over 3 buttons: quick replies
    titles = [o["title"] for o in options(menu)]
    assert all(0 < len(title) <= 20 for title in titles)
    assert "Mật khẩu & OTP" in titles and '/show_menu{"group":"password_otp"}' in [
        o["payload"] for o in options(menu)
    ]
    assert any("Xin chào" in message_text(m) for m in messages)
    assert_all_within_limits(graph, sender)


def test_forged_missing_and_sha1_signatures_are_refused(webhook, graph):
    sender = new_sender()
    body = text_body(sender, "doi mat khau vssid")
    sha1 = {"X-Hub-Signature": sign(body, algorithm="sha1")}
    assert post(webhook, body, sha1)[0] == 403
    assert post(webhook, body, {"X-Hub-Signature-256": sign(body, "not-the-secret")})[0] == 403
    assert post(webhook, body, {"X-Hub-Signature-256": sign(body + b" ")})[0] == 403
    assert post(webhook, body, {})[0] == 403
    say(webhook, sender, "xin chào")  # sentinel
    messages = graph.wait_for(sender, lambda sent: any(options(m) for m in sent))
    assert not any("OTP" in message_text(m) for m in graph.sent(sender)), messages


@pytest.mark.parametrize("body", [b"{not json", b"", b"\xff\xfe", b"[]", b'{"entry": 5}'])
def test_malformed_signed_body_is_a_400(webhook, body):
    status, _ = post(webhook, body)
    assert status == 400


def test_echo_delivery_and_read_events_are_ignored(webhook, graph):
    sender = new_sender()
    echo = webhook_body(
        sender, message={"mid": "e1", "text": "doi mat khau vssid", "is_echo": True}
    )
    delivery = webhook_body(sender, delivery={"mids": ["x"], "watermark": 1})
    read = webhook_body(sender, read={"watermark": 1})
    for body in (echo, delivery, read):
        assert post(webhook, body)[0] == 200
    say(webhook, sender, "xin chào")  # sentinel
    graph.wait_for(sender, lambda sent: any(options(m) for m in sent))
    assert not any("OTP" in message_text(m) for m in graph.sent(sender))


def test_duplicate_delivery_is_answered_once(webhook, graph):
    sender = new_sender()
    mid = f"m_{uuid.uuid4().hex}"
    say(webhook, sender, "doi mat khau vssid", mid)
    say(webhook, sender, "doi mat khau vssid", mid)
    say(webhook, sender, "xin chào")  # sentinel
    graph.wait_for(sender, lambda sent: any(len(options(m)) >= 5 for m in sent))
    answers = [m for m in graph.sent(sender) if "Hoàn tất" in message_text(m)]
    assert len(answers) == 1


def test_graph_api_500_is_retried_and_delivered(webhook, graph):
    sender = new_sender()
    graph.fail_next(sender, 500)
    say(webhook, sender, "doi mat khau vssid")
    graph.wait_for_text(sender, "OTP")
    messages = [r for r in graph.records(sender) if "message" in r["body"]]
    assert messages[0]["status"] == 500
    assert messages[1]["status"] == 200 and messages[1]["body"] == messages[0]["body"]
    assert_all_within_limits(graph, sender)
