"""The pure parts of scripts/evaluate.py: metrics and the guide matcher (no training)."""

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.actions import send_topic
from content import load
from scripts import eval_metrics as em


def msg(intent, category="accented", os=None, guide=None):
    return em.Message(f"text {intent}", intent, category, os, guide)


def pred(intent, *os):
    return em.Prediction(intent, 0.9, frozenset(os))


def test_accuracy_and_macro_f1():
    gold = ["a", "a", "b", "c"]
    predicted = ["a", "b", "b", "nlu_fallback"]
    assert em.accuracy(gold, predicted) == 0.5
    # a: tp1 fn1 -> 2/3; b: tp1 fp1 -> 2/3; c: 0; nlu_fallback is no class of its own
    assert em.f1_by_label(gold, predicted) == pytest.approx({"a": 2 / 3, "b": 2 / 3, "c": 0})
    assert em.macro_f1(gold, predicted) == pytest.approx(4 / 9)
    assert em.accuracy([], []) == 0.0


def test_scores_per_category():
    messages = [
        msg("a", "accented"),
        msg("b", "accented"),
        msg("a", "no_diacritics"),
        msg("out_of_scope", "out_of_scope"),
    ]
    preds = [pred("a"), pred("a"), pred("a"), pred("nlu_fallback")]
    scores = em.intent_scores(messages, preds)
    assert list(scores) == ["all", "accented", "no_diacritics", "out_of_scope"]
    assert scores["all"] == em.Scores(4, 0.5, pytest.approx(0.8 / 3))  # a: tp 2, fp 1
    assert scores["accented"].accuracy == 0.5
    assert scores["accented"].macro_f1 == pytest.approx((2 / 3 + 0) / 2)
    assert scores["no_diacritics"] == em.Scores(1, 1.0, 1.0)
    assert scores["out_of_scope"].accuracy == 0.0


def test_os_entity_scores():
    messages = [msg("i", os="ios"), msg("i", os="android"), msg("i"), msg("i", os="ios")]
    preds = [pred("i", "ios"), pred("i", "ios"), pred("i", "android"), pred("i")]
    s = em.os_scores(messages, preds)
    assert (s.tp, s.fp, s.fn) == (1, 2, 2)
    assert s.precision == pytest.approx(1 / 3)
    assert s.recall == pytest.approx(1 / 3)
    assert s.f1 == pytest.approx(1 / 3)
    assert em.os_scores([msg("i")], [pred("i")]).f1 == 0.0


def test_refusals():
    messages = [msg("out_of_scope")] * 4 + [msg("a")] * 5
    preds = [pred("out_of_scope"), pred("nlu_fallback"), pred("a"), pred("out_of_scope")]
    preds += [pred("a"), pred("a"), pred("nlu_fallback"), pred("b"), pred("a")]
    r = em.refusals(messages, preds)
    assert (r.oos_n, r.in_scope_n) == (4, 5)
    assert r.oos_recall == 0.75
    assert r.oos_recall_strict == 0.5
    assert r.wrongly_refused == 0.2


def test_confusion_puts_predicted_only_labels_last():
    labels, counts = em.confusion(["b", "a", "a"], ["b", "a", "nlu_fallback"])
    assert labels == ["a", "b", "nlu_fallback"]
    assert counts == [[1, 0, 1], [0, 1, 0], [0, 0, 0]]


def replies(*texts):
    return [{"text": t, "buttons": [{"title": "x"}]} for t in texts]


def test_matcher_on_synthetic_markers():
    matcher = em.GuideMatcher({"x": ["Title X"], "y": ["Y one", "Y  two"], "z": ["Zed"]})
    assert matcher.detect(replies("Title X:\nBước 1. …")) == {"x"}
    assert matcher.is_right("x", replies("Title X:"))
    assert not matcher.is_right("y", replies("Y one"))  # both parts are needed
    assert matcher.is_right("y", replies("Y one", "and Y\ntwo"))  # whitespace is squashed
    assert not matcher.is_right("x", replies("Title X", "Zed"))  # a second guide is wrong
    assert not matcher.is_right("x", [])


def bot_reply(intent, os_name=None):
    dispatcher = CollectingDispatcher()
    send_topic(dispatcher, load(), intent, os_name)
    return dispatcher.messages


@pytest.mark.parametrize(
    "intent, os_name, expected",
    [
        ("ask_install", None, "install"),
        ("ask_install", "android", "install_android"),
        ("ask_install", "ios", "install_ios"),
        ("ask_login", None, "login"),
        ("ask_change_password", None, "change_password"),
        ("ask_register", None, "register"),
        ("ask_forgot_password", None, "forgot_password"),
        ("ask_about_vssid", None, "about_vssid"),
        ("ask_lookup_history", None, "lookup_history"),
    ],
)
def test_matcher_recognises_each_real_answer_and_only_it(intent, os_name, expected):
    matcher = em.GuideMatcher.from_content(load())
    assert matcher.detect(bot_reply(intent, os_name)) == {expected}


def test_matcher_keys_are_the_eval_set_guides():
    matcher = em.GuideMatcher.from_content(load())
    assert {m.guide for m in em.load_messages() if m.guide} <= set(matcher.markers)


def test_e2e_by_guide():
    a, b = msg("ask_login", guide="login"), msg("ask_install", guide="install")
    assert em.e2e_by_guide([(a, True), (a, False), (b, True)]) == {
        "all": (3, pytest.approx(2 / 3)),
        "install": (1, 1.0),
        "login": (2, 0.5),
    }


def test_overlaps_compare_normalised_text():
    messages = [
        em.Message("Đổi mk VssID ntn?", "ask_change_password", "abbreviation"),
        em.Message("vssid là ứng dụng gì", "ask_about_vssid", "accented"),
        em.Message("thời tiết hôm nay", "out_of_scope", "out_of_scope"),
    ]
    train = ["doi mat khau vssid nhu the nao", "VssID là ứng dụng gì vậy?", "cài vssid"]
    found = {m.text: (t, r) for m, t, r in em.overlaps(train, messages)}
    assert found["Đổi mk VssID ntn?"] == ("doi mat khau vssid nhu the nao", 1.0)
    assert found["vssid là ứng dụng gì"][0] == "VssID là ứng dụng gì vậy?"
    assert 0.9 <= found["vssid là ứng dụng gì"][1] < 1
    assert "thời tiết hôm nay" not in found
