"""make eval's end-to-end run: every message with an expected answer, sent over
REST to the real bot, and its replies scored right / abstained / wrong.

The scoring reads the content file (content/content.yml), so it follows the
bot's answers as they change. Keys are the `guide` values of eval/*.yml: a
topic's intent without `ask_`, plus the platform guides of a `by_os` topic
(install_android, install_ios); `out_of_scope` is the decline.
"""

from __future__ import annotations

import json
import pathlib
import re
import string
import unicodedata
import urllib.error
import urllib.request
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from scripts import eval_metrics as em
from scripts.harness import ROOT, free_port, rasa_server, start_action_server, write_endpoints

RIGHT, ABSTAINED, WRONG, OTHER = "right", "abstained", "wrong", "other"
OUTCOMES = (RIGHT, ABSTAINED, WRONG, OTHER)
OUT_OF_SCOPE = em.OUT_OF_SCOPE  # key of the decline ("not about VssID")
NEAR_MISS = "other_service"  # "no sourced answer for exactly that", a topic of its own
# Fixed messages that abstain: an honest "can't answer", or a question back
# that names no topic's steps.
ABSTAINING = (
    "out_of_scope_vssid", "did_you_mean", "did_you_mean_none", "still_unclear",
    "menu", "step_none", "pick_os_unknown",
)  # fmt: skip
# A numbered step of a whole guide (actions/render.guide_text); step-by-step
# mode's "Bước 1/4" comes from the content's `step_progress`.
STEP_LINE = re.compile(r"^Bước \d+\. ", re.MULTILINE)
# The project's own REST channel (credentials.yml): inbound cleaning and masking.
REST_CREDENTIALS = "connectors.rest.RestInput:\n"

Alternatives = list[tuple[str, ...]]  # any one alternative, with all its texts, marks a key


def expected_key(m: em.Message) -> str | None:
    """The answer a message should get, or None (small talk, step commands: not scored)."""
    return m.guide or (OUT_OF_SCOPE if m.intent == OUT_OF_SCOPE else None)


def covered(key: str) -> bool:
    """A topic the content answers itself (not the decline, not the near miss)."""
    return key not in (OUT_OF_SCOPE, NEAR_MISS)


