"""A typed option number picks that option, on every channel.

Menus and choices are buttons; channels that cannot show them all (Zalo
beyond 5, Messenger beyond 10, `rasa shell`, a plain REST client) number
them. Before NLU, a reply such as "2", "số 2" or "cái thứ 2" is replaced by the
payload of the second button the bot offered since the user's last message,
so the conversation goes on as if that button had been tapped. A number that
matches no option shown becomes `/repeat_options`, which shows them again.
"""

from __future__ import annotations

import functools
import logging

from rasa.core.processor import MessageProcessor
from rasa.shared.core.events import BotUttered, UserUttered

from connectors.output import number_reply

logger = logging.getLogger(__name__)

REPEAT_OPTIONS = "/repeat_options"


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
        if chosen != message.text:
            logger.debug("Option number %r stands for %r", message.text, chosen)
            message.text = chosen
        return await original(self, message, tracker, only_output_properties)

    parse_message._numbered = True
    MessageProcessor.parse_message = parse_message
