"""The content file: structure, sources, Vietnamese text, nothing dangling."""

import copy
import unicodedata

import pytest
import yaml

from actions.content import CONTENT_PATH, MAX_BUTTON_TITLE, ContentError, load, validate

HOW_TO_INTENTS = {
    "ask_install",
    "ask_login",
    "ask_change_password",
    "ask_register",
    "ask_forgot_password",
    "ask_about_vssid",
    "ask_lookup_history",
}


@pytest.fixture(scope="module")
def raw():
    return yaml.safe_load(CONTENT_PATH.read_text(encoding="utf-8"))


def test_loads_and_covers_every_how_to_intent():
    assert set(load().topics) == HOW_TO_INTENTS


def test_every_entry_names_its_source(raw):
    for gid, guide in raw["guides"].items():
        assert guide["source"].strip(), gid
    for intent, topic in raw["topics"].items():
        if "text" in topic:
            assert topic["source"].strip(), intent
        if "intro" in topic:
            assert topic["intro_source"].strip(), intent
    assert raw["hotline_source"] and raw["messages_source"]


def test_guides_follow_the_official_steps():
    content = load()
    assert len(content.guides["install_android"]["steps"]) == 3
    assert "Google Play" in content.guides["install_android"]["steps"][0]
    assert "Nhận" in content.guides["install_ios"]["steps"][2]
    steps = content.guides["change_password"]["steps"]
    assert len(steps) == 4 and "Hoàn tất" in steps[3] and "OTP" in steps[3]
    assert "mã số BHXH" in content.guides["login"]["steps"][0]
    web = content.guides["register_web"]["steps"]
    assert "dichvucong.baohiemxahoi.gov.vn" in web[0]
    assert "Cá nhân" in web[1] and "mẫu số 01" in web[2] and "Ghi nhận" in web[3]
    assert "24 giờ" in content.guides["register_app"]["steps"][-1]


def test_text_is_nfc_vietnamese_and_buttons_fit_messenger():
    content = load()

    def strings(value):
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            for v in value.values():
                yield from strings(v)
        elif isinstance(value, list):
            for v in value:
                yield from strings(v)

    for text in strings(CONTENT_PATH.read_text(encoding="utf-8")):
        assert unicodedata.is_normalized("NFC", text)
    for topic in content.topics.values():
        assert len(topic["label"]) <= MAX_BUTTON_TITLE
    for topic in content.topics.values():
        several = len(topic.get("guides", [])) > 1
        for gid in topic.get("guides", []):
            assert len(content.step_button(gid, several)["title"]) <= MAX_BUTTON_TITLE
    assert "1900 9068" in content.message("out_of_scope")
    assert "1900 9068" in content.topic_text("ask_forgot_password")


@pytest.mark.parametrize(
    "mutate, error",
    [
        (lambda r: r["guides"]["login"].pop("source"), "source"),
        (lambda r: r["guides"]["login"].update(steps=[]), "steps"),
        (lambda r: r["topics"]["ask_login"].update(guides=["nope"]), "unknown guide"),
        (lambda r: r["topics"]["ask_install"]["by_os"].pop("ios"), "by_os"),
        (lambda r: r["topics"]["ask_login"].update(label="x" * 21), "label"),
        (lambda r: r["topics"]["ask_about_vssid"].pop("source"), "source"),
        (lambda r: r["guides"]["login"].update(buttons=["ask_nothing"]), "unknown topic"),
    ],
)
def test_validation_rejects_broken_content(raw, mutate, error):
    broken = copy.deepcopy(raw)
    mutate(broken)
    with pytest.raises(ContentError, match=error):
        validate(broken)
