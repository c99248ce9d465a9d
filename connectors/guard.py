"""Checks every incoming text before it reaches the model, for all channels.

Empty or overlong messages get a polite reply from content.yml without running
NLU; control characters (NUL and friends) are dropped and text is NFC, so what
reaches the model and the tracker store is clean Vietnamese text.
"""

from __future__ import annotations

import logging
import re
import unicodedata

from rasa.core.lock_store import LockError

from actions.content import load
from addons.tracker_store import TrackerStoreUnavailable

logger = logging.getLogger(__name__)

# The conversation database or the lock store (Redis) is down: the turn cannot
# be processed safely, so channels answer with an apology or a 503.
OUTAGES = (TrackerStoreUnavailable, LockError)

MAX_TEXT_CHARS = 1000
MAX_SENDER_CHARS = 128

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(text: str) -> str:
    return unicodedata.normalize("NFC", _CONTROL.sub("", text)).strip()


def precheck(text: str) -> str | None:
    """The reply for a message the model should not see, or None if it is fine."""
    if not text:
        return load().message("empty")
    if len(text) > MAX_TEXT_CHARS:
        return load().message("too_long", limit=f"{MAX_TEXT_CHARS:,}".replace(",", "."))
    return None


def valid_sender(sender: object) -> bool:
    return isinstance(sender, str) and 0 < len(sender) <= MAX_SENDER_CHARS


def outage_reply(error: Exception) -> str:
    """Logs a storage outage loudly and returns the apology for the user."""
    logger.error("CONVERSATION STORE DOWN (%s): %s", type(error).__name__, error)
    return load().message("service_down")
