"""The whole content file: sources, guides, topics and fixed messages."""

from __future__ import annotations

import datetime
from typing import Any

from pydantic import root_validator, validator

from content.schema import (
    GROUPS,
    MAX_BUBBLE_CHARS,
    MAX_BUTTON_TITLE,
    Guide,
    Source,
    Sourced,
    Strict,
    Topic,
    parse_date,
)

# The source line names this many sources; content.yml lists the strongest first.
MAX_CITES = 2
# An answer whose newest source is older than this says so.
OLD_AFTER = datetime.timedelta(days=2 * 365)
REQUIRED_MESSAGES = (
    "menu", "step_offer", "step_buttons", "step_progress", "step_controls",
    "step_done", "step_first", "step_none", "pick_os_unknown", "out_of_scope",
    "out_of_scope_vssid", "did_you_mean", "did_you_mean_none", "still_unclear", "too_long",
    "empty", "text_only", "session_invalid", "service_down", "source_line", "source_old",
    "menu_groups", "personal_data_warning", "erase_ask", "erase_buttons", "erase_done",
    "step_question", "step_stopped", "pick_number", "feedback_ask", "feedback_buttons",
    "feedback_thanks", "feedback_sorry",
)  # fmt: skip


class Content(Strict):
    hotline: str
    sources: dict[str, Source]
    guides: dict[str, Guide]
    topics: dict[str, Topic]
    messages: dict[str, Any]

    @validator("messages")
    def every_message(cls, value: dict[str, Any]) -> dict[str, Any]:  # noqa: N805
        missing = [key for key in REQUIRED_MESSAGES if key not in value]
        if missing:
            raise ValueError(f"messages missing: {', '.join(missing)}")
        groups = value["menu_groups"]
        if set(groups) != set(GROUPS) or any(len(t) > MAX_BUTTON_TITLE for t in groups.values()):
            raise ValueError(f"menu_groups must label {GROUPS} in at most 20 characters")
        feedback = value["feedback_buttons"]
        if set(feedback) != {"good", "bad"} or any(
            len(t) > MAX_BUTTON_TITLE for t in feedback.values()
        ):
            raise ValueError("feedback_buttons must title good and bad in at most 20 characters")
        return value

    @root_validator(skip_on_failure=True)
    def references(cls, values: dict) -> dict:  # noqa: N805
        sources, guides, topics = values["sources"], values["guides"], values["topics"]
        entries: dict[str, Sourced] = {
            **{f"guide {k}": g for k, g in guides.items()},
            **{f"topic {k}": t for k, t in topics.items()},
        }
        for where, entry in entries.items():
            unknown = [s for s in entry.sources if s not in sources]
            if unknown:
                raise ValueError(f"{where}: unknown source {unknown}")
        for gid, guide in guides.items():
            for button in guide.buttons:
                if button not in topics:
                    raise ValueError(f"guide {gid}: button to unknown topic {button}")
        for intent, topic in topics.items():
            for ref in topic.guide_ids():
                if ref not in guides:
                    raise ValueError(f"topic {intent}: unknown guide {ref}")
            for ref in topic.routes:
                if not guides[ref].label:
                    raise ValueError(f"guide {ref}: a route needs a label")
            for button in topic.buttons:
                if button not in topics:
                    raise ValueError(f"topic {intent}: button to unknown topic {button}")
        return values

    # --- text -------------------------------------------------------------

    def fill(self, text: str, **values: Any) -> str:
        return text.format(hotline=self.hotline, **values)

    def message(self, key: str, **values: Any) -> str:
        return self.fill(self.messages[key], **values)

    def source_line(self, entry: Sourced, today: datetime.date | None = None) -> str:
        """'Nguồn: …' for an entry: its first sources (listed strongest first) and
        one public link, with a note when even the newest source is old."""
        sources = [self.sources[s] for s in entry.sources]
        cites = list(dict.fromkeys(s.cite for s in sources))[:MAX_CITES]
        url = next((s.url for s in sources if s.url), None)
        line = self.message("source_line", cite="; ".join(cites) + (f" – {url}" if url else ""))
        newest = max(parse_date(s.date) for s in sources)
        if (today or datetime.date.today()) - newest > OLD_AFTER:
            line += " " + self.message("source_old", year=newest.year)
        return line

    def bubble_overflows(self) -> list[str]:
        """Texts over one phone screen (checked by the tests, not at load)."""
        long = []
        for intent, topic in self.topics.items():
            for field in ("text", "ask", "caution"):
                value = getattr(topic, field)
                if value and len(self.fill(value)) > MAX_BUBBLE_CHARS:
                    long.append(f"topic {intent}.{field}")
        return long
