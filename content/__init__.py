"""The bot's knowledge: content.yml and its typed loader.

Imported by the action server (answers), the connectors and the Rasa add-ons
(fixed messages such as the apology), so neither process reaches into the
other's package. Loaded relative to this file, never to the working directory.
"""

from __future__ import annotations

import functools
import pathlib

import yaml
from pydantic import ValidationError

from content.model import Content
from content.schema import MAX_BUBBLE_CHARS, MAX_BUTTON_TITLE, Guide, Source, Topic

CONTENT_PATH = pathlib.Path(__file__).parent / "content.yml"

__all__ = [
    "CONTENT_PATH", "MAX_BUBBLE_CHARS", "MAX_BUTTON_TITLE", "Content", "ContentError",
    "Guide", "Source", "Topic", "load", "validate",
]  # fmt: skip


class ContentError(ValueError):
    """The content file is malformed."""


def validate(raw: dict) -> Content:
    """The content as typed objects; raises ContentError naming what is wrong."""
    try:
        return Content.parse_obj(raw)
    except ValidationError as error:
        raise ContentError(str(error)) from error


@functools.cache
def load(path: pathlib.Path = CONTENT_PATH) -> Content:
    with open(path, encoding="utf-8") as f:
        return validate(yaml.safe_load(f))
