"""Custom actions, run with the SDK's dispatcher and tracker."""

import re
import unicodedata

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import render
from actions.actions import ActionClarify, ActionOutOfScope, ActionShowGuide, ActionShowMenu
from actions.steps import (
    ActionNextStep,
    ActionPreviousStep,
    ActionRepeatStep,
    ActionStepByStep,
    ActionStopGuide,
)
from content import MAX_BUBBLE_CHARS, load

SLOTS = {"os": None, "guide": None, "step": None, "pending_topic": None, "paused": None}


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


def bubbles(messages):
    return [m["text"] for m in messages]


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
    assert '/show_menu{"group":"install_login"}' in payloads(messages) and events == []


def test_login_gives_the_step_the_vneid_way_and_the_caution():
    messages, _ = run(ActionShowGuide(), make_tracker("ask_login"))
    text = texts(messages)
    assert "mã số BHXH" in text and "Đăng nhập bằng tài khoản định danh điện tử" in text
    assert "CCCD" in text  # the 1/8/2025 caution: no source confirms the login field
    assert {"/ask_vneid_login", "/ask_change_password"} <= set(payloads(messages))


def test_change_password_gives_the_four_steps_in_order_without_a_foreign_image():
    messages, events = run(ActionShowGuide(), make_tracker("ask_change_password"))
    text = texts(messages)
    positions = [text.index(f"Bước {n}.") for n in range(1, 5)]
    assert positions == sorted(positions)
    assert "OTP" in text and "Hoàn tất" in text and "thuvienphapluat.vn/tintuc" not in text
    assert '/step_by_step{"guide":"change_password"}' in payloads(messages)
    assert SlotSet("guide", "change_password") in events


def chosen(intent, guide):
    tracker = make_tracker("inform", {"pending_topic": intent})
    tracker.latest_message["entities"] = [{"entity": "guide", "value": guide}]
    return run(ActionShowGuide(), tracker)


def test_register_asks_app_or_web_first_then_gives_that_way():
    messages, events = run(ActionShowGuide(), make_tracker("ask_register"))
    assert len(messages) == 1 and "Bước" not in texts(messages)
    assert "cha mẹ" in texts(messages)  # children through a parent's account
    assert payloads(messages) == [
        '/inform{"guide":"register_app"}',
        '/inform{"guide":"register_web"}',
    ]
    assert SlotSet("pending_topic", "ask_register") in events

    messages, events = chosen("ask_register", "register_web")
    text = texts(messages)
    assert "https://dichvucong.baohiemxahoi.gov.vn" in text and "Ghi nhận" in text
    assert "“Đăng ký tài khoản”" not in text.split("Nguồn:")[0].split("Hướng dẫn năm 2020")[0]
    assert '/step_by_step{"guide":"register_web"}' in payloads(messages)
    assert SlotSet("guide", "register_web") in events
    messages, _ = chosen("ask_register", "register_app")
    assert "“Đăng ký tài khoản”" in texts(messages)


def test_forgot_password_asks_which_way_fits_then_gives_it():
    messages, events = run(ActionShowGuide(), make_tracker("ask_forgot_password"))
    assert "email" in texts(messages) and "Bước" not in texts(messages)
    assert (
        len(payloads(messages)) == 3 and SlotSet("pending_topic", "ask_forgot_password") in events
    )
    messages, _ = chosen("ask_forgot_password", "forgot_hotline")
    assert "1900 9068" in texts(messages) and "phím 8" in texts(messages)
    messages, _ = chosen("ask_forgot_password", "forgot_email")
    assert "“Quên mật khẩu”" in texts(messages) and "Bước 5." in texts(messages)


@pytest.mark.parametrize(
    "intent, expected",
    [
        ("ask_health_card", ["1/6/2025", "Sử dụng thẻ", "CCCD"]),
        ("ask_lookup_history", ["Quá trình tham gia", "Chi tiết"]),
        ("ask_vneid_login", ["mức 2", "Đăng nhập bằng tài khoản định danh điện tử"]),
        ("ask_find_bhxh_number", ["10 chữ số", "1/8/2025"]),
        ("ask_change_phone", ["Thông tin tài khoản", "02/SĐ-GD", "VNeID"]),
        ("ask_login_problem", ["1900 9068"]),
        ("ask_otp_problem", ["email", "1900 9068"]),
        ("ask_safety", ["OTP", "lừa đảo"]),
        ("ask_cost", ["1.000 đồng/phút"]),
        ("ask_about_vssid", ["BHXH Việt Nam", "thẻ BHYT"]),
    ],
)
def test_each_topic_answers_from_the_content(intent, expected):
    messages, _ = run(ActionShowGuide(), make_tracker(intent))
    for fact in expected:
        assert fact in texts(messages), fact


@pytest.mark.parametrize("intent", ["ask_login_problem", "ask_otp_problem", "ask_other_service"])
def test_trouble_and_near_misses_get_no_step_list(intent):
    messages, _ = run(ActionShowGuide(), make_tracker(intent))
    assert "Bước 1." not in texts(messages) and "1900 9068" in texts(messages)


