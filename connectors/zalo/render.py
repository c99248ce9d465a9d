"""Rasa replies as Zalo message objects, within Zalo's limits."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.output import button_payload, button_title, numbered, split_text

MAX_TEXT = 2000  # Zalo rejects longer text messages.
MAX_BUTTONS = 5  # Zalo templates take at most 5 buttons.


def zalo_button(button: Mapping[str, Any]) -> dict[str, Any]:
    """One Rasa button as a Zalo template button."""
    title = button_title(button)
    if button.get("url"):
        return {"title": title, "type": "oa.open.url", "payload": {"url": button["url"]}}
    # oa.query.show sends the payload back as the user's text: Rasa parses
    # "/intent{...}" payloads directly.
    return {"title": title, "type": "oa.query.show", "payload": button_payload(button)}


def render_reply(text: str, buttons: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The Zalo message objects for one Rasa reply.

    Up to MAX_BUTTONS buttons become a template on the last message; more
    become a numbered list after the text.
    """
    if not buttons:
        return [{"text": chunk} for chunk in split_text(text, MAX_TEXT)]
    if len(buttons) <= MAX_BUTTONS:
        messages: list[dict[str, Any]] = [{"text": c} for c in split_text(text or "…", MAX_TEXT)]
        messages[-1]["attachment"] = {
            "type": "template",
            "payload": {"buttons": [zalo_button(b) for b in buttons]},
        }
        return messages
    return [{"text": chunk} for chunk in split_text(numbered(text, buttons), MAX_TEXT)]
