"""Custom actions, run with the SDK's dispatcher and tracker."""

import unicodedata

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.actions import (
    ActionClarify,
    ActionNextStep,
    ActionOutOfScope,
    ActionPreviousStep,
    ActionRepeatStep,
    ActionShowGuide,
    ActionShowMenu,
    ActionStepByStep,
)
from content import load

SLOTS = {"os": None, "guide": None, "step": None, "pending_topic": None}


def make_tracker(intent, slots=None, ranking=None, previous_intent=None):
    latest = {
        "intent": {"name": intent, "confidence": 0.9},
        "intent_ranking": ranking or [],
        "text": "…",
    }
    events = []
    if previous_intent:
        events.append({"event": "user", "parse_data": {"intent": {"name": previous_intent}}})
    events.append({"event": "user", "parse_data": latest})
    return Tracker(
        "u1", {**SLOTS, **(slots or {})}, latest, events, False, None, {}, "action_listen"
    )


def run(action, tracker):
    dispatcher = CollectingDispatcher()
    events = action.run(dispatcher, tracker, {})
    for message in dispatcher.messages:
        assert message["text"] and unicodedata.is_normalized("NFC", message["text"])
    return dispatcher.messages, events


def texts(messages):
    return "\n".join(m["text"] for m in messages)


def payloads(messages):
    return [b["payload"] for m in messages for b in m.get("buttons") or []]


def test_install_without_platform_asks_with_buttons():
    messages, events = run(ActionShowGuide(), make_tracker("ask_install"))
    assert messages[0]["text"] == "Bạn dùng điện thoại Android hay iPhone (iOS)?"
    assert payloads(messages) == ['/inform{"os":"android"}', '/inform{"os":"ios"}']
    assert SlotSet("pending_topic", "ask_install") in events


@pytest.mark.parametrize(
    "os_name, expected, absent", [("android", "CH Play", "App Store"), ("ios", "Nhận", "CH Play")]
)
def test_install_with_known_platform(os_name, expected, absent):
    messages, events = run(ActionShowGuide(), make_tracker("ask_install", {"os": os_name}))
    assert expected in texts(messages) and absent not in texts(messages)
    assert SlotSet("guide", f"install_{os_name}") in events


def test_platform_answer_completes_the_pending_install():
    tracker = make_tracker("inform", {"os": "ios", "pending_topic": "ask_install"})
    messages, events = run(ActionShowGuide(), tracker)
    assert "App Store" in texts(messages)
    assert SlotSet("pending_topic", None) in events


def test_platform_with_nothing_pending_offers_the_menu():
    messages, events = run(ActionShowGuide(), make_tracker("inform", {"os": "android"}))
    assert "Android" in messages[0]["text"]
    assert "/ask_install" in payloads(messages) and events == []


def test_login_advises_changing_the_password_with_a_button():
    messages, _ = run(ActionShowGuide(), make_tracker("ask_login"))
    text = texts(messages)
    assert "mã số BHXH" in text and "mật khẩu" in text and "đổi mật khẩu" in text
    assert "/ask_change_password" in payloads(messages)


def test_change_password_gives_the_four_steps_in_order():
    messages, events = run(ActionShowGuide(), make_tracker("ask_change_password"))
    text = texts(messages)
    positions = [text.index(f"Bước {n}.") for n in range(1, 5)]
    assert positions == sorted(positions)
    assert "OTP" in text and "Hoàn tất" in text
    assert '/step_by_step{"guide":"change_password"}' in payloads(messages)
    assert SlotSet("guide", "change_password") in events


def test_register_asks_app_or_web_first_then_gives_that_way():
    messages, events = run(ActionShowGuide(), make_tracker("ask_register"))
    assert len(messages) == 1 and "Bước" not in texts(messages)
    assert payloads(messages) == [
        '/inform{"guide":"register_app"}',
        '/inform{"guide":"register_web"}',
    ]
    assert SlotSet("pending_topic", "ask_register") in events

    tracker = make_tracker("inform", {"pending_topic": "ask_register"})
    tracker.latest_message["entities"] = [{"entity": "guide", "value": "register_web"}]
    messages, events = run(ActionShowGuide(), tracker)
    text = texts(messages)
    assert "https://dichvucong.baohiemxahoi.gov.vn" in text and "Ghi nhận" in text
    assert "Đăng ký ngay" not in text
    assert '/step_by_step{"guide":"register_web"}' in payloads(messages)
    assert SlotSet("guide", "register_web") in events