def test_no_numeric_limits_only_low_sources_state():
    for intent in ("ask_login_problem", "ask_otp_problem"):
        text = texts(run(ActionShowGuide(), make_tracker(intent))[0])
        assert "15 phút" not in text and "5 lần" not in text and "5 phút" not in text


def every_answer():
    content = load()
    for intent, topic in content.topics.items():
        if topic.by_os or topic.routes:
            for guide in [*topic.by_os.values(), *topic.routes]:
                yield intent, render.answer(content, intent, guide)
            if topic.routes:
                yield intent, [render.route_question(content, intent)]
        else:
            yield intent, render.answer(content, intent, topic.guides[0] if topic.guides else None)


def test_every_answer_ends_with_its_source_line_and_fits_a_phone_screen():
    for intent, messages in every_answer():
        assert "Nguồn: " in messages[-1]["text"], intent
        for text in bubbles(messages):
            # One phone screen per bubble; a source link may add a line.
            assert len(text.split("Nguồn: ")[0]) <= MAX_BUBBLE_CHARS, (intent, len(text))
            assert unicodedata.is_normalized("NFC", text)
        assert len(payloads(messages)) <= render.MAX_ANSWER_BUTTONS


def test_old_guidance_says_it_is_old():
    messages, _ = run(ActionShowGuide(), make_tracker("ask_install", {"os": "android"}))
    assert "(thông tin từ năm 2020, có thể đã thay đổi)" in texts(messages)


def test_step_by_step_walks_forward_back_and_repeats():
    steps = load().guides["change_password"].steps
    slots = {"guide": "change_password"}
    messages, events = run(ActionStepByStep(), make_tracker("step_by_step", slots))
    assert steps[0] in messages[0]["text"] and "Bước 1/4" in messages[0]["text"]
    assert "Nguồn:" in messages[0]["text"] and SlotSet("step", 0.0) in events

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
    assert messages[0]["text"] == load().message("step_first")
    assert SlotSet("step", 0.0) in events


def test_end_of_guide_says_so_and_offers_the_menu():
    tracker = make_tracker("next_step", {"guide": "change_password", "step": 3.0})
    messages, events = run(ActionNextStep(), tracker)
    assert "làm xong các bước" in messages[0]["text"]
    assert '/show_menu{"group":"password_otp"}' in payloads(messages)
    assert SlotSet("step", 4.0) in events
    # "tiếp" again: still done, never step 1 without saying so.
    messages, _ = run(
        ActionNextStep(), make_tracker("next_step", {"guide": "change_password", "step": 4.0})
    )
    assert "làm xong các bước" in messages[0]["text"] and "Bước 1/4" not in texts(messages)


def test_next_without_a_guide_asks_what_to_guide():
    messages, _ = run(ActionNextStep(), make_tracker("next_step"))
    assert "chưa chọn hướng dẫn" in messages[0]["text"]


def test_menu_shows_groups_and_each_group_its_topics():
    content = load()
    messages, _ = run(ActionShowMenu(), make_tracker("show_menu"))
    groups = payloads(messages)
    assert 1 < len(groups) <= 6 and all(p.startswith("/show_menu") for p in groups)
    reachable = set()
    for key in content.messages["menu_groups"]:
        tracker = make_tracker("show_menu")
        tracker.latest_message["entities"] = [{"entity": "group", "value": key}]
        topics = payloads(run(ActionShowMenu(), tracker)[0])
        assert 1 <= len(topics) <= 6
        reachable |= set(topics)
    assert reachable == {f"/{i}" for i in content.topics}


def test_out_of_scope_is_declined_with_the_menu():
    messages, _ = run(ActionOutOfScope(), make_tracker("out_of_scope"))
    assert "phạm vi" in messages[0]["text"] and "Bước" not in messages[0]["text"]
    assert len(payloads(messages)) == len(load().messages["menu_groups"])


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


@pytest.mark.parametrize(
    "text, warned",
    [
        ("mật khẩu của tôi là [MẬT KHẨU] mà không vào được", True),
        ("mã otp [MÃ OTP] hết hạn rồi", True),
        ("số cccd [SỐ CCCD] đăng ký được không", True),
        ("sđt [SỐ ĐIỆN THOẠI] có đổi được không", False),  # a phone number alone: no warning
        ("quên mật khẩu vssid", False),
    ],
)
def test_a_secret_in_the_message_gets_the_warning_first(text, warned):
    tracker = make_tracker("ask_login_problem")
    tracker.latest_message["text"] = text
    messages, _ = run(ActionShowGuide(), tracker)
    first = messages[0]["text"]
    assert first.startswith(load().message("personal_data_warning")) is warned
    assert ("Nguồn:" in first and "Bước" not in first) or not warned