def _squash(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def _holes(content, key: str) -> list[str]:
    """Message `key` of the content cut at its placeholders other than {hotline}."""
    template = content.messages[key]
    fields = {f for _, f, _, _ in string.Formatter().parse(template) if f and f != "hotline"}
    return content.message(key, **dict.fromkeys(fields, "\0")).split("\0")


def _squashed(markers: dict[str, Alternatives]) -> dict[str, Alternatives]:
    return {k: [tuple(_squash(t) for t in alt) for alt in alts] for k, alts in markers.items()}


@dataclass(frozen=True)
class Scored:
    outcome: str
    found: frozenset[str]  # answer and abstention keys recognised in the replies
    steps: bool  # the replies hold a step list


class AnswerMatcher:
    """Recognises the content's answers in bot replies and scores them.

    `answers`: key -> alternatives (a topic: its text, its question, any of its
    guide titles); `abstentions`: fixed messages that abstain; `questions`:
    expected key -> keys of the question its topic asks first (install_ios ->
    install), which abstain there. A reply is
    - wrong when it holds another key's answer (the decline and the near miss
      excepted), or a step list that is not the expected answer's, or any step
      list for an out-of-scope message;
    - else right when it holds the expected key;
    - else abstained when it holds the decline, the near miss, the topic's
      own question or an abstaining message;
    - else other (small talk, nothing).
    """

    def __init__(
        self,
        answers: dict[str, Alternatives],
        abstentions: dict[str, Alternatives] | None = None,
        questions: dict[str, tuple[str, ...]] | None = None,
        steps: Sequence[re.Pattern] = (STEP_LINE,),
    ):
        self.answers = _squashed(answers)
        self.abstentions = _squashed(abstentions or {})
        self.questions = questions or {}
        self.steps = tuple(steps)

    @classmethod
    def from_content(cls, content) -> AnswerMatcher:
        """`content` is a content.Content (content.load())."""
        answers: dict[str, Alternatives] = {}
        questions: dict[str, tuple[str, ...]] = {}
        for intent, topic in content.topics.items():
            key = intent.removeprefix("ask_")
            alts: Alternatives = []
            if topic.text:
                alts.append((content.fill(topic.text),))
            if topic.ask:
                alts.append((content.fill(topic.ask),))
            if topic.ask_os:
                alts.append((topic.ask_os,))  # sent as is (actions.send_topic)
            alts += [(content.guides[g].title,) for g in (*topic.guides, *topic.routes)]
            answers[key] = alts
            for guide_id in topic.by_os.values():
                answers[guide_id] = [(content.guides[guide_id].title,)]
                questions[guide_id] = (key,)
        answers[OUT_OF_SCOPE] = [tuple(p for p in _holes(content, OUT_OF_SCOPE) if p.strip())]
        abstentions = {
            key: [tuple(p for p in _holes(content, key) if p.strip())]
            for key in ABSTAINING
            if key in content.messages
        }
        progress = r"\d+".join(re.escape(p) for p in _holes(content, "step_progress"))
        return cls(answers, abstentions, questions, (STEP_LINE, re.compile(progress)))

    def detect(self, replies: Sequence[dict]) -> set[str]:
        """Answer and abstention keys one of whose alternatives is wholly in the replies."""
        text = _squash("\n".join(r.get("text") or "" for r in replies))
        markers = {**self.abstentions, **self.answers}
        return {k for k, alts in markers.items() if any(all(t in text for t in a) for a in alts)}

    def has_steps(self, replies: Sequence[dict]) -> bool:
        texts = [r.get("text") or "" for r in replies]
        return any(p.search(t) for p in self.steps for t in texts)

    def score(self, expected: str, replies: Sequence[dict]) -> Scored:
        found, steps = self.detect(replies), self.has_steps(replies)
        tolerated = {NEAR_MISS, *self.questions.get(expected, ())}
        if expected != OUT_OF_SCOPE:
            tolerated.add(OUT_OF_SCOPE)
        tolerated.discard(expected)
        others = (found & set(self.answers)) - tolerated - {expected}
        if others or (steps and (expected == OUT_OF_SCOPE or expected not in found)):
            outcome = WRONG
        elif expected in found:
            outcome = RIGHT
        elif found:  # only tolerated answers or abstaining messages are left
            outcome = ABSTAINED
        else:
            outcome = OTHER
        return Scored(outcome, frozenset(found), steps)


E2ERow = tuple[em.Message, Scored]


def tally(rows: Iterable[E2ERow], group: Callable[[em.Message], str] | None = None):
    """Outcome counts overall ("all") and, with `group`, per group (sorted)."""
    counts: dict[str, Counter] = defaultdict(Counter)
    for m, s in rows:
        counts["all"][s.outcome] += 1
        if group:
            counts[group(m)][s.outcome] += 1
    return {k: counts[k] for k in ["all", *sorted(set(counts) - {"all"})] if counts[k]}


def share(counts: Counter, outcome: str) -> float | None:
    n = sum(counts.values())
    return counts[outcome] / n if n else None


def right_covered(rows: Iterable[E2ERow]) -> float | None:
    """Share right among the messages expecting a topic the content covers."""
    return share(tally((m, s) for m, s in rows if covered(expected_key(m)))["all"], RIGHT)


def wrong_share(rows: Iterable[E2ERow]) -> float | None:
    return share(tally(rows)["all"], WRONG)


def oos_step_lists(rows: Iterable[E2ERow]) -> tuple[int, int]:
    """(out-of-scope messages answered with a step list, out-of-scope messages)."""
    oos = [s for m, s in rows if expected_key(m) == OUT_OF_SCOPE]
    return sum(s.steps for s in oos), len(oos)


# --- the run: every scored message over REST to each served model ---


def post_json(url: str, body: dict, timeout: float = 60):
    request = urllib.request.Request(
        url, json.dumps(body).encode(), {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read() or b"null")


def end_to_end(
    models: dict[str, pathlib.Path], messages: Sequence[em.Message], log_dir: pathlib.Path
) -> dict[str, list[E2ERow]]:
    """Sends every message with an expected answer, from a new user each, to each model."""
    import secrets

    from content import load

    matcher = AnswerMatcher.from_content(load())
    scored = [m for m in messages if expected_key(m)]
    credentials = log_dir / "credentials.yml"
    credentials.write_text(REST_CREDENTIALS, encoding="utf-8")
    actions_port, token = free_port(), secrets.token_urlsafe(16)
    actions = start_action_server(actions_port, token, log_dir)
    results = {}
    try:
        for name, model in models.items():
            (log_dir / name).mkdir()
            endpoints = write_endpoints(log_dir / name / "endpoints.yml", actions_port, token)
            port = free_port()
            print(f"end-to-end: {len(scored)} messages to {name} on port {port}", flush=True)
            bot = rasa_server(
                f"rasa-{name}", port, endpoints, log_dir, {"PYTHONPATH": str(ROOT)},
                credentials=credentials, model=model,
            )  # fmt: skip
            bot.start(f"http://127.0.0.1:{port}/", timeout=300)
            try:
                url = f"http://127.0.0.1:{port}/webhooks/rest/webhook"
                rows, failed = [], 0
                for m in scored:
                    sender = f"eval-{name}-{uuid.uuid4().hex[:8]}"
                    try:
                        replies = post_json(url, {"sender": sender, "message": m.text}) or []
                    except urllib.error.HTTPError:  # 503: counted as no answer ("other")
                        replies, failed = [], failed + 1
                    rows.append((m, matcher.score(expected_key(m), replies)))
                if failed:
                    print(f"end-to-end: {name} answered {failed} requests with an error")
                results[name] = rows
            finally:
                bot.stop()
    finally:
        actions.stop()
    return results
