"""The one path every incoming message takes, whatever the channel.

Each channel parses its platform's request, then calls `handle()`, which:
- refuses text over MAX_TEXT_CHARS before any work on it (a 300,000-character
  message would otherwise hold the event loop for seconds) and empty text,
  with a polite reply from content.yml;
- drops control characters (NUL and friends) and NFC-normalises the rest, so
  the model and the tracker store only ever see clean Vietnamese text;
- masks the personal data users type (ID and phone numbers, e-mails, OTPs,
  passwords) with typed placeholders, so none of it is ever stored, logged or
  seen by the model in clear (privacy/mask.py, docs/privacy.md);
- drops client metadata: nothing a client sends beyond the text is stored;
- builds the UserMessage under a channel-namespaced conversation id and hands
  it to Rasa;
- holds the turn's replies until Rasa has saved the turn: a turn that cannot be
  saved (store outage) or fails sends only the apology, the same on every
  channel, so a user never sees a step that the bot will not remember.
"""

from __future__ import annotations

import copy
import logging
import re
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.lock_store import LockError

from addons.tracker_store import TrackerStoreUnavailable
from content import load
from privacy.mask import mask

logger = logging.getLogger(__name__)

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]

# The conversation database or the lock store (Redis) is down: the turn cannot
# be processed safely, so channels answer with an apology or a 503.
OUTAGES = (TrackerStoreUnavailable, LockError)

MAX_TEXT_CHARS = 1000  # what may reach the model
MAX_SENDER_CHARS = 128

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Outcome:
    """What happened to one incoming message."""

    kind: Literal["answered", "refused", "outage", "failed"]
    reply: str | None = None  # the polite reply or the apology, when not answered


def clean_text(text: str) -> str:
    return unicodedata.normalize("NFC", _CONTROL.sub("", text)).strip()


def too_long() -> str:
    return load().message("too_long", limit=f"{MAX_TEXT_CHARS:,}".replace(",", "."))


def precheck(text: str) -> str | None:
    """The reply for a message the model should not see, or None if it is fine."""
    if not text:
        return load().message("empty")
    if len(text) > MAX_TEXT_CHARS:
        return too_long()
    return None


def conversation_id(channel: str, sender: str) -> str:
    """The tracker key of a platform user: namespaced by channel, so that an id
    typed into one channel (REST, the web page) can never name another
    channel's conversation (a Zalo or Messenger user's)."""
    return f"{channel}:{sender}"


def platform_id(conversation: str) -> str:
    """The platform's own user id inside a conversation id (for sending)."""
    return conversation.split(":", 1)[1] if ":" in conversation else conversation


class HeldReplies(OutputChannel):
    """Collects the bot's replies of one turn; `release()` sends them on.

    Rasa addresses replies to the tracker's (namespaced) id; the channel's own
    output gets the platform's id back.
    """

    def __init__(self, output: OutputChannel):
        self.output = output
        self.held: list[dict[str, Any]] = []

    def name(self) -> str:  # channel-specific responses in domain.yml key on it
        return self.output.name()

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        self.held.append(copy.deepcopy(message))

    async def release(self, recipient_id: str) -> None:
        for message in self.held:
            await self.output.send_response(recipient_id, message)
        self.held.clear()


def valid_sender(sender: object) -> bool:
    return isinstance(sender, str) and 0 < len(sender) <= MAX_SENDER_CHARS


def outage_reply(error: Exception) -> str:
    """Logs a storage outage loudly and returns the apology for the user."""
    logger.error("CONVERSATION STORE DOWN (%s): %s", type(error).__name__, error)
    return load().message("service_down")


def prepare(text: Any) -> tuple[str, str | None]:
    """(clean, masked text; polite reply or None): the checks, sending nothing."""
    if not isinstance(text, str):
        text = ""
    # Cleaning is linear but not free: cut before it (NUL bytes cannot make
    # an over-long text short enough to matter).
    if len(text) > 4 * MAX_TEXT_CHARS:
        return "", too_long()
    text = clean_text(text)
    reply = precheck(text)
    return ("", reply) if reply else (mask(text).text, None)


async def handle(
    on_new_message: OnNewMessage,
    output: OutputChannel,
    channel: str,
    sender: str,
    text: Any,
    message_id: str | None = None,
) -> Outcome:
    """Checks, cleans, masks and hands one message to Rasa; replies itself when Rasa can't."""
    text, reply = prepare(text)
    if reply:
        await output.send_text_message(sender, reply)
        return Outcome("refused", reply)
    held = HeldReplies(output)
    conversation = conversation_id(channel, sender)
    message = UserMessage(text, held, conversation, input_channel=channel, message_id=message_id)
    try:
        await on_new_message(message)
    except OUTAGES as error:
        kind, apology = "outage", outage_reply(error)
    except Exception:  # noqa: BLE001 - a failed turn still gets an answer, never silence
        logger.exception("Turn of %s failed; sent the apology", conversation)
        kind, apology = "failed", load().message("service_down")
    else:
        await held.release(sender)
        return Outcome("answered")
    await output.send_text_message(sender, apology)
    return Outcome(kind, apology)


async def handle_non_text(output: OutputChannel, sender: str) -> Outcome:
    """A sticker, photo or file: say politely that only text is read."""
    reply = load().message("text_only")
    await output.send_text_message(sender, reply)
    return Outcome("refused", reply)
