"""What `make review` reads: the tracker store's `events` table, as turns.

A turn is one user message and what the bot did until the next one. Its
outcome comes from the events Rasa stored, never from the reply text:
- apologised: the action guard's apology (a bot event with metadata
  `fallback`, addons/action_guard.py): the action server failed or was slow;
- declined: `action_out_of_scope`, or the "no sourced answer" topic
  `ask_other_service`;
- asked back: `action_clarify` (did you mean / still unclear),
  `action_repeat_options`, or an answer that asked for the platform or the
  route first (`pending_topic` set);
- answered: everything else (answers, steps, menus, small talk).
Feedback is the `feedback` slot event of actions/feedback.py; an offer is an
`action_offer_feedback` run, about the `feedback_topic` slot set before it.

Works on SQLite and PostgreSQL alike (SQLAlchemy, as scripts/purge_db.py).
"""

from __future__ import annotations

import datetime
import json
import pathlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import sqlalchemy as sa

from privacy.mask import mask

# Days are Vietnam's (UTC+7 all year, no daylight saving time).
VIETNAM = datetime.timezone(datetime.timedelta(hours=7), "ICT")
ANSWERED, ASKED_BACK, DECLINED, APOLOGISED = "answered", "asked back", "declined", "apologised"
OUTCOMES = (ANSWERED, ASKED_BACK, DECLINED, APOLOGISED)
FALLBACK, OUT_OF_SCOPE, NEGATIVE = "fallback", "out of scope", "negative feedback"
CHANNELS = ("rest", "socketio", "zalo", "facebook", "cmdline")
SELECT = (
    "SELECT id, sender_id, type_name, timestamp, data FROM events"
    " WHERE sender_id IN (SELECT DISTINCT sender_id FROM events"
    " WHERE type_name = 'user' AND timestamp >= :start AND timestamp < :end)"
    " ORDER BY sender_id, id"
)


@dataclass
class Turn:
    sender: str
    channel: str
    timestamp: float
    text: str
    intent: str | None
    ranking: list[tuple[str, float]]
    actions: list[str] = field(default_factory=list)
    slots: dict = field(default_factory=dict)
    apology: bool = False

    @property
    def day(self) -> datetime.date:
        return datetime.datetime.fromtimestamp(self.timestamp, VIETNAM).date()

    @property
    def typed(self) -> bool:
        """Typed by the user, not a button's payload."""
        return bool(self.text) and not self.text.startswith("/")

    @property
    def outcome(self) -> str:
        if self.apology:
            return APOLOGISED
        if "action_out_of_scope" in self.actions or self.intent == "ask_other_service":
            return DECLINED
        if {"action_clarify", "action_repeat_options"} & set(self.actions):
            return ASKED_BACK
        if "action_show_guide" in self.actions and self.slots.get("pending_topic"):
            return ASKED_BACK
        return ANSWERED

    @property
    def unanswered(self) -> str | None:
        """Why this message is worth a label: fallback or out of scope."""
        if "action_clarify" in self.actions:
            return FALLBACK
        return OUT_OF_SCOPE if self.outcome == DECLINED else None


@dataclass
class Rating:
    sender: str
    timestamp: float
    topic: str
    rating: str  # good | bad
    question: str  # the user's question the rated answer was for


@dataclass
class Offer:
    sender: str
    timestamp: float
    topic: str


@dataclass
class Store:
    turns: list[Turn]
    offers: list[Offer]
    ratings: list[Rating]


def channel_of(sender: str, input_channel: str | None) -> str:
    """ "zalo:123" → zalo; an id without a channel prefix: the event's input_channel."""
    prefix = sender.split(":", 1)[0] if ":" in sender else ""
    return prefix if prefix in CHANNELS else (input_channel or prefix or "unknown")


def _ranking(parse: dict) -> list[tuple[str, float]]:
    ranked = parse.get("intent_ranking") or [parse.get("intent") or {}]
    pairs = [(r.get("name"), float(r.get("confidence") or 0)) for r in ranked if r.get("name")]
    return sorted((p for p in pairs if p[0] != "nlu_fallback"), key=lambda p: -p[1])


def _conversation(sender: str, events: Iterable[dict]) -> Store:
    turns: list[Turn] = []
    offers: list[Offer] = []
    ratings: list[Rating] = []
    slots: dict = {}
    question = ""
    for event in events:
        kind, when = event.get("event"), float(event.get("timestamp") or 0)
        turn = turns[-1] if turns else None
        if kind == "user":
            parse = event.get("parse_data") or {}
            text = " ".join(mask(event.get("text") or "").text.split())
            intent = (parse.get("intent") or {}).get("name")
            channel = channel_of(sender, event.get("input_channel"))
            turns.append(Turn(sender, channel, when, text, intent, _ranking(parse)))
            if (intent or "").startswith("ask_") and turns[-1].typed:
                question = text
        elif kind == "session_started":
            slots = {}
        elif kind == "slot":
            name, value = event.get("name"), event.get("value")
            slots[name] = value
            if turn:
                turn.slots[name] = value
            if name == "feedback" and isinstance(value, dict) and value.get("topic"):
                rated = Rating(sender, when, value["topic"], value.get("rating", ""), question)
                ratings.append(rated)
        elif kind == "action" and turn:
            turn.actions.append(event.get("name") or "")
            if event.get("name") == "action_offer_feedback":
                offers.append(Offer(sender, when, slots.get("feedback_topic") or "unknown"))
        elif kind == "bot" and turn and (event.get("metadata") or {}).get("fallback"):
            turn.apology = True
    return Store(turns, offers, ratings)


def _window(since: datetime.date | None, until: datetime.date | None) -> tuple[float, float]:
    def start_of(day: datetime.date) -> float:
        return datetime.datetime.combine(day, datetime.time(), VIETNAM).timestamp()

    start = start_of(since) if since else 0.0
    end = start_of(until + datetime.timedelta(days=1)) if until else float(2**40)
    return start, end


def _engine(url: str) -> sa.engine.Engine:
    """A read-only use of the store: plain transactions, no pool kept open."""
    parsed = sa.engine.make_url(url)
    options: dict = {"poolclass": sa.pool.NullPool, "future": True}
    if parsed.get_backend_name() == "sqlite":
        if not parsed.database or not pathlib.Path(parsed.database).exists():
            raise FileNotFoundError(f"no SQLite tracker store at {parsed.database!r}")
        options["connect_args"] = {"timeout": 30}  # wait for a turn being written
    return sa.create_engine(parsed, **options)


def _rows(url: str, start: float, end: float) -> Iterator[tuple]:
    engine = _engine(url)
    try:
        with engine.connect() as connection:
            if not sa.inspect(connection).has_table("events"):
                return
            yield from connection.execute(sa.text(SELECT), {"start": start, "end": end})
    finally:
        engine.dispose()


def read(url: str, since: datetime.date | None = None, until: datetime.date | None = None) -> Store:
    """Every turn, offer and rating of the period (days in Vietnam's time zone).

    Conversations are replayed from their first event, so slots set before the
    period still count; only turns inside it are kept."""
    start, end = _window(since, until)
    store = Store([], [], [])
    by_sender: dict[str, list[dict]] = {}
    for _id, sender, _type, _ts, data in _rows(url, start, end):
        by_sender.setdefault(sender, []).append(json.loads(data))
    for sender, events in by_sender.items():
        one = _conversation(sender, events)
        store.turns += [t for t in one.turns if start <= t.timestamp < end]
        store.offers += [o for o in one.offers if start <= o.timestamp < end]
        store.ratings += [r for r in one.ratings if start <= r.timestamp < end]
    return store
