"""Options the bot offered, and only those, can be picked, on every channel.

Menus and choices are buttons; channels that cannot show them all (Zalo
beyond 5, Messenger beyond 10, `rasa shell`, a plain REST client) number
them. Before NLU, a reply such as "2", "số 2" or "cái thứ 2" is replaced by the
payload of the second button the bot offered since the user's last message,
so the conversation goes on as if that button had been tapped. A number that
matches no option shown becomes `/repeat_options`, which shows them again.

A typed `/intent{...}` payload is taken as one only if the bot offered it in
this conversation (or it is one of the entry points every page shows: the
menu, erasure, which asks first, and a greeting); anything else, such as
"/restart", "/erase_confirm" or '/inform{"step": 9}', is read as plain text.
Testers in `rasa shell` and the conversation tests keep their shortcuts.
"""

from __future__ import annotations

import functools
import logging

from rasa.core.processor import MessageProcessor
from rasa.shared.core.events import BotUttered, UserUttered

from connectors.output import number_reply
from content import load

logger = logging.getLogger(__name__)

REPEAT_OPTIONS = "/repeat_options"
ENTRY_POINTS = {"/greet", "/show_menu", "/erase_data"}
# `rasa shell` and `rasa test` (no channel: every real channel names itself,
# connectors/inbound.py) keep their payload shortcuts.
TESTER_CHANNELS = {"cmdline", None}


@functools.lru_cache(maxsize=1)
def entry_points() -> frozenset[str]:
    groups = load().messages["menu_groups"]
    # The same payloads as actions/render.menu_buttons and the page's welcome.
    return frozenset(ENTRY_POINTS | {f'/show_menu{{"group":"{key}"}}' for key in groups})


def offered_anywhere(tracker) -> set[str]:
    """Every button payload the bot has sent in this conversation."""
    return {
        str(button.get("payload"))
        for event in (tracker.events if tracker else [])
        if isinstance(event, BotUttered)
        for button in event.data.get("buttons") or []
    }


def allowed_payload(text: str, tracker, channel: str | None) -> str:
    """`text` if it is not a payload or one that may be used here, else plain text."""
    if not text.startswith("/") or channel in TESTER_CHANNELS:
        return text
    if text in entry_points() or text in offered_anywhere(tracker):
        return text
    logger.info("Payload %r was not offered in this conversation: read as text", text[:60])
    return text.lstrip("/") or text


def offered_buttons(tracker) -> list[dict]:
    """The buttons of the bot's last message with buttons in this turn."""
    for event in reversed(tracker.events if tracker else []):
        if isinstance(event, UserUttered):
            break
        if isinstance(event, BotUttered) and event.data.get("buttons"):
            return list(event.data["buttons"])
    return []


def resolve(text: str, tracker) -> str:
    """The payload a number reply stands for, else `text` unchanged."""
    number = number_reply(text)
    if number is None:
        return text
    buttons = offered_buttons(tracker)
    if 1 <= number <= len(buttons) and buttons[number - 1].get("payload"):
        return str(buttons[number - 1]["payload"])
    return REPEAT_OPTIONS if buttons else text


def active() -> bool:
    return getattr(MessageProcessor.parse_message, "_numbered", False)


def install() -> None:
    if active():
        return
    original = MessageProcessor.parse_message

    @functools.wraps(original)
    async def parse_message(self, message, tracker=None, only_output_properties=True):
        chosen = resolve(message.text or "", tracker)
        if chosen == message.text:  # typed, not picked by number: check it
            chosen = allowed_payload(chosen, tracker, message.input_channel)
        if chosen != message.text:
            logger.debug("Option number %r stands for %r", message.text, chosen)
            message.text = chosen
        return await original(self, message, tracker, only_output_properties)

    parse_message._numbered = True
    MessageProcessor.parse_message = parse_message
