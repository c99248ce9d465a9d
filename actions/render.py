"""Turns content entries into the bot's messages (text plus buttons).

Every answer about VssID ends with its source line; step-by-step mode shows
it with the first and the last step. Channels fit these messages to their own
limits (connectors/output.py); here they stay plain Rasa messages.
"""

from __future__ import annotations

from content import Content, Guide

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


def menu_buttons(content: Content) -> list[dict]:
    return [topic_button(content, intent) for intent in content.topics]


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
    """The whole guide: title, intro, numbered steps, outro, source line."""
    lines = [guide.title + ":"]
    if guide.intro:
        lines.append(content.fill(guide.intro))
    lines += [f"Bước {n}. {content.fill(step)}" for n, step in enumerate(guide.steps, 1)]
    if guide.outro:
        lines.append(content.fill(guide.outro))
    lines.append(content.source_line(guide))
    return "\n".join(lines)


def guide_message(content: Content, guide_id: str) -> dict:
    guide = content.guides[guide_id]
    buttons = [step_button(content, guide_id)]
    buttons += [topic_button(content, b) for b in guide.buttons]
    return message(guide_text(content, guide), buttons)


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


def text_message(content: Content, intent: str) -> dict:
    """A text topic: the answer, its caution and its source line."""
    topic = content.topics[intent]
    lines = [content.fill(topic.text)] if topic.text else []
    if topic.caution:
        lines.append(content.fill(topic.caution))
    lines.append(content.source_line(topic))
    return message("\n".join(lines), [topic_button(content, b) for b in topic.buttons])
