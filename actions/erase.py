"""Erasure on request (docs/privacy.md): ask first, then say it is done; the
add-on addons/erasure.py deletes the stored conversation after this turn."""

from __future__ import annotations

from rasa_sdk.events import EventType

from actions.base import Answer


class ActionAskErase(Answer):
    """ "Xóa dữ liệu của tôi": asks to confirm before anything is deleted."""

    def name(self) -> str:
        return "action_ask_erase"

    def respond(self, dispatcher, tracker, content) -> list[EventType]:
        titles = content.messages["erase_buttons"]
        buttons = [
            {"title": titles["confirm"], "payload": "/erase_confirm"},
            {"title": titles["keep"], "payload": "/deny"},
        ]
        dispatcher.utter_message(text=content.message("erase_ask"), buttons=buttons)
        return []


class ActionEraseConversation(Answer):
    """Confirmed: says so. The custom `erased` flag tells the web page to clear
    its own copy too."""

    def name(self) -> str:
        return "action_erase_conversation"

    def respond(self, dispatcher, tracker, content) -> list[EventType]:
        dispatcher.utter_message(text=content.message("erase_done"))
        dispatcher.utter_message(json_message={"erased": True})
        return []
