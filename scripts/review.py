"""`make review`: what users asked and how the bot did, from the tracker store.

    python -m scripts.review [--db URL] [--since YYYY-MM-DD] [--until YYYY-MM-DD]
                             [--out DIR] [--html] [--close 0.1]

Reads the `events` table of Rasa's SQL tracker store (default: the SQLite file
of endpoints.yml; the scale-out profile's PostgreSQL with
`--db postgresql://user:pass@host/rasa`) and writes into DIR (default
docs/review/, git-ignored):
- report.md (and report.html with --html): turns and conversations per day
  with the share answered / asked back / declined / apologised (definitions
  in scripts/review_data.py), turns per channel, feedback per topic, the
  unanswered messages grouped by similarity (scripts/review_text.py), and the
  messages whose two best intents were within --close of each other;
- days.png, feedback.png, overview.png (scripts/review_charts.py);
- unanswered.yml: those messages as NLU data with the intent left to fill in;
- summary.json: the report's counts, for scripts and tests.
User text in the store is already masked (privacy/); it is masked again here.
Days are Vietnam's (UTC+7).
"""

from __future__ import annotations

import argparse
import datetime
import json
import pathlib
import sys
from collections import Counter

from scripts import review_charts as charts
from scripts import review_data as data
from scripts import review_text as text
from scripts.review_render import render_html, render_markdown

ROOT = pathlib.Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "docs" / "review"
CLOSE = 0.1  # two best intents nearer than this: the model hesitated
MAX_LISTED = 50  # rows per list in the report (the YAML export has them all)


def _share(n: int, total: int) -> str:
    return f"{n} ({100 * n / total:.0f} %)" if total else "0"


def _scored(pair) -> str:
    return f"{pair[0]} {pair[1]:.2f}"


def _label(topic: str, short: bool = False) -> str:
    try:
        from content import load

        found = load().topics.get(topic)
    except Exception:  # noqa: BLE001 - a label is a nicety; the intent name will do
        found = None
    if not found:
        return topic
    return found.label if short else f"{found.label} ({topic})"


def unanswered(store: data.Store) -> list[text.Unanswered]:
    found = [
        text.Unanswered(t.text, t.unanswered, t.channel)
        for t in store.turns
        if t.unanswered and t.typed
    ]
    for rating in store.ratings:
        if rating.rating == "bad" and rating.question:
            found.append(text.Unanswered(rating.question, data.NEGATIVE, "", rating.topic))
    return found


def close_calls(store: data.Store, margin: float) -> list[data.Turn]:
    return [
        t
        for t in store.turns
        if t.typed and len(t.ranking) > 1 and t.ranking[0][1] - t.ranking[1][1] < margin
    ]


def summarise(store: data.Store, margin: float = CLOSE) -> tuple[dict, list]:
    """Every count the report shows, as plain data (also summary.json)."""
    days: dict[str, dict] = {}
    for turn in store.turns:
        day = days.setdefault(
            str(turn.day), {"turns": 0, "senders": set(), **dict.fromkeys(data.OUTCOMES, 0)}
        )
        day["turns"] += 1
        day["senders"].add(turn.sender)
        day[turn.outcome] += 1
    for day in days.values():
        day["conversations"] = len(day.pop("senders"))
    topics: dict[str, dict] = {}
    for offer in store.offers:
        topics.setdefault(offer.topic, {"offered": 0, "good": 0, "bad": 0})["offered"] += 1
    for rating in store.ratings:
        topics.setdefault(rating.topic, {"offered": 0, "good": 0, "bad": 0})[rating.rating] += 1
    channels = Counter(t.channel for t in store.turns)
    groups = text.group(unanswered(store))
    return {
        "turns": len(store.turns),
        "conversations": len({t.sender for t in store.turns}),
        "outcomes": {o: sum(d[o] for d in days.values()) for o in data.OUTCOMES},
        "days": dict(sorted(days.items())),
        "channels": dict(channels.most_common()),
        "feedback": dict(sorted(topics.items(), key=lambda kv: (-kv[1]["offered"], kv[0]))),
        "unanswered": [
            {"count": g.count, "kinds": dict(g.kinds), "texts": dict(g.texts)} for g in groups
        ],
        "close": [
            {"text": t.text, "first": t.ranking[0], "second": t.ranking[1]}
            for t in close_calls(store, margin)
        ],
    }, groups


