"""Output helpers every platform channel shares.

- `split_text`: cuts a reply into messages a platform accepts, between lines
  (guides put one step per line, so steps stay whole);
- `truncate`: a button title within a platform's limit;
- `numbered`: the numbered-list fallback for more options than a platform
  shows as buttons, and `number_reply`, which reads a typed "2" (the add-on
  addons/choices.py then picks option 2);
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

ELLIPSIS = "…"
PICK_BY_NUMBER = "Bạn nhắn số thứ tự để chọn:"
# "2", "2.", "số 2", "cái thứ 2", "chọn 2", "so 2"
_NUMBER_REPLY = re.compile(
    r"\s*(?:(?:chọn|chon|số|so|cái|cai|thứ|thu|mục|muc)\s+)*(\d{1,2})\s*[.)]?\s*",
    re.IGNORECASE,
)


def truncate(text: str, limit: int) -> str:
    """Shortens `text` to `limit` characters, ending with "…" when cut."""
    text = " ".join(unicodedata.normalize("NFC", text).split())
    if len(text) <= limit:
        return text
    cut = limit - 1
    # Never separate a base letter from a combining mark left over after NFC.
    while cut > 0 and unicodedata.combining(text[cut]):
        cut -= 1
    return text[:cut].rstrip() + ELLIPSIS


def _split_line(line: str, limit: int) -> list[str]:
    """Splits one over-long line at spaces, or hard when a word is too long."""
    pieces = []
    while len(line) > limit:
        cut = line.rfind(" ", 0, limit + 1)
        if cut <= 0:
            cut = limit
        pieces.append(line[:cut].rstrip())
        line = line[cut:].lstrip()
    return pieces + [line]


def split_text(text: str, limit: int) -> list[str]:
    """Chunks of at most `limit` characters, cut at line boundaries when possible."""
    chunks: list[str] = []
    current = ""
    for line in (text or "").strip().splitlines():
        for piece in _split_line(line.rstrip(), limit):
            candidate = f"{current}\n{piece}" if current else piece
            if len(candidate) <= limit:
                current = candidate
            else:
                chunks.append(current)
                current = piece
    chunks.append(current)
    return [chunk.strip() for chunk in chunks if chunk.strip()]


def button_title(button: Mapping[str, Any]) -> str:
    return str(button.get("title") or button.get("payload") or "")


def button_payload(button: Mapping[str, Any]) -> str:
    return str(button.get("url") or button.get("payload") or button_title(button))


def numbered(text: str, buttons: Iterable[Mapping[str, Any]], start: int = 1) -> str:
    """`text` followed by the options as a numbered list the user can type."""
    lines = [text.rstrip(), "", PICK_BY_NUMBER] if text.strip() else [PICK_BY_NUMBER]
    for number, button in enumerate(buttons, start):
        url = f": {button['url']}" if button.get("url") else ""
        lines.append(f"{number}. {button_title(button)}{url}")
    return "\n".join(lines)


def number_reply(text: str) -> int | None:
    """The option number a reply such as "2", "số 2" or "cái thứ 2" stands for."""
    match = _NUMBER_REPLY.fullmatch(text)
    return int(match.group(1)) if match else None
