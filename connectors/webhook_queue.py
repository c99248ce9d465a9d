"""Durable webhook events: stored before the 200, handled once, by any replica.

Zalo and Messenger never resend an event we answered 200, so a channel first
stores the event (table `webhook_events`, in the tracker store's database:
SQLite `rasa.db` in the single-machine profile, PostgreSQL in the cluster),
then answers 200; a worker in every Rasa process claims stored events and
handles them. An event's id is unique per channel, so a redelivery, or a
replayed signed body, is dropped for as long as the row is kept (KEEP_SECONDS).

Claiming: only the oldest pending event of each sender can be claimed (per-user
order), by one process at a time, with a lease renewed while it is handled. A
process killed mid-event leaves it pending; its lease expires and any replica
takes it (at start-up in the single-process SQLite profile, at once). If the
killed process had already answered it, the tracker holds a user event with
that message id, and it is not answered again.

Only masked text is stored (inbound.prepare), and it is blanked once handled:
what stays for KEEP_SECONDS is the channel, the event id and the sender id.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import sqlalchemy as sa
from rasa.shared.core.events import UserUttered

from connectors import inbound
from connectors.background import Tasks

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
            channel=channel, event_id=event_id, sender=sender, state="pending",
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


Handler = Callable[[Any], Awaitable[None]]


class Worker:
    """Claims one channel's stored events and hands each to `handler`."""

    def __init__(
        self, queue: WebhookQueue, channel: str, handler: Handler, agent: Any = None,
        concurrency: int = 16,
    ):  # fmt: skip
        self.queue, self.channel, self.handler, self.agent = queue, channel, handler, agent
        self.concurrency = concurrency
        self.tasks = Tasks(channel)
        self.inflight: set[int] = set()
        self._wake = asyncio.Event()
        self._loop_task: asyncio.Task | None = None
        self._stopping = False
        _queues[channel] = queue

    def start(self) -> Worker:
        self._loop_task = asyncio.get_running_loop().create_task(self._run())
        return self

    def wake(self) -> None:
        self._wake.set()

    def accept(self, event_id: str, sender: str, payload: dict[str, Any]) -> bool:
        """Stores an event (raises on a database error); False for a duplicate."""
        stored = self.queue.put(self.channel, event_id, sender, payload)
        if stored:
            self.wake()
        else:
            logger.info("%s: event %s already received, dropped", self.channel, event_id)
        return stored

    async def _run(self) -> None:
        renewed = purged = 0.0
        while not self._stopping:
            now = time.monotonic()
            try:
                if now - purged > 3600:
                    purged = now
                    if count := self.queue.purge():
                        logger.info("%s: %d handled webhook events purged", self.channel, count)
                if self.inflight and now - renewed > LEASE_SECONDS / 3:
                    renewed = now
                    self.queue.renew()
                self._claim()
            except sa.exc.SQLAlchemyError as error:
                logger.error("%s: webhook queue unavailable (%s); retrying", self.channel, error)
            try:
                await asyncio.wait_for(self._wake.wait(), POLL_SECONDS)
            except asyncio.TimeoutError:
                pass
            self._wake.clear()

    def _claim(self) -> None:
        free = self.concurrency - len(self.inflight)
        if free <= 0:
            return
        for row in self.queue.claim(self.channel, free):
            if row.id not in self.inflight:
                self.inflight.add(row.id)
                self.tasks.spawn(self._handle(row), f"event {row.event_id}")

    async def _handle(self, row: Any) -> None:
        state = "failed"
        try:
            if row.attempts > MAX_ATTEMPTS:
                logger.error("%s: event %s given up after %d attempts",
                             self.channel, row.event_id, row.attempts - 1)  # fmt: skip
            elif row.attempts > 1 and await self._answered_before(row):
                # Killed after the turn was saved but before it was marked done.
                logger.info("%s: event %s was answered before a restart", self.channel,
                            row.event_id)  # fmt: skip
                state = "done"
            else:
                await self.handler(row)
                state = "done"
        finally:
            # If this fails the lease expires and the event is claimed again;
            # the tracker check then keeps it from being answered twice.
            try:
                self.queue.finish(row.id, state)
            finally:
                self.inflight.discard(row.id)
                self.wake()

    async def _answered_before(self, row: Any) -> bool:
        message_id = json.loads(row.payload or "{}").get("message_id")
        # The namespaced tracker id, and the bare one of trackers saved before it.
        ids = {inbound.conversation_id(self.channel, row.sender), row.sender}
        for conversation in ids:
            if await already_answered(self.agent, conversation, message_id):
                return True
        return False

    async def stop(self) -> None:
        # The flag too: Python 3.10's wait_for can swallow a cancel that
        # arrives as the wake-up event is set.
        self._stopping = True
        if self._loop_task:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
        await self.tasks.drain()


async def already_answered(agent: Any, conversation: str, message_id: str | None) -> bool:
    """True if the conversation's tracker holds a user message with this id."""
    store = getattr(agent, "tracker_store", None)
    if not message_id or store is None:
        return False
    tracker = await store.retrieve(conversation)
    events = tracker.events if tracker else []
    return any(isinstance(e, UserUttered) and e.message_id == message_id for e in events)


def engine_of(agent: Any) -> sa.engine.Engine:
    """The tracker store's database, or SQLite webhooks.db when it is not SQL."""
    store = getattr(agent, "tracker_store", None)
    engine = getattr(getattr(store, "_tracker_store", store), "engine", None)
    if isinstance(engine, sa.engine.Engine):
        return engine
    logger.warning("Tracker store is not SQL: webhook events go to SQLite webhooks.db")
    return sa.create_engine("sqlite:///webhooks.db")


def start(agent: Any, channel: str, handler: Handler) -> Worker:
    """The channel's worker on the tracker store's database, started."""
    queue = WebhookQueue(engine_of(agent))
    if queue.engine.dialect.name == "sqlite":
        # One process per SQLite file (endpoints.yml): a lease left there is
        # a dead process's, so the events it held are taken up at once.
        queue.release_all()
    return Worker(queue, channel, handler, agent).start()