def sections(summary: dict, period: str, source: str) -> list[tuple]:
    """The report as blocks: ("h", text), ("p", text), ("table", head, rows), ("img", file, alt)."""
    total, outcomes = summary["turns"], summary["outcomes"]
    blocks: list[tuple] = [
        ("h", f"Review of the conversations, {period}"),
        ("p", f"Source: {source}. {summary['conversations']} conversations, {total} turns; "
              + "; ".join(f"{o} {_share(n, total)}" for o, n in outcomes.items()) + "."),
        ("h2", "Per day"),
        ("table", ["day", "conversations", "turns", *data.OUTCOMES],
         [[day, d["conversations"], d["turns"], *(_share(d[o], d["turns"]) for o in data.OUTCOMES)]
          for day, d in summary["days"].items()]),
        ("img", "days.png", "Turns per day by outcome"),
        ("h2", "Per channel"),
        ("table", ["channel", "turns"], [[c, n] for c, n in summary["channels"].items()]),
        ("h2", "Feedback per topic"),
        ("table", ["topic", "offered", "good", "bad", "good share", "answered the question"],
         [[_label(t), f["offered"], f["good"], f["bad"], _share(f["good"], f["good"] + f["bad"]),
           _share(f["good"] + f["bad"], f["offered"])] for t, f in summary["feedback"].items()]),
        ("img", "feedback.png", "Ratings per topic"),
        ("h2", "Unanswered messages, grouped by similarity"),
        ("p", "Fallback, out of scope, and the questions whose answer was rated "
              "“Chưa đúng ý”; most frequent group first. All of them, ready to label: "
              "unanswered.yml."),
        ("table", ["group", "messages", "why", "texts (count)"],
         [[n, g["count"], ", ".join(f"{k} {c}" for k, c in g["kinds"].items()),
           "; ".join(f"{t} ({c})" for t, c in g["texts"].items())]
          for n, g in enumerate(summary["unanswered"][:MAX_LISTED], 1)]),
        ("h2", "Close calls: the two best intents nearly tied"),
        ("table", ["text", "first", "second", "margin"],
         [[c["text"], _scored(c["first"]), _scored(c["second"]),
           f"{c['first'][1] - c['second'][1]:.2f}"] for c in summary["close"][:MAX_LISTED]]),
    ]  # fmt: skip
    return blocks


def write(summary: dict, groups, out: pathlib.Path, period: str, source: str, html: bool) -> None:
    out.mkdir(parents=True, exist_ok=True)
    days = list(summary["days"])
    outcomes = {o: [summary["days"][d][o] for d in days] for o in data.OUTCOMES}
    rated = summary["feedback"]
    topics = [_label(t, short=True) for t in rated]
    good, bad = [f["good"] for f in rated.values()], [f["bad"] for f in rated.values()]
    silent = [max(f["offered"] - f["good"] - f["bad"], 0) for f in rated.values()]
    charts.days_chart(out / "days.png", days, outcomes)
    charts.feedback_chart(out / "feedback.png", topics, good, bad, silent)
    charts.overview_chart(out / "overview.png", days, outcomes, topics, good, bad, silent)
    blocks = sections(summary, period, source)
    (out / "report.md").write_text(render_markdown(blocks), encoding="utf-8")
    if html:
        (out / "report.html").write_text(render_html(blocks), encoding="utf-8")
    (out / "unanswered.yml").write_text(text.nlu_yaml(groups, period), encoding="utf-8")
    (out / "summary.json").write_text(
        json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8"
    )


def default_db() -> str:
    from scripts.purge_settings import endpoints_url

    url = endpoints_url(ROOT / "endpoints.yml")
    if (
        url.get_backend_name() == "sqlite"
        and url.database
        and not pathlib.Path(url.database).is_absolute()
    ):
        url = url.set(database=str(ROOT / url.database))
    return url.render_as_string(hide_password=False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--db", help="SQLAlchemy URL of the tracker store (default: endpoints.yml's)"
    )
    parser.add_argument("--since", type=datetime.date.fromisoformat, help="first day, YYYY-MM-DD")
    parser.add_argument("--until", type=datetime.date.fromisoformat, help="last day, YYYY-MM-DD")
    parser.add_argument("--out", type=pathlib.Path, default=DEFAULT_OUT)
    parser.add_argument("--html", action="store_true", help="also write report.html")
    parser.add_argument("--close", type=float, default=CLOSE, help="margin of a close call")
    args = parser.parse_args(argv)
    url = args.db or default_db()
    try:
        store = data.read(url, args.since, args.until)
    except Exception as error:  # noqa: BLE001 - one line for the operator, not a traceback
        print(f"review: cannot read {url.split('@')[-1]}: {error}", file=sys.stderr)
        return 1
    period = f"{args.since or 'start'} – {args.until or 'today'}"
    source = url.split("@")[-1]  # never the password
    summary, groups = summarise(store, args.close)
    write(summary, groups, args.out, period, source, args.html)
    print(
        f"review: {summary['turns']} turns, {summary['conversations']} conversations -> {args.out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
