"""The pure parts of scripts/evaluate.py: metrics, end-to-end scoring, targets (no training)."""

from collections import Counter

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import render
from actions.actions import ActionClarify, ActionOutOfScope, ActionShowMenu, send_topic
from content import load
from scripts import eval_e2e as e2e
from scripts import eval_metrics as em
from scripts.eval_report import report
from scripts.eval_targets import EvalSet, Model, summary, targets
from scripts.eval_training import Trained
from scripts.harness import ROOT


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


def test_categories_follow_the_known_order():
    messages = [msg("a", "vni"), msg("a", "zeta"), msg("a", "telex"), msg("a", "no_diacritics")]
    assert em.categories(messages) == ["no_diacritics", "telex", "vni", "zeta"]
    scores = em.intent_scores(messages, [pred("a")] * 4)
    assert list(scores) == ["all", "no_diacritics", "telex", "vni", "zeta"]


# --- end-to-end scoring ---


def replies(*texts):
    return [{"text": t, "buttons": [{"title": "x"}]} for t in texts]


SYNTHETIC = e2e.AnswerMatcher(
    {
        "x": [("Title X",)],
        "y": [("Y one", "Y  two"), ("Y route?",)],
        "install": [("Which phone?",)],
        "install_ios": [("iOS steps",)],
        "other_service": [("No sourced guide for that.",)],
        "out_of_scope": [("Not about VssID.",)],
    },
    {"did_you_mean": [("Did you mean:",)]},
    {"install_ios": ("install",)},
)


@pytest.mark.parametrize(
    "expected, texts, outcome",
    [
        ("x", ["Title X:\nBước 1. open"], "right"),
        ("y", ["Y one", "and Y\ntwo"], "right"),  # all parts, whitespace squashed
        ("y", ["Y route?"], "right"),  # another alternative: the topic's own question
        ("y", ["Y one"], "other"),  # one part is not the answer
        ("x", ["Title X", "Y route?"], "wrong"),  # a second topic's answer
        ("x", ["Y route?"], "wrong"),
        ("x", ["Bước 1. something"], "wrong"),  # a step list that is not X's
        ("x", ["Did you mean:"], "abstained"),
        ("x", ["Not about VssID."], "abstained"),  # declined a topic
        ("x", ["No sourced guide for that."], "abstained"),  # the near miss
        ("install_ios", ["Which phone?"], "abstained"),  # asked the platform again
        ("install", ["Which phone?"], "right"),
        ("install", ["iOS steps"], "wrong"),  # a platform nobody named
        ("other_service", ["No sourced guide for that."], "right"),
        ("other_service", ["Not about VssID."], "abstained"),
        ("out_of_scope", ["Not about VssID."], "right"),
        ("out_of_scope", ["No sourced guide for that."], "abstained"),
        ("out_of_scope", ["Did you mean:"], "abstained"),
        ("out_of_scope", ["Title X"], "wrong"),
        ("out_of_scope", ["Sure:\nBước 1. Tap"], "wrong"),  # any step list
        ("x", ["Hello!"], "other"),
        ("x", [], "other"),
    ],
)
def test_outcomes_on_synthetic_replies(expected, texts, outcome):
    assert SYNTHETIC.score(expected, replies(*texts)).outcome == outcome


def test_step_lists_are_numbered_lines_only():
    assert SYNTHETIC.has_steps(replies("Title X:\nBước 2. b"))
    assert not SYNTHETIC.has_steps(replies("Ở bước 1, hướng dẫn …", "Bước sau"))


CONTENT = load()
MATCHER = e2e.AnswerMatcher.from_content(CONTENT)


def topic_reply(intent, os_name=None, route=None):
    dispatcher = CollectingDispatcher()
    send_topic(dispatcher, CONTENT, intent, os_name, route)
    return dispatcher.messages


def action_reply(action, intent="nlu_fallback", events=()):
    latest = {"text": "xyz", "intent": {"name": intent}, "intent_ranking": []}
    tracker = Tracker("u", {}, latest, list(events), False, None, {}, None)
    dispatcher = CollectingDispatcher()
    action.run(dispatcher, tracker, {})
    return dispatcher.messages


def every_answer():
    """(expected key, replies) for each topic, platform and route answer of the content."""
    for intent, topic in CONTENT.topics.items():
        key = intent.removeprefix("ask_")
        yield key, topic_reply(intent)
        for os_name, guide_id in topic.by_os.items():
            yield guide_id, topic_reply(intent, os_name)
        for route in topic.routes:
            yield key, topic_reply(intent, None, route)


ANSWERS = list(every_answer())
STEP_ANSWERS = [(k, r) for k, r in ANSWERS if MATCHER.has_steps(r)]


@pytest.mark.parametrize("expected, answer", ANSWERS, ids=[k for k, _ in ANSWERS])
def test_each_real_answer_is_right_for_its_topic_and_wrong_for_the_others(expected, answer):
    assert MATCHER.detect(answer) == {expected}
    assert MATCHER.score(expected, answer).outcome == "right"
    for other in {k for k, _ in ANSWERS} - {expected}:
        # The near miss abstains for any topic, the platform question for a platform.
        honest = expected == "other_service" or (expected, other[:8]) == ("install", "install_")
        assert MATCHER.score(other, answer).outcome == ("abstained" if honest else "wrong"), other
    oos = MATCHER.score("out_of_scope", answer).outcome
    assert oos == ("abstained" if expected == "other_service" else "wrong")


