"""The worker that handles stored events, and what is stored of one."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import sqlalchemy as sa
from rasa.core.channels.channel import OutputChannel
from rasa.shared.core.events import BotUttered, UserUttered

from connectors import inbound
from connectors.background import Tasks
from connectors.webhook_queue.store import (
    LEASE_SECONDS,
    MAX_ATTEMPTS,
    POLL_SECONDS,
    WebhookQueue,
    _queues,
)

logger = logging.getLogger(__name__)

# Events answered at once by one worker: turns share one event loop, so more
# would not answer faster, only leave more replies on their way when a process dies.
CONCURRENCY = 4
NON_TEXT = {"kind": "non_text"}  # a sticker, photo, file: the text-only reply


def text_payload(text: Any, message_id: str | None) -> dict[str, Any]:
    """What is stored of a text message: its masked text, or the reply refusing it.

    Only masked text is ever stored (docs/privacy.md).
    """
    text, reply = inbound.prepare(text)
    if reply:
        return {"kind": "refused", "reply": reply}
    return {"kind": "text", "text": text, "message_id": message_id}


async def answer(
    row: Any, on_new_message: inbound.OnNewMessage, output: OutputChannel, channel: str
) -> None:
    """Handles one stored event through the inbound path."""
    payload = json.loads(row.payload)
    if payload["kind"] == "text":
        await inbound.handle(
            on_new_message, output, channel, row.sender, payload["text"],
            message_id=payload.get("message_id"),
        )  # fmt: skip
    elif payload["kind"] == "refused":
        await output.send_text_message(row.sender, payload["reply"])
    else:
        await inbound.handle_non_text(output, row.sender)


class _Replying(OutputChannel):
    """Marks the event durably just before its first reply leaves."""

    def __init__(self, output: OutputChannel, mark: Callable[[], None]):
        self.output, self._mark = output, mark

    def name(self) -> str:
        return self.output.name()

    def _first(self) -> None:
        if self._mark:
            mark, self._mark = self._mark, None
            mark()

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        self._first()
        await self.output.send_response(recipient_id, message)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        self._first()
        await self.output.send_text_message(recipient_id, text, **kwargs)


class Worker:
    """Claims one channel's stored events and answers each through the inbound path.

    `make_output` builds the channel's output; `before` (optional) runs first,
    e.g. Messenger's typing indicator.
    """

    def __init__(
        self, queue: WebhookQueue, channel: str, on_new_message: inbound.OnNewMessage | None,
        make_output: Callable[[], OutputChannel] | None, agent: Any = None,
        before: Callable[[Any], Awaitable[Any]] | None = None, concurrency: int = CONCURRENCY,
    ):  # fmt: skip
        self.queue, self.channel, self.agent = queue, channel, agent
        self.on_new_message, self.make_output, self.before = on_new_message, make_output, before
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
            else:
                await self._answer(row)
                state = "done"
        finally:
            # If this fails the lease expires and the event is claimed again;
            # `replying` or the tracker then keeps it from being answered twice.
            try:
                self.queue.finish(row.id, state)
            finally:
                self.inflight.discard(row.id)
                self.wake()

    async def _answer(self, row: Any) -> None:
        output = _Replying(self.make_output(), lambda: self.queue.mark_replying(row.id))
        if row.replying:
            # A process stopped while sending these replies: a reply may have
            # reached the user, so none is sent again.
            logger.warning("%s: event %s was being answered when its process stopped; "
                           "not answered again", self.channel, row.event_id)  # fmt: skip
            return
        saved = await self._saved_replies(row) if row.attempts > 1 else None
        if saved is not None:
            # The turn was saved, then the process stopped before any reply left.
            logger.info("%s: event %s was saved before a restart; its %d saved replies sent",
                        self.channel, row.event_id, len(saved))  # fmt: skip
            for message in saved:
                await output.send_response(row.sender, message)
            return
        if self.before:
            await self.before(row)
        await answer(row, self.on_new_message, output, self.channel)

    async def _saved_replies(self, row: Any) -> list[dict[str, Any]] | None:
        message_id = json.loads(row.payload or "{}").get("message_id")
        # The namespaced tracker id, and the bare one of trackers saved before it.
        for conversation in {inbound.conversation_id(self.channel, row.sender), row.sender}:
            replies = await saved_replies(self.agent, conversation, message_id)
            if replies is not None:
                return replies
        return None

    async def stop(self) -> None:
        # The flag too: Python 3.10's wait_for can swallow a cancel that
        # arrives as the wake-up event is set.
        self._stopping = True
        if self._loop_task:
            self._loop_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop_task
        await self.tasks.drain()


async def saved_replies(
    agent: Any, conversation: str, message_id: str | None
) -> list[dict[str, Any]] | None:
    """The bot's saved replies to the user message with this id, or None if it is not saved."""
    store = getattr(agent, "tracker_store", None)
    if not message_id or store is None:
        return None
    tracker = await store.retrieve(conversation)
    events = list(tracker.events) if tracker else []
    for n, event in enumerate(events):
        if isinstance(event, UserUttered) and event.message_id == message_id:
            replies = []
            for later in events[n + 1 :]:
                if isinstance(later, UserUttered):
                    break
                if isinstance(later, BotUttered):
                    replies.append(later.message())
            return replies
    return None


def engine_of(agent: Any) -> sa.engine.Engine:
    """The tracker store's database, or SQLite webhooks.db when it is not SQL."""
    store = getattr(agent, "tracker_store", None)
    engine = getattr(getattr(store, "_tracker_store", store), "engine", None)
    if isinstance(engine, sa.engine.Engine):
        return engine
    logger.warning("Tracker store is not SQL: webhook events go to SQLite webhooks.db")
    return sa.create_engine("sqlite:///webhooks.db")


def start(
    agent: Any, channel: str, on_new_message: inbound.OnNewMessage,
    make_output: Callable[[], OutputChannel], before: Callable[[Any], Awaitable[Any]] | None = None,
) -> Worker:  # fmt: skip
    """The channel's worker on the tracker store's database, started."""
    queue = WebhookQueue(engine_of(agent))
    if queue.engine.dialect.name == "sqlite":
        # One process per SQLite file (endpoints.yml): a lease left there is
        # a dead process's, so the events it held are taken up at once.
        queue.release_all()
    return Worker(queue, channel, on_new_message, make_output, agent, before).start()
