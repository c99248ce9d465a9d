"""Checks every incoming text before it reaches the model, for all channels.

Empty or overlong messages get a polite reply from content.yml without running
NLU; control characters (NUL and friends) are dropped and text is NFC, so what
reaches the model and the tracker store is clean Vietnamese text.
"""

from __future__ import annotations

import re
import unicodedata

from actions.content import load

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
