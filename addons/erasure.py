"""Erasure on request: a conversation the user asked to delete is deleted.

The action server cannot reach the tracker store, so the action
`action_erase_conversation` (after the user confirmed) only answers; once
that turn is saved, this add-on deletes every stored event of the
conversation, in SQLite or PostgreSQL, and any cached copy, and removes the
user's id from the webhook events kept to drop redeliveries. The next message
starts a new, empty conversation.
"""

from __future__ import annotations

import functools
import logging

from rasa.core.processor import MessageProcessor
from rasa.core.tracker_store import InMemoryTrackerStore, SQLTrackerStore
from rasa.shared.core.events import ActionExecuted

logger = logging.getLogger(__name__)

ERASE_ACTION = "action_erase_conversation"


def erase_requested(tracker) -> bool:
    """True when the last action of this turn was the confirmed erasure."""
    for event in reversed(tracker.events):
        if isinstance(event, ActionExecuted) and event.action_name != "action_listen":
            return event.action_name == ERASE_ACTION
    return False


async def delete(store, sender_id: str) -> None:
    """Deletes a conversation from the store behind Rasa's wrappers."""
    inner = getattr(store, "_tracker_store", store)
    if hasattr(inner, "delete"):
        await inner.delete(sender_id)
    elif isinstance(inner, SQLTrackerStore):
        with inner.session_scope() as session:
            session.query(inner.SQLEvent).filter(inner.SQLEvent.sender_id == sender_id).delete()
            session.commit()
    elif isinstance(inner, InMemoryTrackerStore):
        inner.store.pop(sender_id, None)
    else:
        raise NotImplementedError(f"cannot erase from {type(inner).__name__}")
    if isinstance(inner, SQLTrackerStore) and ":" in sender_id:
        # Zalo and Messenger events are kept a few days by id (webhook_queue):
        # the user's id goes from them too.
        from connectors.webhook_queue.store import forget

        channel, platform_sender = sender_id.split(":", 1)
        forget(inner.engine, channel, platform_sender)


def active() -> bool:
    return getattr(MessageProcessor.save_tracker, "_erasure", False)


def install() -> None:
    if active():
        return
    original = MessageProcessor.save_tracker

    @functools.wraps(original)
    async def save_tracker(self, tracker) -> None:
        await original(self, tracker)
        if erase_requested(tracker):
            await delete(self.tracker_store, tracker.sender_id)
            logger.info("Conversation erased on the user's request")

    save_tracker._erasure = True
    MessageProcessor.save_tracker = save_tracker
