"""The real bot over the REST channel, as a new user would try it."""

import uuid

import pytest


def joined(replies):
    return "\n".join(r.get("text", "") for r in replies)


def buttons(replies):
    return [b["title"] for r in replies for b in r.get("buttons") or []]


def new_user():
    return f"rest-{uuid.uuid4().hex[:8]}"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Làm sao để đổi mật khẩu VssID?", ["Hoàn tất", "OTP"]),
        ("doi mat khau vssid", ["Hoàn tất", "OTP"]),
        ("đăng nhập vssid thế nào", ["mã số BHXH"]),
        ("dang nhap vssid the nao", ["mã số BHXH"]),
        ("chưa có tài khoản thì đăng ký sao", ["ứng dụng VssID hay trên trang web"]),
        ("dk tk vssid ntn", ["ứng dụng VssID hay trên trang web"]),
        ("quên mật khẩu vssid", ["1900 9068"]),
        ("vssid la gi", ["BHXH Việt Nam"]),
        ("cài vssid cho iphone", ["App Store", "Nhận"]),
        ("tai vssid tren dien thoai samsung", ["CH Play"]),
    ],
)
def test_how_to_questions_get_the_guide(rest, text, expected):
    reply = joined(rest(new_user(), text))
    for fragment in expected:
        assert fragment in reply


def test_install_asks_for_the_platform_then_answers(rest):
    user = new_user()
    replies = rest(user, "cai vssid nhu the nao")
    assert "Android hay iPhone" in joined(replies)
    assert buttons(replies) == ["Android", "iPhone (iOS)"]
    assert "CH Play" in joined(rest(user, "android"))
    # The platform is remembered for the next install question.
    assert "CH Play" in joined(rest(user, "tải vssid ở đâu"))


def test_step_by_step_over_rest(rest):
    user = new_user()
    rest(user, "đổi mật khẩu vssid")
    first = joined(rest(user, "hướng dẫn từng bước"))
    assert "Bước 1/4" in first
    assert "Bước 2/4" in joined(rest(user, "tiếp"))
    assert "Bước 2/4" in joined(rest(user, "nhắc lại"))
    assert "Bước 1/4" in joined(rest(user, "quay lại"))
    for _ in range(3):
        rest(user, "tiep")
    assert "làm xong các bước" in joined(rest(user, "tiep"))


def test_greeting_offers_the_menu_and_out_of_scope_is_declined(rest):
    user = new_user()
    assert "Cài đặt & đăng nhập" in buttons(rest(user, "xin chào"))
    replies = rest(user, "lương hưu của tôi được bao nhiêu")
    assert "phạm vi" in joined(replies) and "Bước" not in joined(replies)


def test_register_asks_the_route_then_a_tap_gives_those_steps(rest):
    user = new_user()
    assert "Trên trang web" in buttons(rest(user, "dang ky tai khoan vssid"))
    replies = rest(user, '/inform{"guide":"register_web"}')
    assert "mẫu số 01" in joined(replies) and "Chụp hoặc tải lên ảnh" not in joined(replies)


def test_the_running_bot_has_every_addon_switched_on(rasa_server):
    import json
    import urllib.request

    with urllib.request.urlopen(f"{rasa_server.url}/webhooks/rest/", timeout=10) as response:
        patches = json.loads(response.read())["patches"]
    import addons

    assert patches == dict.fromkeys(addons.PATCHES, True)
    assert {"strict_tracker_store", "action_guard", "choices", "erasure"} <= set(patches)


def test_a_typed_number_picks_the_option_shown(rest):
    user = new_user()
    menu = rest(user, "menu")
    titles = buttons(menu)
    again = rest(user, "9")  # no option 9: the same options again
    assert buttons(again) == titles and "từ 1 đến 5" in joined(again)
    group = rest(user, f"cái thứ {titles.index('Mật khẩu & OTP') + 1}")
    topics = buttons(group)
    assert "Đổi mật khẩu" in topics
    assert "Hoàn tất" in joined(rest(user, str(topics.index("Đổi mật khẩu") + 1)))


def test_gibberish_twice_gives_the_hotline(rest):
    user = new_user()
    assert "chưa hiểu" in joined(rest(user, "qwxz plmk vbnr"))
    assert "1900 9068" in joined(rest(user, "zzkq wpxj"))
