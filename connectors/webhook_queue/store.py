"""The `webhook_events` table; the design is in the package docstring."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import socket
import time
import uuid
from typing import Any

import sqlalchemy as sa

logger = logging.getLogger(__name__)

KEEP_SECONDS = 7 * 24 * 3600  # ids of handled events, to drop redeliveries and replays
LEASE_SECONDS = 30.0  # a claim held by a dead process expires after this
POLL_SECONDS = 1.0  # events stored by other replicas or left by dead ones
MAX_ATTEMPTS = 5  # claims of one event before it is given up (it keeps failing)
MAX_ID_CHARS = 200

_metadata = sa.MetaData()
EVENTS = sa.Table(
    "webhook_events",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("channel", sa.String(32), nullable=False),
    sa.Column("event_id", sa.String(MAX_ID_CHARS), nullable=False),
    sa.Column("sender", sa.String(255), nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),  # pending, done, failed
    sa.Column("owner", sa.String(128)),
    sa.Column("lease_until", sa.Float),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("replying", sa.Boolean, nullable=False, default=False),  # a reply left
    sa.Column("received_at", sa.Float, nullable=False),
    sa.UniqueConstraint("channel", "event_id", name="webhook_events_once"),
    sa.Index("webhook_events_heads", "channel", "state", "sender", "id"),
)

_queues: dict[str, WebhookQueue] = {}  # channel -> this process's queue, for depth()


def depth() -> dict[str, int]:
    """Channel -> events stored and not yet handled (by any replica sharing the database)."""
    found: dict[str, int] = {}
    for queue in {id(q): q for q in _queues.values()}.values():
        found.update(queue.pending())
    return {channel: found.get(channel, 0) for channel in _queues}


def event_key(event_id: str | None, raw: bytes) -> str:
    """The platform's id, or the body's hash when it has none (or an overlong one)."""
    if event_id and len(event_id) <= MAX_ID_CHARS:
        return event_id
    return "sha256:" + hashlib.sha256(event_id.encode() if event_id else raw).hexdigest()


def forget(engine: sa.engine.Engine, channel: str, sender: str) -> int:
    """Erasure on request: the user's id leaves the handled events' rows.

    The rows themselves stay until purged, so a replayed body is still
    dropped by its event id; their text was blanked when they were handled.
    """
    if not sa.inspect(engine).has_table(EVENTS.name):
        return 0
    c = EVENTS.c
    # Handled events and the one being handled (the erasure's own); events not
    # yet claimed keep the id they are to be answered under.
    handled = (c.state != "pending") | c.lease_until.isnot(None)
    where = (c.channel == channel) & (c.sender == sender) & handled
    with engine.begin() as db:
        return db.execute(EVENTS.update().where(where).values(sender="")).rowcount or 0


class WebhookQueue:
    """The `webhook_events` table; every method is one short transaction."""

    def __init__(self, engine: sa.engine.Engine, owner: str | None = None):
        self.engine = engine
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        try:
            _metadata.create_all(engine)
        except sa.exc.SQLAlchemyError:
            # Two replicas creating the table at the same instant: one loses.
            time.sleep(1)
            _metadata.create_all(engine)

    def put(self, channel: str, event_id: str, sender: str, payload: dict[str, Any]) -> bool:
        """Stores an event; False if this event id is already stored (a redelivery).

        Any other database error propagates: the channel must not answer 200.
        """
        row = dict(
            channel=channel, event_id=event_id, sender=sender, state="pending", replying=False,
            payload=json.dumps(payload, ensure_ascii=False), attempts=0, received_at=time.time(),
        )  # fmt: skip
        try:
            with self.engine.begin() as db:
                db.execute(EVENTS.insert().values(**row))
        except sa.exc.IntegrityError:
            return False
        return True

    def claim(self, channel: str, limit: int) -> list[Any]:
        """Claims up to `limit` events, each the oldest pending one of its sender.

        A single UPDATE whose row conditions (pending, lease free) are checked
        again under the row lock, so two replicas never both win one event.
        """
        now = time.time()
        c = EVENTS.c
        heads = (
            sa.select(sa.func.min(c.id))
            .where(c.channel == channel, c.state == "pending")
            .group_by(c.sender)
            .order_by(sa.func.min(c.id))
            .limit(limit)
        )
        free = sa.or_(c.lease_until.is_(None), c.lease_until < now)
        with self.engine.begin() as db:
            db.execute(
                EVENTS.update()
                .where(c.id.in_(heads.scalar_subquery()), c.state == "pending", free)
                .values(owner=self.owner, lease_until=now + LEASE_SECONDS, attempts=c.attempts + 1)
            )
            mine = sa.select(EVENTS).where(
                c.channel == channel, c.state == "pending", c.owner == self.owner
            )
            return list(db.execute(mine.order_by(c.id)))

    def renew(self) -> None:
        """Extends the leases of the events this process is handling."""
        c = EVENTS.c
        with self.engine.begin() as db:
            db.execute(
                EVENTS.update()
                .where(c.owner == self.owner, c.state == "pending")
                .values(lease_until=time.time() + LEASE_SECONDS)
            )

    def finish(self, row_id: int, state: str = "done") -> None:
        """Marks an event handled and blanks its text: only its id stays."""
        with self.engine.begin() as db:
            db.execute(
                EVENTS.update()
                .where(EVENTS.c.id == row_id)
                .values(state=state, payload="", lease_until=None)
            )

    def mark_replying(self, row_id: int) -> None:
        """Records that the event's first reply is about to leave."""
        with self.engine.begin() as db:
            db.execute(EVENTS.update().where(EVENTS.c.id == row_id).values(replying=True))

    def release_all(self) -> None:
        """Frees every lease: only for a database no other process uses (SQLite)."""
        with self.engine.begin() as db:
            db.execute(EVENTS.update().where(EVENTS.c.state == "pending").values(lease_until=None))

    def purge(self, keep: float = KEEP_SECONDS) -> int:
        """Deletes handled events received more than `keep` seconds ago."""
        c = EVENTS.c
        with self.engine.begin() as db:
            result = db.execute(
                EVENTS.delete().where(c.state != "pending", c.received_at < time.time() - keep)
            )
        return result.rowcount or 0

    def pending(self) -> dict[str, int]:
        c = EVENTS.c
        query = sa.select(c.channel, sa.func.count()).where(c.state == "pending")
        with self.engine.connect() as db:
            return {channel: n for channel, n in db.execute(query.group_by(c.channel))}
