"""The content file: schema, sources, Vietnamese text, nothing dangling, and
every topic wired to the domain and the rules."""

import copy
import datetime
import pathlib
import unicodedata

import pytest
import yaml

from content import CONTENT_PATH, MAX_BUBBLE_CHARS, MAX_BUTTON_TITLE, ContentError, load, validate

ROOT = pathlib.Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def raw():
    return yaml.safe_load(CONTENT_PATH.read_text(encoding="utf-8"))


def domain():
    return yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))


def test_every_topic_is_a_domain_intent_with_a_rule():
    intents = set(domain()["intents"])
    rules = yaml.safe_load((ROOT / "data" / "rules.yml").read_text(encoding="utf-8"))["rules"]
    answered = {
        step["intent"]
        for rule in rules
        if any(s.get("action") == "action_show_guide" for s in rule["steps"])
        for step in rule["steps"]
        if "intent" in step
    }
    for intent in load().topics:
        assert intent in intents, intent
        assert intent in answered, f"no rule sends {intent} to action_show_guide"


def test_every_button_payload_is_a_domain_intent():
    from actions import render

    content, intents = load(), set(domain()["intents"])
    buttons = render.menu_buttons(content)
    for group in content.messages["menu_groups"]:
        buttons += render.menu_buttons(content, group)
    for intent, topic in content.topics.items():
        for gid in [*topic.guides, *topic.routes, *topic.by_os.values()]:
            buttons += render.answer(content, intent, gid)[-1]["buttons"]
    for gid in content.guides:
        for index in range(len(content.guides[gid].steps)):
            buttons += render.step_message(content, gid, index)["buttons"]
    for topic in content.topics.values():
        buttons += render.route_buttons(content, topic.routes)
        buttons += render.os_buttons(content, topic.by_os)
    for button in buttons:
        intent = button["payload"].lstrip("/").split("{")[0]
        assert intent in intents, button


def test_every_entry_names_dated_sources_and_when_it_was_checked():
    content = load()
    today = datetime.date.today().isoformat()
    for entry in [*content.guides.values(), *content.topics.values()]:
        assert entry.sources and entry.checked <= today
        for source_id in entry.sources:
            source = content.sources[source_id]
            assert source.publisher and source.cite and source.date and source.rank
        assert content.source_line(entry).startswith("Nguồn: ")


def test_guidance_older_than_two_years_says_so():
    content = load()
    guide = content.guides["install_android"]
    note = content.message("source_old", year=2020)
    assert content.guides["install_android"].sources == ["cv3717_2020", "daknong_2025_luadao"]
    guide = content.guides["register_web"]  # the 2020 guide alone
    assert content.source_line(guide, today=datetime.date(2026, 12, 1)).endswith(note)
    assert note not in content.source_line(guide, today=datetime.date(2021, 1, 1))


def test_text_is_nfc_and_fits_buttons_and_screens():
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

    for text in strings(yaml.safe_load(CONTENT_PATH.read_text(encoding="utf-8"))):
        assert unicodedata.is_normalized("NFC", text)
    for topic in content.topics.values():
        assert len(topic.label) <= MAX_BUTTON_TITLE
    assert len(content.messages["step_offer"]) <= MAX_BUTTON_TITLE
    assert content.bubble_overflows() == [], f"over {MAX_BUBBLE_CHARS} characters"


@pytest.mark.parametrize(
    "mutate, error",
    [
        (lambda r: r["guides"]["login"].pop("sources"), "sources"),
        (lambda r: r["guides"]["login"].update(sources=["nope"]), "unknown source"),
        (lambda r: r["guides"]["login"].update(steps=[]), "steps"),
        (lambda r: r["guides"]["login"].update(steps=["x"] * 7), "steps"),
        (lambda r: r["topics"]["ask_login"].update(guides=["nope"]), "unknown guide"),
        (lambda r: r["topics"]["ask_install"]["by_os"].pop("ios"), "by_os"),
        (lambda r: r["topics"]["ask_login"].update(label="x" * 21), "label"),
        (lambda r: r["topics"]["ask_about_vssid"].update(checked="hôm qua"), "date"),
        (lambda r: r["guides"]["login"].update(buttons=["ask_nothing"]), "unknown topic"),
        (lambda r: r["sources"]["cv3717_2020"].update(rank="Z"), "rank"),
        (lambda r: r["messages"].pop("service_down"), "service_down"),
    ],
)
def test_validation_rejects_broken_content(raw, mutate, error):
    broken = copy.deepcopy(raw)
    mutate(broken)
    with pytest.raises(ContentError, match=error):
        validate(broken)


def test_the_action_server_registers_every_domain_action():
    from rasa_sdk.executor import ActionExecutor

    executor = ActionExecutor()
    executor.register_package("actions")
    assert set(domain()["actions"]) <= set(executor.actions)
