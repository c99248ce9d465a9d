"""Custom actions: thin classes that pick an entry of content.yml and send it.

Slots they keep:
- `os`: android | ios, filled from the `os` entity whenever the user names it;
- `pending_topic`: a topic waiting for the user's platform or route;
- `guide`, `step`, `paused`: the guide last shown and step mode (actions/steps.py);
- `address`: how the user speaks of themselves (actions/base.py).
"""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import feedback, render
from actions.base import Answer, entity, fold, user_text, utter
from actions.steps import in_step_mode, resume, show_step, step_question
from content import Content

NLU_FALLBACK = "nlu_fallback"
STEPWISE = ("tung buoc", "step by step")
RESUME = ("quay lai", "tiep", "buoc tiep")


def route_from_words(content: Content, routes: list[str], text: str) -> str | None:
    """The route whose words the user typed ("trên web" → register_web); the
    longest match wins, so "chưa có email" is not read as "email"."""
    folded = f" {fold(text)} "
    found = [
        (len(word), guide_id)
        for guide_id in routes
        for word in content.guides[guide_id].words
        if f" {word} " in folded or (" " in word and word in folded)
    ]
    return max(found)[1] if found else None


def send_topic(
    dispatcher: CollectingDispatcher,
    content: Content,
    intent: str,
    os_name: str | None,
    route: str | None = None,
    stepwise: bool = False,
) -> list[EventType]:
    """Answers a how-to topic; asks for the platform or the route first when it
    matters; with `stepwise`, starts step-by-step mode at step 1 at once."""
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
    if stepwise and guide_id:
        return [SlotSet("pending_topic", None), *show_step(dispatcher, content, guide_id, 0)]
    for msg in render.answer(content, intent, guide_id):
        utter(dispatcher, msg)
    events: list[EventType] = [SlotSet("pending_topic", None), SlotSet("step", None)]
    # A complete how-to answer: the topic its feedback would be about.
    events.append(SlotSet(feedback.TOPIC_SLOT, intent))
    if guide_id:
        events.append(SlotSet("guide", guide_id))
    return events


class ActionShowGuide(Answer):
    """Answers the how-to intents, a platform or route named on its own, and
    follow-ups: another platform, another route, a paused guide resumed."""

    def name(self) -> str:
        return "action_show_guide"

    def respond(self, dispatcher, tracker, content) -> list[EventType]:
        events = self._respond(dispatcher, tracker, content)
        answered = [e["value"] for e in events if e.get("name") == feedback.TOPIC_SLOT]
        return feedback.settle(tracker, events, answered[-1] if answered else None)

    def _respond(self, dispatcher, tracker, content) -> list[EventType]:
        text, folded = user_text(tracker), fold(user_text(tracker))
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        os_name, guide_id = tracker.get_slot("os"), tracker.get_slot("guide")
        stepwise = any(cue in folded for cue in STEPWISE)
        paused = (tracker.get_slot("paused") or "").split(":")
        if intent in content.topics and len(paused) == 2 and any(c in folded for c in RESUME):
            if paused[0] in content.topics[intent].guide_ids():
                index = int(float(paused[1])) + (1 if "tiep" in folded else 0)
                return [SlotSet("paused", None), *show_step(dispatcher, content, paused[0], index)]
        if intent not in content.topics:
            # "iphone", "trên web", "còn máy con táo thì sao": the pending topic,
            # else the topic of the guide just shown, for that platform or route.
            intent = tracker.get_slot("pending_topic") or feedback.topic_of(content, guide_id)
        if intent not in content.topics:
            label = {"android": "Android", "ios": "iPhone (iOS)"}.get(os_name, "của bạn")
            dispatcher.utter_message(
                text=content.message("pick_os_unknown", os_label=label),
                buttons=render.menu_buttons(content),
            )
            return []
        topic = content.topics[intent]
        route = entity(tracker, "guide") or route_from_words(content, topic.routes, text)
        staying = guide_id in topic.guide_ids() and not route and not entity(tracker, "os")
        if in_step_mode(tracker, content) and staying and not stepwise:
            return step_question(dispatcher, tracker, content)
        events: list[EventType] = []
        if in_step_mode(tracker, content) and not staying:
            events.append(SlotSet("paused", f"{guide_id}:{int(tracker.get_slot('step'))}"))
        return events + send_topic(dispatcher, content, intent, os_name, route, stepwise)


class ActionShowMenu(Answer):
    def name(self) -> str:
        return "action_show_menu"

    def respond(self, dispatcher, tracker, content) -> list[EventType]:
        buttons = render.menu_buttons(content, entity(tracker, "group"))
        dispatcher.utter_message(text=content.message("menu"), buttons=buttons)
        return []


class ActionOutOfScope(Answer):
    def name(self) -> str:
        return "action_out_of_scope"

    def respond(self, dispatcher, tracker, content) -> list[EventType]:
        if in_step_mode(tracker, content):
            return step_question(dispatcher, tracker, content)
        dispatcher.utter_message(
            text=content.message("out_of_scope"), buttons=render.menu_buttons(content)
        )
        return []


def _previous_user_intent(tracker: Tracker) -> str | None:
    users = [e for e in tracker.events if e.get("event") == "user"]
    if len(users) < 2:
        return None
    return (users[-2].get("parse_data") or {}).get("intent", {}).get("name")


class ActionClarify(Answer):
    """Low NLU confidence: offer the likeliest topics; twice in a row, the hotline.
    Inside a guide, a question is about the step: never the bare menu."""

    def name(self) -> str:
        return "action_clarify"

    def respond(self, dispatcher, tracker, content) -> list[EventType]:
        if in_step_mode(tracker, content):
            return step_question(dispatcher, tracker, content)
        resumed = resume(dispatcher, tracker, content)
        if resumed is not None:
            return resumed
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


class ActionRepeatOptions(Answer):
    """A typed number that matches no option shown: the options again."""

    def name(self) -> str:
        return "action_repeat_options"

    def respond(self, dispatcher, tracker, content) -> list[EventType]:
        last = next(
            (
                e
                for e in reversed(tracker.events)
                if e.get("event") == "bot" and (e.get("data") or {}).get("buttons")
            ),
            None,
        )
        buttons = (last or {}).get("data", {}).get("buttons") or render.menu_buttons(content)
        text = content.message("pick_number", total=len(buttons))
        dispatcher.utter_message(text=text, buttons=buttons)
        return []
