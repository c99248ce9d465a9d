"""Step-by-step mode: one step at a time, and what users say inside a guide.

Slots: `guide` (the guide shown last), `step` (0-based index of the current
step, None outside step mode; len(steps) once the guide is done, so "tiếp"
says it is done instead of starting again) and `paused` ("guide:step" of a
guide left for another topic, so "quay lại…, bước tiếp theo" resumes it).
"""

from __future__ import annotations

import re

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import feedback, render
from actions.base import Answer, fold, user_text, utter
from content import Content

_STEP_NUMBER = re.compile(r"\bbuoc\s*(\d{1,2})\b")


def show_step(dispatcher: CollectingDispatcher, content: Content, guide_id: str, index: int):
    """Shows step `index` (clamped to the guide), or says the guide is done."""
    guide = content.guides[guide_id]
    if index < 0:
        dispatcher.utter_message(text=content.message("step_first"))
        index = 0
    if index >= len(guide.steps):
        dispatcher.utter_message(
            text=content.message("step_done", title=guide.title),
            buttons=render.menu_buttons(content),
        )
        return [SlotSet("step", float(len(guide.steps)))]
    utter(dispatcher, render.step_message(content, guide_id, index))
    return [SlotSet("guide", guide_id), SlotSet("step", float(index))]


def in_step_mode(tracker: Tracker, content: Content) -> bool:
    step, guide_id = tracker.get_slot("step"), tracker.get_slot("guide")
    return (
        step is not None
        and guide_id in content.guides
        and int(step) < len(content.guides[guide_id].steps)
    )


def resume(
    dispatcher: CollectingDispatcher, tracker: Tracker, content: Content
) -> list[EventType] | None:
    """ "Quay lại đổi mật khẩu, bước tiếp theo" after a detour: back to the
    paused guide where the user left it (the next step if they say "tiếp")."""
    paused = (tracker.get_slot("paused") or "").split(":")
    folded = fold(user_text(tracker))
    if len(paused) != 2 or paused[0] not in content.guides or "quay lai" not in folded:
        return None
    index = int(float(paused[1])) + (1 if "tiep" in folded else 0)
    return [SlotSet("paused", None), *show_step(dispatcher, content, paused[0], index)]


def step_question(
    dispatcher: CollectingDispatcher, tracker: Tracker, content: Content
) -> list[EventType]:
    """A question inside a guide: the guide gives no more detail than the step
    itself, so say so (with the hotline) and show that step again."""
    guide_id = tracker.get_slot("guide")
    total = len(content.guides[guide_id].steps)
    index = min(int(tracker.get_slot("step") or 0), total - 1)
    asked = _STEP_NUMBER.search(fold(user_text(tracker)))
    if asked and 1 <= int(asked.group(1)) <= total:
        index = int(asked.group(1)) - 1
    dispatcher.utter_message(text=content.message("step_question"))
    return show_step(dispatcher, content, guide_id, index)


class StepAction(Answer):
    """Moves the `step` slot by `delta`; a mixin-free base, registered per subclass."""

    delta = 0

    def start_index(self, tracker: Tracker, total: int) -> int | None:
        step = tracker.get_slot("step")
        return None if step is None else int(step) + self.delta

    def respond(self, dispatcher, tracker, content) -> list[EventType]:
        guide_id = tracker.get_slot("guide")
        resumed = resume(dispatcher, tracker, content)
        if resumed is not None:
            return resumed
        if guide_id not in content.guides:
            dispatcher.utter_message(
                text=content.message("step_none"), buttons=render.menu_buttons(content)
            )
            return []
        index = self.start_index(tracker, len(content.guides[guide_id].steps))
        # Not in step mode yet: "tiếp" or "nhắc lại" start at step 1.
        return show_step(dispatcher, content, guide_id, 0 if index is None else index)


def _arrived_at_end(
    tracker: Tracker, content: Content, events: list[EventType], fresh: bool = False
) -> str | None:
    """The guide's topic when these events bring the user to its last step
    (or past it) from an earlier one (`fresh`: a guide just started); once
    there, more "tiếp" ask nothing."""
    slots = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    guide_id = slots.get("guide") or tracker.get_slot("guide")
    if guide_id not in content.guides or slots.get("step") is None:
        return None
    last = len(content.guides[guide_id].steps) - 1
    before = None if fresh else tracker.get_slot("step")
    if int(slots["step"]) < last or (before is not None and int(before) >= last):
        return None
    return feedback.topic_of(content, guide_id)


class ActionStepByStep(StepAction):
    """Starts the current guide (or the one named in the button) at step 1."""

    def name(self) -> str:
        return "action_step_by_step"

    def start_index(self, tracker: Tracker, total: int) -> int | None:
        return 0

    def respond(self, dispatcher, tracker, content) -> list[EventType]:
        # A one-step guide ends where it starts.
        events = super().respond(dispatcher, tracker, content)
        topic = _arrived_at_end(tracker, content, events, fresh=True)
        return feedback.settle(tracker, events, topic)


class ActionNextStep(StepAction):
    """Asks for feedback once the last step is shown (not after every step)."""

    delta = 1

    def name(self) -> str:
        return "action_next_step"

    def respond(self, dispatcher, tracker, content) -> list[EventType]:
        events = super().respond(dispatcher, tracker, content)
        return feedback.settle(tracker, events, _arrived_at_end(tracker, content, events))


class ActionRepeatStep(StepAction):
    def name(self) -> str:
        return "action_repeat_step"

    def start_index(self, tracker: Tracker, total: int) -> int | None:
        step = tracker.get_slot("step")
        # "nhắc lại" after the end shows the last step again.
        return None if step is None else min(int(step), total - 1)


class ActionPreviousStep(StepAction):
    delta = -1

    def name(self) -> str:
        return "action_previous_step"


class ActionStepQuestion(Answer):
    """ "Bước 2 điền những gì?": about that step inside a guide; outside one,
    asks which guide."""

    def name(self) -> str:
        return "action_step_question"

    def respond(self, dispatcher, tracker, content) -> list[EventType]:
        if tracker.get_slot("guide") in content.guides:
            return step_question(dispatcher, tracker, content)
        dispatcher.utter_message(
            text=content.message("step_none"), buttons=render.menu_buttons(content)
        )
        return []


class ActionStopGuide(Answer):
    """ "Dừng lại, tôi muốn hỏi cái khác": leaves step mode, offers the menu."""

    def name(self) -> str:
        return "action_stop_guide"

    def respond(self, dispatcher, tracker, content) -> list[EventType]:
        dispatcher.utter_message(
            text=content.message("step_stopped"), buttons=render.menu_buttons(content)
        )
        return [SlotSet("step", None), SlotSet("paused", None)]