@pytest.mark.parametrize("intent", ["ask_forgot_password", "ask_lookup_history"])
def test_topics_the_guide_does_not_detail_give_the_hotline(intent):
    messages, _ = run(ActionShowGuide(), make_tracker(intent))
    assert "1900 9068" in texts(messages)
    assert "Bước" not in texts(messages)


def test_about_vssid_answers_from_the_guide():
    messages, _ = run(ActionShowGuide(), make_tracker("ask_about_vssid"))
    assert "BHXH Việt Nam" in texts(messages) and "Thẻ BHYT" in texts(messages)


def test_step_by_step_walks_forward_back_and_repeats():
    steps = load().guides["change_password"].steps
    slots = {"guide": "change_password"}
    messages, events = run(ActionStepByStep(), make_tracker("step_by_step", slots))
    assert steps[0] in messages[0]["text"] and "Bước 1/4" in messages[0]["text"]
    assert SlotSet("step", 0.0) in events

    messages, events = run(ActionNextStep(), make_tracker("next_step", {**slots, "step": 0.0}))
    assert steps[1] in messages[0]["text"] and SlotSet("step", 1.0) in events
    assert "/previous_step" in payloads(messages)

    messages, events = run(ActionRepeatStep(), make_tracker("repeat_step", {**slots, "step": 1.0}))
    assert steps[1] in messages[0]["text"] and SlotSet("step", 1.0) in events

    messages, events = run(
        ActionPreviousStep(), make_tracker("previous_step", {**slots, "step": 1.0})
    )
    assert steps[0] in messages[0]["text"] and SlotSet("step", 0.0) in events


def test_previous_on_the_first_step_says_so():
    tracker = make_tracker("previous_step", {"guide": "login", "step": 0.0})
    messages, events = run(ActionPreviousStep(), tracker)
    assert messages[0]["text"] == "Đây là bước đầu tiên rồi."
    assert SlotSet("step", 0.0) in events


def test_end_of_guide_says_so_and_offers_the_menu():
    tracker = make_tracker("next_step", {"guide": "change_password", "step": 3.0})
    messages, events = run(ActionNextStep(), tracker)
    assert "làm xong tất cả các bước" in messages[0]["text"]
    assert "/ask_install" in payloads(messages)
    assert SlotSet("step", None) in events


def test_next_without_a_guide_asks_what_to_guide():
    messages, _ = run(ActionNextStep(), make_tracker("next_step"))
    assert "chưa chọn hướng dẫn" in messages[0]["text"]


def test_every_answer_ends_with_its_source_line():
    for intent in ("ask_login", "ask_change_password", "ask_about_vssid"):
        messages, _ = run(ActionShowGuide(), make_tracker(intent))
        assert messages[-1]["text"].splitlines()[-1].startswith("Nguồn: BHXH Việt Nam"), intent


def test_menu_lists_every_topic():
    messages, _ = run(ActionShowMenu(), make_tracker("show_menu"))
    assert set(payloads(messages)) == {f"/{i}" for i in load().topics}


def test_out_of_scope_is_declined_with_the_menu():
    messages, _ = run(ActionOutOfScope(), make_tracker("out_of_scope"))
    assert "phạm vi" in messages[0]["text"] and len(payloads(messages)) == len(load().topics)


def test_fallback_offers_the_likeliest_topics():
    ranking = [
        {"name": "nlu_fallback", "confidence": 0.3},
        {"name": "ask_login", "confidence": 0.25},
        {"name": "greet", "confidence": 0.2},
        {"name": "ask_register", "confidence": 0.15},
    ]
    messages, _ = run(ActionClarify(), make_tracker("nlu_fallback", ranking=ranking))
    assert "chưa hiểu" in messages[0]["text"]
    assert payloads(messages) == ["/ask_login", "/ask_register"]


def test_second_fallback_in_a_row_gives_the_hotline():
    tracker = make_tracker("nlu_fallback", previous_intent="nlu_fallback")
    messages, _ = run(ActionClarify(), tracker)
    assert "1900 9068" in messages[0]["text"]
