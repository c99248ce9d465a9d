"""Turns content entries into the bot's messages (text plus buttons).

Every answer about VssID ends with its source line; step-by-step mode shows
it with the first and the last step. Channels fit these messages to their own
limits (connectors/output.py); here they stay plain Rasa messages.
"""

from __future__ import annotations

from content import MAX_BUBBLE_CHARS, Content, Guide

# Related-topic and step buttons under one answer (Zalo shows 5, Messenger 3
# as buttons and the rest as quick replies).
MAX_ANSWER_BUTTONS = 4

STEP_PAYLOADS = {
    "next": "/next_step",
    "repeat": "/repeat_step",
    "previous": "/previous_step",
    "menu": "/show_menu",
}


def message(text: str, buttons: list[dict] | None = None, image: str | None = None) -> dict:
    return {"text": text, "buttons": buttons or [], "image": image}


def topic_button(content: Content, intent: str) -> dict:
    return {"title": content.topics[intent].label, "payload": f"/{intent}"}


def menu_buttons(content: Content, group: str | None = None) -> list[dict]:
    """The menu: one button per group of topics, or the topics of one group."""
    if group in content.messages["menu_groups"]:
        return [topic_button(content, i) for i, t in content.topics.items() if t.group == group]
    return [
        {"title": title, "payload": f'/show_menu{{"group":"{key}"}}'}
        for key, title in content.messages["menu_groups"].items()
    ]


def step_buttons(content: Content, *keys: str) -> list[dict]:
    titles = content.messages["step_buttons"]
    return [{"title": titles[k], "payload": STEP_PAYLOADS[k]} for k in keys]


def route_buttons(content: Content, guide_ids: list[str]) -> list[dict]:
    return [
        {"title": content.guides[g].label, "payload": f'/inform{{"guide":"{g}"}}'}
        for g in guide_ids
    ]


def os_buttons(content: Content, by_os: dict[str, str]) -> list[dict]:
    return [
        {"title": content.guides[guide_id].label, "payload": f'/inform{{"os":"{os_name}"}}'}
        for os_name, guide_id in by_os.items()
    ]


def step_button(content: Content, guide_id: str) -> dict:
    return {
        "title": content.messages["step_offer"],
        "payload": f'/step_by_step{{"guide":"{guide_id}"}}',
    }


def guide_text(content: Content, guide: Guide) -> str:
    """The whole guide: title, intro, numbered steps, outro."""
    lines = [guide.title + ":"]
    if guide.intro:
        lines.append(content.fill(guide.intro))
    lines += [f"Bước {n}. {content.fill(step)}" for n, step in enumerate(guide.steps, 1)]
    if guide.outro:
        lines.append(content.fill(guide.outro))
    return "\n".join(lines)


def _unique(buttons: list[dict]) -> list[dict]:
    seen, kept = set(), []
    for button in buttons:
        if button["payload"] not in seen:
            seen.add(button["payload"])
            kept.append(button)
    return kept[:MAX_ANSWER_BUTTONS]


def answer(content: Content, intent: str, guide_id: str | None = None) -> list[dict]:
    """A topic's answer: its text, the chosen guide, its caution and source line.

    Each bubble stays within one phone screen; the caution and the source
    line close the last bubble, or open one of their own when they don't fit.
    Buttons (step by step, related topics) go on the last bubble.
    """
    topic = content.topics[intent]
    bubbles, buttons = [], []
    if topic.text and not (topic.routes and guide_id):
        bubbles.append(content.fill(topic.text))
    if guide_id:
        guide = content.guides[guide_id]
        bubbles.append(guide_text(content, guide))
        buttons += [step_button(content, guide_id)]
        buttons += [topic_button(content, b) for b in guide.buttons]
    buttons += [topic_button(content, b) for b in topic.buttons]
    tail = [content.fill(topic.caution)] if topic.caution else []
    tail.append(content.source_line(topic))
    tail_text = "\n".join(tail)
    if bubbles and len(bubbles[-1]) + 1 + len(tail_text) <= MAX_BUBBLE_CHARS:
        bubbles[-1] += "\n" + tail_text
    else:
        bubbles.append(tail_text)
    messages = [message(text) for text in bubbles]
    messages[-1]["buttons"] = _unique(buttons)
    return messages


def route_question(content: Content, intent: str) -> dict:
    """A topic with several routes: its text and the question, one button per route."""
    topic = content.topics[intent]
    lines = [content.fill(topic.text), content.source_line(topic)] if topic.text else []
    lines.append(content.fill(topic.ask))
    return message("\n".join(lines), route_buttons(content, topic.routes))


def step_message(content: Content, guide_id: str, index: int) -> dict:
    """One step (0-based) with its position and the step-mode buttons."""
    guide = content.guides[guide_id]
    total = len(guide.steps)
    progress = content.message("step_progress", n=index + 1, total=total)
    lines = [f"{guide.title} – {progress}:", content.fill(guide.steps[index])]
    if index == total - 1 and guide.outro:
        lines.append(content.fill(guide.outro))
    if index == 0:
        lines.append(content.message("step_controls"))
    if index in (0, total - 1):
        lines.append(content.source_line(guide))
    keys = ["next", "repeat"] + (["previous"] if index > 0 else [])
    return message("\n".join(lines), step_buttons(content, *keys), guide.images.get(index + 1))
