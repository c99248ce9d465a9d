"""The typed schema of content.yml (pydantic 1.10, already installed with Rasa).

Every answer about VssID lives in content.yml and names its sources; the
schema checks the references, the lengths that channels impose (a button
title fits Messenger's 20 characters, a bubble fits one phone screen) and
that every date is a real date, so a broken edit fails `make test`.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from typing import Any, Literal

from pydantic import BaseModel, Extra, root_validator, validator

# Messenger rejects button titles over 20 characters.
MAX_BUTTON_TITLE = 20
# About one phone screen per reply bubble.
MAX_BUBBLE_CHARS = 600
MAX_STEPS = 6
RANKS = ("A1", "A2", "B", "B-", "C")
GROUPS = ("install_login", "password_otp", "account", "card_lookup", "help")
_DATE = re.compile(r"(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?")


def parse_date(value: str) -> datetime.date:
    """'2020-11-25', '2023-06' or '2023' as the first day it can mean."""
    match = _DATE.fullmatch(value.strip())
    if not match:
        raise ValueError(f"date {value!r} is not YYYY[-MM[-DD]]")
    year, month, day = (int(g) if g else 1 for g in match.groups())
    return datetime.date(year, month, day)


class Strict(BaseModel):
    class Config:
        extra = Extra.forbid
        allow_mutation = False

    @validator("*", pre=True, each_item=True)
    def nfc(cls, value: Any) -> Any:  # noqa: N805 - pydantic validators take cls
        if isinstance(value, str):
            return unicodedata.normalize("NFC", value.strip())
        return value


class Source(Strict):
    publisher: str
    title: str
    document: str | None = None
    url: str | None = None
    date: str
    date_note: str | None = None
    rank: Literal[RANKS]  # type: ignore[valid-type]
    checked: str
    cite: str

    @validator("date", "checked")
    def real_date(cls, value: str) -> str:  # noqa: N805
        parse_date(value)
        return value

    @validator("cite")
    def short_cite(cls, value: str) -> str:  # noqa: N805
        if len(value) > 80:
            raise ValueError("cite is the short line users see: at most 80 characters")
        return value


class Sourced(Strict):
    """An entry the user sees: it names its sources and when it was checked."""

    sources: list[str]
    checked: str

    @validator("sources")
    def some_source(cls, value: list[str]) -> list[str]:  # noqa: N805
        if not value:
            raise ValueError("an entry needs at least one source")
        return value

    @validator("checked")
    def real_date(cls, value: str) -> str:  # noqa: N805
        parse_date(value)
        return value


class Guide(Sourced):
    title: str
    label: str | None = None
    intro: str | None = None
    steps: list[str]
    outro: str | None = None
    # A picture the project serves itself (web/static/img/), shown with a step
    # on channels that show images; the step's text stays the description.
    images: dict[int, str] = {}
    buttons: list[str] = []
    # Words (lower case, no diacritics) that name this guide as a route:
    # "làm trên web" picks register_web, "chưa có email" forgot_add_email.
    words: list[str] = []

    @validator("label")
    def fits_a_button(cls, value: str | None) -> str | None:  # noqa: N805
        if value and len(value) > MAX_BUTTON_TITLE:
            raise ValueError(f"label over {MAX_BUTTON_TITLE} characters")
        return value

    @validator("steps")
    def steps_fit(cls, value: list[str]) -> list[str]:  # noqa: N805
        if not value or not all(value):
            raise ValueError("steps must be a non-empty list of non-empty text")
        if len(value) > MAX_STEPS:
            raise ValueError(f"more than {MAX_STEPS} steps do not fit one screen")
        return value


class Topic(Sourced):
    label: str
    group: Literal[GROUPS]  # type: ignore[valid-type]
    text: str | None = None
    ask: str | None = None
    routes: list[str] = []
    guides: list[str] = []
    ask_os: str | None = None
    by_os: dict[str, str] = {}
    caution: str | None = None
    buttons: list[str] = []

    @validator("label")
    def fits_a_button(cls, value: str) -> str:  # noqa: N805
        if len(value) > MAX_BUTTON_TITLE:
            raise ValueError(f"label over {MAX_BUTTON_TITLE} characters")
        return value

    @root_validator(skip_on_failure=True)
    def answers_something(cls, values: dict) -> dict:  # noqa: N805
        if not (values["text"] or values["guides"] or values["routes"] or values["by_os"]):
            raise ValueError("a topic needs text, guides, routes or by_os")
        if values["routes"] and not values["ask"]:
            raise ValueError("routes need the question 'ask'")
        if values["by_os"]:
            if set(values["by_os"]) != {"android", "ios"} or not values["ask_os"]:
                raise ValueError("by_os must cover android and ios, with ask_os")
        if len(values["guides"]) > 1:
            raise ValueError("show at most one guide at once; offer several as routes")
        return values

    def guide_ids(self) -> list[str]:
        return [*self.guides, *self.routes, *self.by_os.values()]
