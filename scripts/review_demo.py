"""A scripted run with known outcomes, then `make review` on its database.

    python -m scripts.review_demo [--out DIR] [--example docs/review-example.png]

Starts the real bot (scripts.harness.SingleMachine: action server, `rasa
run`, SQLite in a temporary directory), plays SCRIPT over REST, stops the
action server for the last conversation (the apology), and writes the review
of that database to DIR (default docs/review/demo, git-ignored). With
--example it also copies the overview chart there: the README's picture.
tests/test_review.py plays the same script and checks every count.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import shutil
import sys
import tempfile
import urllib.request

from scripts import review
from scripts.harness import SingleMachine

ANSWERED, ASKED_BACK, DECLINED, APOLOGISED = "answered", "asked back", "declined", "apologised"
FEEDBACK_ASK = "Câu trả lời này có giúp được bạn không?"

# (conversation, text, outcome, feedback asked?, a fragment of the reply).
# "1" picks the first button shown (addons/choices.py); conversation
# "outage" runs with the action server stopped.
SCRIPT = [
    ("useful", "đổi mật khẩu vssid", ANSWERED, True, "Hoàn tất"),
    ("useful", "huu ich", ANSWERED, False, "Cảm ơn bạn đã cho biết"),
    ("wrong", "dang nhap vssid the nao", ANSWERED, True, "mã số BHXH"),
    ("wrong", "/feedback_bad", ANSWERED, False, "1900 9068"),
    ("platform", "cai vssid", ASKED_BACK, False, "Android hay iPhone"),
    ("platform", "android", ANSWERED, True, "CH Play"),
    ("platform", "tra cứu quá trình đóng bhxh", ANSWERED, False, "Bước 1"),
    ("platform", "chua dung y", ANSWERED, False, "hỏi lại bằng câu khác"),
    ("pension", "lương hưu của tôi được bao nhiêu", DECLINED, False, "phạm vi"),
    ("pension", "luong huu thang nay bao nhieu", DECLINED, False, "phạm vi"),
    ("pension", "thời tiết hôm nay thế nào", DECLINED, False, "phạm vi"),
    ("unclear", "qwxz plmk vbnr", ASKED_BACK, False, "chưa hiểu"),
    ("unclear", "zzkq wpxj", ASKED_BACK, False, "1900 9068"),
    ("steps", "doi mk vssid ntn tung buoc", ANSWERED, False, "Bước 1/4"),
    ("steps", "tiếp", ANSWERED, False, "Bước 2/4"),
    ("steps", "tiep", ANSWERED, False, "Bước 3/4"),
    ("steps", "bước tiếp theo", ANSWERED, True, "Bước 4/4"),
    ("steps", "1", ANSWERED, False, "Cảm ơn bạn đã cho biết"),
    ("outage", "đăng nhập vssid", APOLOGISED, False, "hệ thống đang bận"),
]
OUTAGE = "outage"


def send(url: str, sender: str, text: str) -> list[dict]:
    body = json.dumps({"sender": sender, "message": text}).encode()
    request = urllib.request.Request(
        f"{url}/webhooks/rest/webhook", body, {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def play(bot: SingleMachine, prefix: str = "demo") -> list[tuple[tuple, list[dict]]]:
    """Plays SCRIPT; returns each step with the bot's replies."""
    played = []
    for step in SCRIPT:
        conversation, text = step[0], step[1]
        if conversation == OUTAGE and bot.actions.alive():
            bot.actions.stop()
        played.append((step, send(bot.url, f"{prefix}-{conversation}", text)))
    return played


def database(bot: SingleMachine) -> str:
    return f"sqlite:///{bot.data / 'rasa.db'}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=pathlib.Path, default=review.DEFAULT_OUT / "demo")
    parser.add_argument("--example", type=pathlib.Path, help="copy the overview chart here")
    args = parser.parse_args(argv)
    bot = SingleMachine(pathlib.Path(tempfile.mkdtemp(prefix="review-demo-logs-"))).start()
    try:
        play(bot)
        code = review.main(["--db", database(bot), "--out", str(args.out), "--html"])
    finally:
        bot.stop()
    if code == 0 and args.example:
        shutil.copy(args.out / "overview.png", args.example)
    return code


if __name__ == "__main__":
    sys.exit(main())
