"""Messenger webhook bodies: the signature, and the user events they carry."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

from connectors import inbound, webhook_queue

logger = logging.getLogger(__name__)

# Meta drops a notification it could not deliver after 36 hours: a signed event
# older than this is a replay (its id may be long purged), so it is skipped.
MAX_AGE_SECONDS = 37 * 3600
MAX_AHEAD_SECONDS = 600  # clock skew between Meta and us


def valid_signature(app_secret: str, body: bytes, header: str | None) -> bool:
    """True if `header` is `sha256=<HMAC-SHA256 hex of body keyed with app_secret>`."""
    if not app_secret or not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    given = header[len("sha256=") :].strip().encode("utf-8", "replace")
    return hmac.compare_digest(expected.encode(), given)


@dataclass(frozen=True)
class Incoming:
    """One user message or postback; `text` is None for a sticker, photo or file."""

    sender_id: str
    text: str | None
    mid: str | None
    timestamp: int | None = None  # ms since the epoch, as Meta signed it

    @property
    def key(self) -> str:
        """The event's id: its mid, or a hash of what identifies it when it has none."""
        seen = json.dumps([self.sender_id, self.timestamp, self.text]).encode()
        return webhook_queue.event_key(self.mid, seen)

    def fresh(self, now: float | None = None) -> bool:
        if not isinstance(self.timestamp, int):
            return True  # nothing to judge by; the id still drops redeliveries
        age = (time.time() if now is None else now) - self.timestamp / 1000
        return -MAX_AHEAD_SECONDS <= age <= MAX_AGE_SECONDS


def parse_events(payload: Any) -> list[Incoming]:
    """Extracts user messages and postbacks; raises ValueError if not a webhook body.

    Echoes, deliveries, reads and reactions carry nothing to answer and are
    skipped. Quick replies and postbacks yield their payload, so
    '/inform{"os":"ios"}' reaches Rasa as an intent with its entity.
    """
    if not isinstance(payload, dict) or not isinstance(payload.get("entry", []), list):
        raise ValueError("not a Messenger webhook body")
    if payload.get("object") != "page":
        # Other subscriptions on the same app; 200 so Meta does not retry them.
        logger.info("Facebook webhook: ignoring object %r", payload.get("object"))
        return []
    found = []
    for entry in payload.get("entry", []):
        events = entry.get("messaging") if isinstance(entry, dict) else None
        if not isinstance(events, list):
            raise ValueError("entry without a messaging list")
        found += [incoming for incoming in map(_parse_event, events) if incoming]
    return found


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _parse_event(event: Any) -> Incoming | None:
    event = _dict(event)
    sender_id = str(_dict(event.get("sender")).get("id") or "")
    message, postback = event.get("message"), event.get("postback")
    if isinstance(message, dict) and not message.get("is_echo"):
        text = _dict(message.get("quick_reply")).get("payload") or message.get("text")
        if text is None and not message.get("attachments"):
            text = ""  # neither text nor attachment: the inbound path asks again
        mid = message.get("mid")
    elif isinstance(postback, dict):
        text = postback.get("payload") or postback.get("title") or ""
        mid = postback.get("mid")
    else:
        return None
    if not inbound.valid_sender(sender_id):
        logger.info("Facebook webhook: event without a valid sender in %s", sorted(event))
        return None
    timestamp = event.get("timestamp")
    return Incoming(
        sender_id, text if isinstance(text, str) or text is None else "", mid and str(mid),
        timestamp if isinstance(timestamp, int) and not isinstance(timestamp, bool) else None,
    )  # fmt: skip
