"""Feedback on answers: two buttons after a how-to answer or at the end of a
guide, and the record of what the user tapped.

How it flows (data/rules.yml):
- the answering action (action_show_guide, action_next_step) always sets the
  slot `feedback_topic`: the topic just answered when feedback should be
  asked, else None (`settle`). The slot influences the conversation, so the
  rules "action_show_guide / action_next_step with feedback_topic set" run
  `action_offer_feedback`, which sends the question with the two buttons;
- rules that hold only right after `action_offer_feedback` send the user's
  answer (a button, "huu ich", "chua dung y", "có", "không") to
  `action_record_feedback`, which stores it as the slot event
  `feedback = {"rating": "good" | "bad", "topic": <intent>}`: one event per
  rating, so `make review` (scripts/review.py) counts them per topic.

Never asked twice in a row (the bot turn before did not already ask), never
again for a topic the user has already rated in this conversation, never
after a decline (`ask_other_service`).
"""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet

from actions import render
from actions.base import Answer
from content import Content

OFFER_ACTION = "action_offer_feedback"
TOPIC_SLOT = "feedback_topic"
FEEDBACK_SLOT = "feedback"
PAYLOADS = {"good": "/feedback_good", "bad": "/feedback_bad"}
# Intents that answer the feedback question (affirm/deny only right after it).
RATINGS = {"feedback_good": "good", "affirm": "good", "feedback_bad": "bad", "deny": "bad"}
# Topics whose answer is itself "no sourced answer": nothing to rate.
NOT_RATED = {"ask_other_service"}


def topic_of(content: Content, guide_id: str | None) -> str | None:
    """The topic whose answer holds this guide."""
    return next((i for i, t in content.topics.items() if guide_id in t.guide_ids()), None)


def _previous_turn(tracker: Tracker) -> list[dict]:
    """The events of the bot turn before the latest user message."""
    users = [i for i, e in enumerate(tracker.events) if e.get("event") == "user"]
    if len(users) < 2:
        return []
    return tracker.events[users[-2] : users[-1]]


def _rated(tracker: Tracker) -> set[str]:
    return {
        (e.get("value") or {}).get("topic")
        for e in tracker.events
        if e.get("event") == "slot" and e.get("name") == FEEDBACK_SLOT and e.get("value")
    }


def should_offer(tracker: Tracker, topic: str | None) -> bool:
    if not topic or topic in NOT_RATED or topic in _rated(tracker):
        return False
    return not any(
        e.get("event") == "action" and e.get("name") == OFFER_ACTION
        for e in _previous_turn(tracker)
    )


def settle(tracker: Tracker, events: list[EventType], topic: str | None) -> list[EventType]:
    """`events` ending with the `feedback_topic` this answer leaves: `topic`
    when it should be rated, else None (set only if the slot held a stale
    topic, which would otherwise trigger the offer rule again)."""
    kept = [e for e in events if not (e.get("event") == "slot" and e.get("name") == TOPIC_SLOT)]
    value = topic if should_offer(tracker, topic) else None
    if value is None and tracker.get_slot(TOPIC_SLOT) is None:
        return kept
    return [*kept, SlotSet(TOPIC_SLOT, value)]


def buttons(content: Content) -> list[dict]:
    titles = content.messages["feedback_buttons"]
    return [{"title": titles[k], "payload": PAYLOADS[k]} for k in ("good", "bad")]


class ActionOfferFeedback(Answer):
    def name(self) -> str:
        return OFFER_ACTION

    def respond(self, dispatcher, tracker, content) -> list[EventType]:
        dispatcher.utter_message(text=content.message("feedback_ask"), buttons=buttons(content))
        return []


class ActionRecordFeedback(Answer):
    """Stores the rating of the topic offered just before; "chưa đúng ý" also
    gets the offer to ask again, the topics and the hotline."""

    def name(self) -> str:
        return "action_record_feedback"

    def respond(self, dispatcher, tracker, content) -> list[EventType]:
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        rating = RATINGS.get(intent, "bad")
        topic = tracker.get_slot(TOPIC_SLOT)
        offered = any(
            e.get("event") == "action" and e.get("name") == OFFER_ACTION
            for e in _previous_turn(tracker)
        )
        if rating == "good":
            dispatcher.utter_message(text=content.message("feedback_thanks"))
        else:
            dispatcher.utter_message(
                text=content.message("feedback_sorry"), buttons=render.menu_buttons(content)
            )
        if not (offered and topic):
            return []  # "chưa đúng ý" typed out of the blue: answered, not counted
        return [
            SlotSet(FEEDBACK_SLOT, {"rating": rating, "topic": topic}),
            SlotSet(TOPIC_SLOT, None),
        ]
