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

from actions.content import Content, load

NLU_FALLBACK = "nlu_fallback"


def _step_buttons(content: Content, *keys: str) -> list[dict[str, str]]:
    titles = content.messages["step_buttons"]
    payloads = {
        "next": "/next_step",
        "repeat": "/repeat_step",
        "previous": "/previous_step",
        "menu": "/show_menu",
    }
    return [{"title": titles[k], "payload": payloads[k]} for k in keys]


def _os_buttons(content: Content, topic: dict) -> list[dict[str, str]]:
    return [
        {
            "title": content.guides[guide_id]["label"],
            "payload": f'/inform{{"os":"{os_name}"}}',
        }
        for os_name, guide_id in topic["by_os"].items()
    ]


def send_topic(
    dispatcher: CollectingDispatcher, content: Content, intent: str, os_name: str | None
) -> list[EventType]:
    """Answers a how-to topic; asks for the platform first when it matters."""
    topic = content.topics[intent]
    if "by_os" in topic:
        if os_name not in topic["by_os"]:
            dispatcher.utter_message(text=topic["ask_os"], buttons=_os_buttons(content, topic))
            return [SlotSet("pending_topic", intent)]
        guide_ids = [topic["by_os"][os_name]]
    else:
        guide_ids = topic.get("guides", [])

    if "text" in topic:
        buttons = [content.topic_button(b) for b in topic.get("buttons", [])]
        dispatcher.utter_message(text=content.topic_text(intent), buttons=buttons)
    if topic.get("intro"):
        dispatcher.utter_message(text=topic["intro"])
    several = len(guide_ids) > 1
    for guide_id in guide_ids:
        guide = content.guides[guide_id]
        buttons = [content.step_button(guide_id, several)]
        buttons += [content.topic_button(b) for b in guide.get("buttons", [])]
        dispatcher.utter_message(text=content.guide_text(guide_id), buttons=buttons)

    events: list[EventType] = [SlotSet("pending_topic", None), SlotSet("step", None)]
    if guide_ids:
        events.append(SlotSet("guide", guide_ids[0]))
    return events


class ActionShowGuide(Action):
    """Answers the how-to intents, and `inform` when a topic awaits a platform."""

    def name(self) -> str:
        return "action_show_guide"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        content = load()
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        os_name = tracker.get_slot("os")
        if intent not in content.topics:
            intent = tracker.get_slot("pending_topic")
        if intent in content.topics:
            return send_topic(dispatcher, content, intent, os_name)
        # A bare "android" with nothing pending: remember it, offer the menu.
        label = {"android": "Android", "ios": "iPhone (iOS)"}.get(os_name, "của bạn")
        dispatcher.utter_message(
            text=content.message("pick_os_unknown", os_label=label),
            buttons=content.menu_buttons(),
        )
        return []


class ActionShowMenu(Action):
    def name(self) -> str:
        return "action_show_menu"

    def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        content = load()
        dispatcher.utter_message(text=content.message("menu"), buttons=content.menu_buttons())
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
        guide_id = tracker.get_slot("guide")
        if guide_id not in content.guides:
            dispatcher.utter_message(
                text=content.message("step_none"), buttons=content.menu_buttons()
            )
            return []
        guide = content.guides[guide_id]
        index = self.start_index(tracker)
        if index is None:
            # Not in step mode yet: "tiếp" or "nhắc lại" start at step 1.
            index = 0
        if index < 0:
            dispatcher.utter_message(text=content.message("step_first"))
            index = 0
        if index >= len(guide["steps"]):
            dispatcher.utter_message(
                text=content.message("step_done", title=guide["title"]),
                buttons=content.menu_buttons(),
            )
            return [SlotSet("step", None)]
        keys = ["next", "repeat"] + (["previous"] if index > 0 else [])
        text = content.step_text(guide_id, index)
        if index == 0:
            text += "\n" + content.message("step_controls")
        dispatcher.utter_message(text=text, buttons=_step_buttons(content, *keys))
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
        dispatcher.utter_message(
            text=content.message("out_of_scope"), buttons=content.menu_buttons()
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
        if _previous_user_intent(tracker) == NLU_FALLBACK:
            dispatcher.utter_message(
                text=content.message("still_unclear"), buttons=content.menu_buttons()
            )
            return []
        ranking = tracker.latest_message.get("intent_ranking") or []
        guesses = [r["name"] for r in ranking if r.get("name") in content.topics][:3]
        if guesses:
            buttons = [content.topic_button(i) for i in guesses]
            dispatcher.utter_message(text=content.message("did_you_mean"), buttons=buttons)
        else:
            dispatcher.utter_message(
                text=content.message("did_you_mean_none"), buttons=content.menu_buttons()
            )
        return []