def test_real_step_lists_and_step_mode():
    assert {k for k, _ in STEP_ANSWERS} >= {"login", "change_password", "install_android"}
    step = [render.step_message(CONTENT, "change_password", 0)]
    assert MATCHER.has_steps(step)
    assert MATCHER.score("change_password", step).outcome == "right"
    assert MATCHER.score("out_of_scope", step).outcome == "wrong"


def test_real_declines_and_questions_back():
    decline = action_reply(ActionOutOfScope(), "out_of_scope")
    assert MATCHER.score("out_of_scope", decline).outcome == "right"
    assert MATCHER.score("login", decline).outcome == "abstained"
    unclear = action_reply(ActionClarify())
    assert MATCHER.detect(unclear) == {"did_you_mean_none"}
    twice = [{"event": "user", "parse_data": {"intent": {"name": "nlu_fallback"}}}] * 2
    assert MATCHER.detect(action_reply(ActionClarify(), events=twice)) == {"still_unclear"}
    menu = action_reply(ActionShowMenu(), "show_menu")
    vssid = [{"text": CONTENT.message("out_of_scope_vssid")}]
    for answer in (unclear, menu, vssid):
        for expected in ("register", "out_of_scope", "other_service"):
            assert MATCHER.score(expected, answer).outcome == "abstained"
    near_miss = topic_reply("ask_other_service")
    assert MATCHER.score("health_card", near_miss).outcome == "abstained"
    platform = topic_reply("ask_install")
    assert MATCHER.score("install_ios", platform).outcome == "abstained"
    assert MATCHER.score("install", topic_reply("ask_install", "ios")).outcome == "wrong"
    assert MATCHER.score("login", [{"text": "Xin chào!"}]).outcome == "other"


def test_matcher_keys_are_the_eval_sets_answers():
    keys = {
        e2e.expected_key(m)
        for name in ("messages", "heldout", "topics", "typing")
        for m in em.load_messages(ROOT / "eval" / f"{name}.yml")
    } - {None}
    assert keys <= set(MATCHER.answers)
    assert {"health_card", "other_service", "out_of_scope"} <= keys


def scored(expected, outcome, category="accented", steps=False):
    m = em.Message(f"text {expected}", "out_of_scope" if expected == "out_of_scope" else "i",
                   category, None, None if expected == "out_of_scope" else expected)  # fmt: skip
    return m, e2e.Scored(outcome, frozenset(), steps)


def test_tally_and_target_shares():
    rows = [
        scored("login", "right"),
        scored("login", "wrong"),
        scored("cost", "abstained", "english"),
        scored("other_service", "right"),
        scored("out_of_scope", "right"),
        scored("out_of_scope", "wrong", steps=True),
    ]
    by = e2e.tally(rows, lambda m: m.category)
    assert list(by) == ["all", "accented", "english"]
    assert by["all"] == {"right": 3, "wrong": 2, "abstained": 1}
    assert e2e.share(by["english"], "abstained") == 1.0
    assert e2e.right_covered(rows) == pytest.approx(1 / 3)  # login, login, cost
    assert e2e.wrong_share(rows) == pytest.approx(2 / 6)
    assert e2e.oos_step_lists(rows) == (1, 2)
    assert e2e.share(e2e.tally([])["all"] if e2e.tally([]) else Counter(), "right") is None


def fake_models(sets):
    trained = Trained(None, 1.0, True, "rasa train")
    ours, peer, tfidf = (Model(n, n, trained) for n in ("ours", "default", "tfidf"))
    for s in sets:
        ours.preds[s.name] = [pred(m.intent) for m in s.messages]
        peer.preds[s.name] = [pred("nlu_fallback") for _ in s.messages]
        tfidf.preds[s.name] = [pred(m.intent) for m in s.messages][:-1] + [pred("x")]
        ours.e2e[s.name] = [scored(m.guide or "out_of_scope", "right", m.category)
                            for m in s.messages if e2e.expected_key(m)]  # fmt: skip
        wrong = e2e.Scored("wrong", frozenset(), True)
        peer.e2e[s.name] = [(m, wrong) for m, _ in ours.e2e[s.name]]
    return [ours, peer, tfidf]


def test_targets_report_and_summary_on_synthetic_results():
    plain = [msg("ask_login", "no_diacritics", guide="login"), msg("out_of_scope", "out_of_scope")]
    typed = [msg("ask_login", "telex", guide="login"), msg("ask_cost", "vni", guide="cost")]
    sets = [
        EvalSet("eval/heldout.yml", plain, False, False),
        EvalSet("eval/typing.yml", typed + [msg("greet", "vni")], False, True),
    ]
    models = fake_models(sets)
    rows = {name: cells for _, name, cells in targets(sets, models)}
    assert rows["e2e wrong ≤ 1.0%"]["eval/heldout.yml"] == ("0.0%", True)
    assert rows["no step list for an out-of-scope message"]["eval/typing.yml"] is None
    assert rows["intent accuracy ≥ 96.9% (today's, `eval/heldout.yml` only)"] == {
        "eval/heldout.yml": ("100.0%", True),
        "eval/typing.yml": None,
    }
    telex = next(c for n, c in rows.items() if n.startswith("telex e2e right within 3 points"))
    assert telex == {"eval/heldout.yml": None, "eval/typing.yml": ("100.0% (+0.0)", True)}
    assert rows["ahead of tfidf (intent accuracy)"]["eval/typing.yml"][1]
    text = report(sets, models, "make eval", ["dang nhap"])
    assert "## README table" in text and "**fail**" not in text.split("## README")[0]
    assert "intent accuracy, telex (`eval/typing.yml`)" in text
    assert "FAIL" not in summary(sets, models)


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