def test_erasure_asks_first_with_two_buttons_then_flags_the_page():
    from actions.erase import ActionAskErase, ActionEraseConversation

    messages, events = run(ActionAskErase(), make_tracker("erase_data"))
    assert payloads(messages) == ["/erase_confirm", "/deny"] and events == []
    dispatcher = CollectingDispatcher()
    ActionEraseConversation().run(dispatcher, make_tracker("erase_confirm"), {})
    assert dispatcher.messages[-1]["custom"] == {"erased": True}


def with_text(tracker, text, entities=()):
    tracker.latest_message["text"] = text
    tracker.latest_message["entities"] = list(entities)
    return tracker


def test_another_platform_named_alone_answers_the_last_platform_topic_again():
    tracker = make_tracker("inform", {"os": "ios", "guide": "install_android"})
    with_text(tracker, "còn máy vợ tôi là con táo thì sao", [{"entity": "os", "value": "ios"}])
    messages, events = run(ActionShowGuide(), tracker)
    assert "App Store" in texts(messages) and SlotSet("guide", "install_ios") in events


def test_step_by_step_asked_in_one_message_starts_at_step_1():
    tracker = with_text(make_tracker("ask_change_password"), "hướng dẫn đổi mật khẩu từng bước")
    messages, events = run(ActionShowGuide(), tracker)
    assert "Bước 1/4" in texts(messages) and SlotSet("step", 0.0) in events


def test_naming_the_other_route_inside_a_guide_switches_to_it():
    slots = {"guide": "register_app", "step": 1.0}
    tracker = with_text(make_tracker("inform", slots), "thôi em làm trên web cho chắc")
    messages, events = run(ActionShowGuide(), tracker)
    assert "dichvucong.baohiemxahoi.gov.vn" in texts(messages)
    assert SlotSet("guide", "register_web") in events
    # The user called themselves "em": the reply says "em" where it said "bạn".
    assert re.search(r"\b[Ee]m\b", texts(messages)) and not re.search(
        r"\b[Bb]ạn\b", texts(messages)
    )


@pytest.mark.parametrize("action", [ActionClarify(), ActionOutOfScope()])
def test_a_question_inside_a_guide_keeps_the_position(action):
    slots = {"guide": "register_web", "step": 2.0}
    tracker = with_text(make_tracker("nlu_fallback", slots), "bước 2 điền những gì vậy")
    messages, events = run(action, tracker)
    assert "không nói chi tiết hơn" in texts(messages) and "1900 9068" in texts(messages)
    assert "Bước 2/5" in texts(messages) and SlotSet("step", 1.0) in events
    assert '/show_menu{"group":"install_login"}' not in payloads(messages)


def test_the_same_topic_asked_inside_its_guide_is_a_question_about_the_step():
    slots = {"guide": "register_web", "step": 2.0}
    tracker = with_text(make_tracker("ask_register", slots), "điền những thông tin gì")
    messages, _ = run(ActionShowGuide(), tracker)
    assert "không nói chi tiết hơn" in texts(messages) and "Bước 3/5" in texts(messages)


def test_stop_leaves_step_mode_and_offers_the_menu():
    messages, events = run(
        ActionStopGuide(), make_tracker("stop_guide", {"guide": "login", "step": 0.0})
    )
    assert SlotSet("step", None) in events and '/show_menu{"group":"account"}' in payloads(messages)


def test_a_detour_pauses_the_guide_and_resume_continues_it():
    slots = {"guide": "change_password", "step": 1.0}
    tracker = with_text(make_tracker("ask_health_card", slots), "thẻ bhyt trên app ở đâu")
    _, events = run(ActionShowGuide(), tracker)
    assert SlotSet("paused", "change_password:1") in events
    slots = {"guide": "health_card_app", "step": None, "paused": "change_password:1"}
    tracker = make_tracker("ask_change_password", slots)
    with_text(tracker, "quay lại đổi mật khẩu, bước tiếp theo")
    messages, events = run(ActionShowGuide(), tracker)
    assert "Bước 3/4" in texts(messages) and SlotSet("paused", None) in events


@pytest.mark.parametrize(
    "text, form",
    [
        ("cho chị hỏi cách đổi mật khẩu", "Chị"),
        ("bác muốn đổi mật khẩu", "Bác"),
        ("doi mat khau", None),
    ],
)
def test_replies_address_users_as_they_speak_of_themselves(text, form):
    tracker = with_text(make_tracker("ask_install"), text)
    messages, events = run(ActionShowGuide(), tracker)
    first = messages[0]["text"]
    if form:
        assert (
            first.startswith(f"{form} dùng điện thoại")
            and SlotSet("address", form.lower()) in events
        )
    else:
        assert first.startswith("Bạn dùng điện thoại")


def test_back_to_the_paused_guide_from_a_step_intent_resumes_it():
    slots = {"guide": "health_card_app", "step": None, "paused": "change_password:1"}
    tracker = with_text(make_tracker("next_step", slots), "quay lai doi mat khau, buoc tiep theo")
    messages, events = run(ActionNextStep(), tracker)
    assert "Bước 3/4" in texts(messages) and SlotSet("paused", None) in events
