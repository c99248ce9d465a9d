"""Rasa replies as Send API `message` objects, within Messenger's limits.

Rasa's own channel raises on titles over 20 characters and drops more than
3 buttons; here a reply is fitted instead.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

from connectors.output import button_title, numbered, split_text, truncate

logger = logging.getLogger(__name__)

# Messenger Platform limits (Send API reference).
MAX_TITLE = 20  # button and quick-reply titles
MAX_BUTTONS = 3  # buttons in a button template
MAX_QUICK_REPLIES = 10  # Meta allows 13; 10 keeps the row short on a phone
MAX_TEMPLATE_TEXT = 640  # text of a button template
MAX_TEXT = 2000  # text of a plain message
MAX_PAYLOAD = 1000  # postback and quick-reply payloads
# Messenger refuses buttons without text; Rasa allows a response of buttons only.
DEFAULT_BUTTONS_TEXT = "Mời bạn chọn:"


def _title_and_payload(button: Mapping[str, Any]) -> tuple[str, str]:
    title = button_title(button)
    payload = str(button.get("payload") or title)
    if len(payload) > MAX_PAYLOAD:
        # A cut payload would be garbage to NLU; the title still parses.
        logger.warning("Facebook payload over %d chars, sending the title", MAX_PAYLOAD)
        payload = title[:MAX_PAYLOAD]
    return truncate(title, MAX_TITLE), payload


def render(text: str | None, buttons: Iterable[Mapping[str, Any]] | None = None) -> list[dict]:
    """Turns a Rasa reply into Send API `message` objects within Messenger's limits.

    Without buttons: plain text, split at line boundaries. Up to 3 buttons and
    text of at most 640 characters: a button template with postbacks. Otherwise
    quick replies (at most 10) on the last text chunk; options beyond 10 are
    appended to the text as a numbered list the user can type.
    """
    text = unicodedata.normalize("NFC", (text or "").strip())
    buttons = list(buttons or [])
    if not buttons:
        return [{"text": chunk} for chunk in split_text(text, MAX_TEXT)]

    text = text or DEFAULT_BUTTONS_TEXT
    options = [_title_and_payload(button) for button in buttons]
    if len(options) <= MAX_BUTTONS and len(text) <= MAX_TEMPLATE_TEXT:
        template_buttons = [
            {"type": "postback", "title": title, "payload": payload} for title, payload in options
        ]
        payload = {"template_type": "button", "text": text, "buttons": template_buttons}
        return [{"attachment": {"type": "template", "payload": payload}}]

    shown, overflow = options[:MAX_QUICK_REPLIES], buttons[MAX_QUICK_REPLIES:]
    if overflow:
        text = numbered(text, overflow, start=MAX_QUICK_REPLIES + 1)
    *before, last = split_text(text, MAX_TEXT)
    quick_replies = [
        {"content_type": "text", "title": title, "payload": payload} for title, payload in shown
    ]
    return [{"text": chunk} for chunk in before] + [{"text": last, "quick_replies": quick_replies}]
