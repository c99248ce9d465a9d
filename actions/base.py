"""What every action shares: the content, the personal-data warning, the
user's own form of address, and small helpers over the tracker."""

from __future__ import annotations

import abc
import re
import unicodedata
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from content import Content, load
from privacy.mask import PLACEHOLDERS, SECRET_KINDS

SECRET_PLACEHOLDERS = tuple(PLACEHOLDERS[kind] for kind in SECRET_KINDS)
# How users speak of themselves ("cho chị hỏi", "bác muốn…", "em bị khóa…"):
# the replies then say "chị", "bác", "em" where they would say "bạn".
FORMS = ("chị", "cô", "chú", "bác", "em")
_SELF = re.compile(
    r"(?:^|\b(?:cho|giúp|giùm|hộ|với)\s+)(chị|cô|chú|bác|em)\b"
    r"|\b(chị|cô|chú|bác|em)\s+(?:muốn|hỏi|cần|bị|đã|không|chưa|có|đang|vừa|mới|làm|dùng|quên)\b",
    re.IGNORECASE,
)
_BAN = re.compile(r"\b([Bb])ạn\b")


def fold(text: str) -> str:
    """Lower case without diacritics, for matching words in what users type."""
    text = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    return unicodedata.normalize("NFC", "".join(c for c in text if not unicodedata.combining(c)))


def address_form(text: str) -> str | None:
    match = _SELF.search(unicodedata.normalize("NFC", text))
    return (match.group(1) or match.group(2)).lower() if match else None


def personalize(text: str, form: str | None) -> str:
    """'bạn' becomes the user's own form of address, 'Bạn' its capitalised form."""
    if not form or not text:
        return text
    return _BAN.sub(lambda m: form.capitalize() if m.group(1) == "B" else form, text)


def utter(dispatcher: CollectingDispatcher, msg: dict) -> None:
    dispatcher.utter_message(text=msg["text"], buttons=msg["buttons"], image=msg["image"])


def entity(tracker: Tracker, name: str) -> str | None:
    for found in tracker.latest_message.get("entities") or []:
        if found.get("entity") == name:
            return found.get("value")
    return None


def user_text(tracker: Tracker) -> str:
    return tracker.latest_message.get("text") or ""


class Answer(Action, abc.ABC):
    """An action that answers: warns first when the message held a secret,
    and speaks to the user as they speak of themselves. Abstract, so the SDK
    registers only its concrete subclasses."""

    @abc.abstractmethod
    def name(self) -> str: ...

    @abc.abstractmethod
    def respond(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, content: Content
    ) -> list[EventType]: ...

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        content = load()
        text = user_text(tracker)
        if any(placeholder in text for placeholder in SECRET_PLACEHOLDERS):
            source = content.sources[content.topics["ask_safety"].sources[0]]
            cite = content.message("source_line", cite=source.cite)
            dispatcher.utter_message(text=content.message("personal_data_warning") + "\n" + cite)
        events = self.respond(dispatcher, tracker, content)
        form = address_form(text) or tracker.get_slot("address")
        for message in dispatcher.messages:
            message["text"] = personalize(message.get("text"), form)
        if form and form != tracker.get_slot("address"):
            events = [*events, SlotSet("address", form)]
        return events
