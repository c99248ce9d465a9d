"""Loads `content.yml`, checks it and renders its guides as messages.

The content file is the only place where the bot's answers about VssID live;
the actions only pick an entry and call the renderers below.
"""

from __future__ import annotations

import functools
import pathlib
import unicodedata
from dataclasses import dataclass
from typing import Any

import yaml

CONTENT_PATH = pathlib.Path(__file__).parent / "content.yml"

# Facebook Messenger rejects button titles over 20 characters.
MAX_BUTTON_TITLE = 20


class ContentError(ValueError):
    """The content file is malformed."""


def _nfc(value: Any) -> Any:
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value.strip())
    if isinstance(value, list):
        return [_nfc(v) for v in value]
    if isinstance(value, dict):
        return {k: _nfc(v) for k, v in value.items()}
    return value


@dataclass(frozen=True)
class Content:
    hotline: str
    guides: dict[str, dict]
    topics: dict[str, dict]
    messages: dict[str, str]

    def message(self, key: str, **values: Any) -> str:
        return self.messages[key].format(hotline=self.hotline, **values)

    def topic_text(self, intent: str) -> str:
        return self.topics[intent]["text"].format(hotline=self.hotline)

    def guide_text(self, guide_id: str) -> str:
        """The whole guide: title, optional intro, numbered steps, optional outro."""
        guide = self.guides[guide_id]
        lines = [guide["title"] + ":"]
        if guide.get("intro"):
            lines.append(guide["intro"])
        lines += [f"Bước {n}. {step}" for n, step in enumerate(guide["steps"], 1)]
        if guide.get("outro"):
            lines.append(guide["outro"])
        return "\n".join(lines)

    def step_text(self, guide_id: str, index: int) -> str:
        """One step of a guide (0-based index), with its position."""
        guide = self.guides[guide_id]
        total = len(guide["steps"])
        progress = self.message("step_progress", n=index + 1, total=total)
        text = f"{guide['title']} – {progress}:\n{guide['steps'][index]}"
        if index == total - 1 and guide.get("outro"):
            text += "\n" + guide["outro"]
        return text

    def topic_button(self, intent: str) -> dict:
        return {"title": self.topics[intent]["label"], "payload": f"/{intent}"}

    def menu_buttons(self) -> list[dict]:
        return [self.topic_button(intent) for intent in self.topics]

    def step_button(self, guide_id: str, several: bool) -> dict:
        title = self.messages["step_offer"]
        if several:
            title = self.message("step_offer_for", label=self.guides[guide_id]["label"])
        return {"title": title, "payload": f'/step_by_step{{"guide":"{guide_id}"}}'}


def _require(mapping: dict, key: str, where: str) -> Any:
    if not mapping.get(key):
        raise ContentError(f"{where}: missing '{key}'")
    return mapping[key]


def validate(raw: dict) -> Content:
    """Checks every reference and required field; raises ContentError."""
    hotline = _require(raw, "hotline", "content")
    guides = _require(raw, "guides", "content")
    topics = _require(raw, "topics", "content")
    messages = _require(raw, "messages", "content")
    for gid, guide in guides.items():
        for key in ("title", "source", "steps"):
            _require(guide, key, f"guide {gid}")
        if not all(isinstance(s, str) and s for s in guide["steps"]):
            raise ContentError(f"guide {gid}: every step must be non-empty text")
        for topic in guide.get("buttons", []):
            if topic not in topics:
                raise ContentError(f"guide {gid}: button to unknown topic {topic}")
    for intent, topic in topics.items():
        _require(topic, "label", f"topic {intent}")
        if len(topic["label"]) > MAX_BUTTON_TITLE:
            raise ContentError(f"topic {intent}: label over {MAX_BUTTON_TITLE} chars")
        refs = list(topic.get("guides", [])) + list(topic.get("by_os", {}).values())
        if "text" in topic:
            _require(topic, "source", f"topic {intent}")
        elif not refs:
            raise ContentError(f"topic {intent}: needs 'text', 'guides' or 'by_os'")
        if "by_os" in topic:
            _require(topic, "ask_os", f"topic {intent}")
            if set(topic["by_os"]) != {"android", "ios"}:
                raise ContentError(f"topic {intent}: by_os must cover android and ios")
        if "intro" in topic:
            _require(topic, "intro_source", f"topic {intent}")
        for ref in refs:
            if ref not in guides:
                raise ContentError(f"topic {intent}: unknown guide {ref}")
        for button in topic.get("buttons", []):
            if button not in topics:
                raise ContentError(f"topic {intent}: button to unknown topic {button}")
        if len(topic.get("guides", [])) > 1:
            for ref in topic["guides"]:
                _require(guides[ref], "label", f"guide {ref}")
    return Content(hotline, guides, topics, messages)


@functools.cache
def load(path: pathlib.Path = CONTENT_PATH) -> Content:
    with open(path, encoding="utf-8") as f:
        return validate(_nfc(yaml.safe_load(f)))
