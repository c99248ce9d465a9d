"""`make review` on a store filled by the real bot: the scripted conversations
of scripts/review_demo.py (known outcomes, over REST, the action server
stopped for the last one), then the review of that SQLite database. Every
count of the report is checked against the script."""

from __future__ import annotations

import datetime
import json
import shutil
from collections import Counter

import pytest
import yaml

from scripts import review, review_demo
from scripts.harness import SingleMachine
from scripts.review_data import VIETNAM

TEXTS = {step[1] for step in review_demo.SCRIPT}
UNANSWERED = {
    "lương hưu của tôi được bao nhiêu", "luong huu thang nay bao nhieu",
    "thời tiết hôm nay thế nào", "qwxz plmk vbnr", "zzkq wpxj",
    "dang nhap vssid the nao",  # its answer was rated "Chưa đúng ý"
}  # fmt: skip


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """The script played once; the database kept after the bot stops."""
    bot = SingleMachine(tmp_path_factory.mktemp("review-logs")).start()
    try:
        played = review_demo.play(bot, prefix="t")
        db = tmp_path_factory.mktemp("review-db") / "rasa.db"
        shutil.copy(bot.data / "rasa.db", db)
    finally:
        bot.stop()
    return played, f"sqlite:///{db}"


def report(run, tmp_path, *args):
    out = tmp_path / "review"
    assert review.main(["--db", run[1], "--out", str(out), "--html", *args]) == 0
    return out, json.loads((out / "summary.json").read_text(encoding="utf-8"))


def test_the_bot_replied_as_the_script_expects(run):
    # Feedback asked after a how-to answer and at the last step, not twice
    # in a row, not after each step, never after a question back.
    for (conversation, text, _, asks, fragment), replies in run[0]:
        said = "\n".join(r.get("text", "") for r in replies)
        assert fragment in said, (conversation, text, said)
        asked = [r for r in replies if r.get("text") == review_demo.FEEDBACK_ASK]
        assert bool(asked) == asks, (conversation, text)
        if asked:
            titles = [b["title"] for b in asked[0]["buttons"]]
            assert titles == ["Hữu ích", "Chưa đúng ý"]


def test_counts_match_the_script(run, tmp_path):
    out, summary = report(run, tmp_path)
    declared = Counter(step[2] for step in review_demo.SCRIPT)
    assert summary["outcomes"] == {"answered": 12, "asked back": 3, "declined": 3, "apologised": 1}
    assert summary["outcomes"] == dict(declared)
    assert (summary["turns"], summary["conversations"]) == (19, 7)
    today = str(datetime.datetime.now(VIETNAM).date())
    assert summary["days"] == {
        today: {"turns": 19, "conversations": 7, "answered": 12, "asked back": 3,
                "declined": 3, "apologised": 1},
    }  # fmt: skip
    assert summary["channels"] == {"rest": 19}
    assert summary["feedback"] == {
        "ask_change_password": {"offered": 2, "good": 2, "bad": 0},
        "ask_install": {"offered": 1, "good": 0, "bad": 0},
        "ask_login": {"offered": 1, "good": 0, "bad": 1},
    }
    markdown = (out / "report.md").read_text(encoding="utf-8")
    assert "7 conversations, 19 turns; answered 12 (63 %); asked back 3 (16 %)" in markdown
    assert f"| {today} | 7 | 19 | 12 (63 %) | 3 (16 %) | 3 (16 %) | 1 (5 %) |" in markdown
    assert "| Đổi mật khẩu (ask_change_password) | 2 | 2 | 0 | 2 (100 %) | 2 (100 %) |" in markdown
    assert "| Đăng nhập (ask_login) | 1 | 0 | 1 | 0 (0 %) | 1 (100 %) |" in markdown
    assert "| rest | 19 |" in markdown
    for chart in ("days.png", "feedback.png", "overview.png"):
        assert (out / chart).read_bytes().startswith(b"\x89PNG"), chart
    assert "<table>" in (out / "report.html").read_text(encoding="utf-8")


def test_unanswered_grouped_by_similarity_and_exported_for_labelling(run, tmp_path):
    out, summary = report(run, tmp_path)
    groups = [g["texts"] for g in summary["unanswered"]]
    assert sum(g["count"] for g in summary["unanswered"]) == len(UNANSWERED)
    # The two pension questions (accented and not) are one group, the largest.
    assert set(groups[0]) == {"lương hưu của tôi được bao nhiêu", "luong huu thang nay bao nhieu"}
    assert len(groups) == 5
    kinds = Counter()
    for found in summary["unanswered"]:
        kinds.update(found["kinds"])
    assert kinds == {"out of scope": 3, "fallback": 2, "negative feedback": 1}
    exported = yaml.safe_load((out / "unanswered.yml").read_text(encoding="utf-8"))
    assert exported["version"] == "3.1"
    assert all(block["intent"] == "" for block in exported["nlu"])
    examples = [
        line.removeprefix("- ")
        for block in exported["nlu"]
        for line in block["examples"].splitlines()
    ]
    assert sorted(examples) == sorted(UNANSWERED)


def test_the_period_selects_the_turns(run, tmp_path):
    today = datetime.datetime.now(VIETNAM).date()
    day = datetime.timedelta(days=1)
    assert report(run, tmp_path, "--since", str(today + day))[1]["turns"] == 0
    assert report(run, tmp_path, "--until", str(today - day))[1]["turns"] == 0
    period = ("--since", str(today), "--until", str(today))
    assert report(run, tmp_path, *period)[1]["turns"] == 19


def test_close_calls_list_typed_messages_only(run, tmp_path):
    # With a margin above 1 every typed message ranked by the model is a close
    # call; not the button payloads ("/feedback_bad", "1" read as
    # "/feedback_good") nor the gibberish the vocabulary gate ranks no intent for.
    close = report(run, tmp_path, "--close", "1.01")[1]["close"]
    unranked = {"/feedback_bad", "1", "qwxz plmk vbnr", "zzkq wpxj"}
    assert sorted(c["text"] for c in close) == sorted(TEXTS - unranked)
    assert report(run, tmp_path, "--close", "0")[1]["close"] == []


def test_a_missing_database_is_one_line_not_a_traceback(tmp_path, capsys):
    assert review.main(["--db", f"sqlite:///{tmp_path}/none.db", "--out", str(tmp_path)]) == 1
    assert "no SQLite tracker store" in capsys.readouterr().err
