"""Custom actions: thin classes that pick an entry of content.yml and send it.

Slots they keep:
- `os`: android | ios, filled from the `os` entity whenever the user names it;
- `pending_topic`: a topic waiting for the user's platform (install);
- `guide`, `step`: the guide last shown and, in step-by-step mode, the
  0-based index of the current step.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import render
from content import Content, load
from privacy.mask import PLACEHOLDERS, SECRET_KINDS

NLU_FALLBACK = "nlu_fallback"


def utter(dispatcher: CollectingDispatcher, msg: dict) -> None:
    dispatcher.utter_message(text=msg["text"], buttons=msg["buttons"], image=msg["image"])


SECRET_PLACEHOLDERS = tuple(PLACEHOLDERS[kind] for kind in SECRET_KINDS)


def warn_about_personal_data(
    dispatcher: CollectingDispatcher, tracker: Tracker, content: Content
) -> None:
    """The message held a password, an OTP or an ID number (masked on the way in):
    say first that nobody needs them, with the source of that advice."""
    text = tracker.latest_message.get("text") or ""
    if any(placeholder in text for placeholder in SECRET_PLACEHOLDERS):
        source = content.sources[content.topics["ask_safety"].sources[0]]
        warning = content.message("personal_data_warning")
        dispatcher.utter_message(
            text=f"{warning}\n{content.message('source_line', cite=source.cite)}"
        )


def _entity(tracker: Tracker, name: str) -> str | None:
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") == name:
            return entity.get("value")
    return None


def send_topic(
    dispatcher: CollectingDispatcher,
    content: Content,
    intent: str,
    os_name: str | None,
    route: str | None = None,
) -> list[EventType]:
    """Answers a how-to topic; asks for the platform or the route first when it matters."""
    topic = content.topics[intent]
    guide_id = topic.guides[0] if topic.guides else None
    if topic.by_os:
        if os_name not in topic.by_os:
            buttons = render.os_buttons(content, topic.by_os)
            dispatcher.utter_message(text=topic.ask_os, buttons=buttons)
            return [SlotSet("pending_topic", intent)]
        guide_id = topic.by_os[os_name]
    elif topic.routes:
        if route not in topic.routes:
            utter(dispatcher, render.route_question(content, intent))
            return [SlotSet("pending_topic", intent)]
        guide_id = route
    for msg in render.answer(content, intent, guide_id):
        utter(dispatcher, msg)
    events: list[EventType] = [SlotSet("pending_topic", None), SlotSet("step", None)]
    if guide_id:
        events.append(SlotSet("guide", guide_id))
    return events


class ActionShowGuide(Action):
    """Answers the how-to intents, and `inform` when a topic awaits a platform."""

    def name(self) -> str:
        return "action_show_guide"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        content = load()
        warn_about_personal_data(dispatcher, tracker, content)
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        os_name = tracker.get_slot("os")
        if intent not in content.topics:
            intent = tracker.get_slot("pending_topic")
        if intent in content.topics:
            route = _entity(tracker, "guide")
            return send_topic(dispatcher, content, intent, os_name, route)
        # A bare "android" with nothing pending: remember it, offer the menu.
        label = {"android": "Android", "ios": "iPhone (iOS)"}.get(os_name, "của bạn")
        dispatcher.utter_message(
            text=content.message("pick_os_unknown", os_label=label),
            buttons=render.menu_buttons(content),
        )
        return []


class ActionShowMenu(Action):
    def name(self) -> str:
        return "action_show_menu"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        content = load()
        warn_about_personal_data(dispatcher, tracker, content)
        group = _entity(tracker, "group")
        buttons = render.menu_buttons(content, group)
        dispatcher.utter_message(text=content.message("menu"), buttons=buttons)
        return []


class StepAction:
    """Step-by-step mode: moves the `step` slot by `delta` and shows that step.

    A mixin rather than an Action, so the SDK does not register it as an action.
    """

    action_name = ""
    delta = 0

    def name(self) -> str:
        return self.action_name

    def start_index(self, tracker: Tracker) -> int | None:
        step = tracker.get_slot("step")
        return None if step is None else int(step) + self.delta

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        content = load()
        warn_about_personal_data(dispatcher, tracker, content)
        guide_id = tracker.get_slot("guide")
        if guide_id not in content.guides:
            dispatcher.utter_message(
                text=content.message("step_none"), buttons=render.menu_buttons(content)
            )
            return []
        steps = content.guides[guide_id].steps
        index = self.start_index(tracker)
        if index is None:
            # Not in step mode yet: "tiếp" or "nhắc lại" start at step 1.
            index = 0
        if index < 0:
            dispatcher.utter_message(text=content.message("step_first"))
            index = 0
        if index >= len(steps):
            dispatcher.utter_message(
                text=content.message("step_done", title=content.guides[guide_id].title),
                buttons=render.menu_buttons(content),
            )
            return [SlotSet("step", None)]
        utter(dispatcher, render.step_message(content, guide_id, index))
        return [SlotSet("step", float(index))]


class ActionStepByStep(StepAction, Action):
    """Starts the current guide (or the one named in the button) at step 1."""

    action_name = "action_step_by_step"

    def start_index(self, tracker: Tracker) -> int | None:
        return 0


class ActionNextStep(StepAction, Action):
    action_name = "action_next_step"
    delta = 1


class ActionRepeatStep(StepAction, Action):
    action_name = "action_repeat_step"
    delta = 0


class ActionPreviousStep(StepAction, Action):
    action_name = "action_previous_step"
    delta = -1


class ActionOutOfScope(Action):
    def name(self) -> str:
        return "action_out_of_scope"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        content = load()
        warn_about_personal_data(dispatcher, tracker, content)
        dispatcher.utter_message(
            text=content.message("out_of_scope"), buttons=render.menu_buttons(content)
        )
        return []


def _previous_user_intent(tracker: Tracker) -> str | None:
    users = [e for e in tracker.events if e.get("event") == "user"]
    if len(users) < 2:
        return None
    return (users[-2].get("parse_data") or {}).get("intent", {}).get("name")


class ActionClarify(Action):
    """Low NLU confidence: offer the likeliest topics; twice in a row, the hotline."""

    def name(self) -> str:
        return "action_clarify"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        content = load()
        warn_about_personal_data(dispatcher, tracker, content)
        if _previous_user_intent(tracker) == NLU_FALLBACK:
            dispatcher.utter_message(
                text=content.message("still_unclear"), buttons=render.menu_buttons(content)
            )
            return []
        ranking = tracker.latest_message.get("intent_ranking") or []
        guesses = [r["name"] for r in ranking if r.get("name") in content.topics][:3]
        if guesses:
            buttons = [render.topic_button(content, i) for i in guesses]
            dispatcher.utter_message(text=content.message("did_you_mean"), buttons=buttons)
        else:
            dispatcher.utter_message(
                text=content.message("did_you_mean_none"), buttons=render.menu_buttons(content)
            )
        return []


class ActionAskErase(Action):
    """"Xóa dữ liệu của tôi": asks to confirm before anything is deleted."""

    def name(self) -> str:
        return "action_ask_erase"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        content = load()
        titles = content.messages["erase_buttons"]
        buttons = [
            {"title": titles["confirm"], "payload": "/erase_confirm"},
            {"title": titles["keep"], "payload": "/deny"},
        ]
        dispatcher.utter_message(text=content.message("erase_ask"), buttons=buttons)
        return []


class ActionEraseConversation(Action):
    """Confirmed: says so; addons/erasure.py then deletes the stored conversation.

    The custom `erased` flag tells the web page to clear its own copy too.
    """

    def name(self) -> str:
        return "action_erase_conversation"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        dispatcher.utter_message(text=load().message("erase_done"))
        dispatcher.utter_message(json_message={"erased": True})
        return []
