"""Decodes Vietnamese typed as raw Telex or VNI keys ("vaayj", "va65y" -> "vậy").

Own decoder rather than a library: the only PyPI candidate, bogo 1.1 (BoGo engine), was
last released in August 2014 for Python 2.7/3.3 and is unmaintained; its VNI mode raises
KeyError on any doubled key ("a11"), its validator accepts consonant-only words and lacks
the c/k, g/gh, ng/ngh rules ("cys" -> "cý"), and its GPL file headers contradict its LGPL
classifier. Reading back one finished word and rejecting non-syllables fits in this file
and components/vietnamese_syllable.py (the spelling rules, re-exported here).

A word is decoded only when it is plain ASCII, contains a key that changes it (a tone key
after a vowel, aa ee oo dd w, or a VNI digit after the letter it marks), is not on the list
of English and chat tokens below, and the result is a valid Vietnamese syllable. Tones
follow the new style on the main vowel ("hoà", "thuỷ"); the normaliser folds them anyway.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from components.vietnamese_syllable import (
    _VOWELS,
    ACUTE,
    DOT,
    GRAVE,
    HOOK,
    TILDE,
    is_syllable,
    place_tone,
    split_syllable,
)

__all__ = [
    "ACUTE",
    "DOT",
    "GRAVE",
    "HOOK",
    "NEVER_DECODE",
    "TELEX_TONES",
    "TILDE",
    "VNI_TONES",
    "decode_text",
    "decode_word",
    "is_syllable",
    "place_tone",
    "split_syllable",
]

# The key each input method types for a tone mark.
TELEX_TONES = {"s": ACUTE, "f": GRAVE, "r": HOOK, "x": TILDE, "j": DOT}
VNI_TONES = {"1": ACUTE, "2": GRAVE, "3": HOOK, "4": TILDE, "5": DOT}

# (letter, mark) -> character; marks: ^ hat, + breve, * horn, - bar.
_MARKED = {
    ("a", "^"): "â",
    ("a", "+"): "ă",
    ("e", "^"): "ê",
    ("o", "^"): "ô",
    ("o", "*"): "ơ",
    ("u", "*"): "ư",
    ("d", "-"): "đ",
}

# Plain ASCII tokens never decoded although some would read as a syllable ("as" -> "á",
# "max" -> "mã", "how" -> "hơ"): English words and codes users type in this chat. When a
# word could be either, it stays as typed.
NEVER_DECODE = frozenset(
    """
    as is of or os us ax ex ox for fax sos bus max tax box mix six fix hix
    if ifs its this has his her was must most last best test post cost list rest past lost
    tips maps docs dos usa busy guys taxi visa virus sofa ix xix
    car bar far tar mar per sir nor tor ur air hair chair
    door poor moon soon noon room too see seen tree bee how now low row
    ok oke hi web wifi zalo app otp vssid android iphone ios pin sms sims host gas mas yes bye
    a4 w
    """.split()
)

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]{0,11}")
_TOKEN = re.compile(r"(\W*)([A-Za-z0-9]+)(\W*)")


class _NotTyped(Exception):
    """Keys an IME user would not type for one syllable: a doubled key (the IME's undo),
    a second tone key ("dwarf", "major") or the main vowel after the tone ("those")."""


def _read_telex(word: str) -> tuple[list[list[str]], str, list[tuple[str, int]], bool]:
    letters: list[list[str]] = []  # [letter, mark]
    tone, ops, changed, seen_vowel, previous = "", [], False, False, ""
    for key in word:
        if key in TELEX_TONES and seen_vowel:
            if tone:
                raise _NotTyped
            tone, changed = TELEX_TONES[key], True
        elif key == "z" and tone:
            tone, changed = "", True
        elif key == "w":
            if previous == "w":
                raise _NotTyped
            if seen_vowel:
                ops.append(("w", len(letters)))
            else:  # a lone w is ư
                letters.append(["u", "*"])
                seen_vowel = True
            changed = True
        elif key in "ae" and tone:  # the main vowel comes before the tone key: "those"
            raise _NotTyped
        elif key in "aeo" and previous == key and letters[-1][0] == key:
            if letters[-1][1] == "^":  # a third key undoes the hat: xooong -> xoong
                letters[-1][1] = ""
                letters.append([key, ""])
            elif not letters[-1][1]:
                letters[-1][1] = "^"
            else:
                raise _NotTyped
            changed = True
        elif key == "d" and previous == "d" and len(letters) == 1:
            if letters[0][1]:
                raise _NotTyped
            letters[0][1], changed = "-", True
        else:
            letters.append([key, ""])
            seen_vowel = seen_vowel or key in _VOWELS
        previous = key
    return letters, tone, ops, changed


def _read_vni(word: str) -> tuple[list[list[str]], str, list[tuple[str, int]], bool]:
    letters: list[list[str]] = []
    tone, ops, seen_vowel, previous = "", [], False, ""
    for key in word:
        if key.isalpha():
            letters.append([key, ""])
            seen_vowel = seen_vowel or key in _VOWELS
        elif key == previous:
            raise _NotTyped
        elif key in VNI_TONES:
            if not seen_vowel or tone:
                raise _NotTyped
            tone = VNI_TONES[key]
        elif key == "0":
            if not tone:
                raise _NotTyped
            tone = ""
        elif key in "678":
            ops.append((key, len(letters)))
        else:  # "9": đ, only for an initial d
            if letters[0] != ["d", ""]:
                raise _NotTyped
            letters[0][1] = "-"
        previous = key
    return letters, tone, ops, True


# For each deferred key: the marks it can put on a letter, and whether it can mark "uo".
_OPTIONS = {
    "w": ({"a": "+", "o": "*", "u": "*"}, True),
    "6": ({"a": "^", "e": "^", "o": "^"}, False),
    "7": ({"o": "*", "u": "*"}, True),
    "8": ({"a": "+"}, False),
}


def _choices(letters: list[list[str]], op: str, limit: int) -> Iterator[dict[int, str]]:
    """Ways one deferred key can mark the letters typed before it, most likely first."""
    marks, pair = _OPTIONS[op]
    if pair:
        for i in range(limit - 2, -1, -1):
            if letters[i][0] == "u" and letters[i + 1] == ["o", ""]:
                yield {i: "*", i + 1: "*"}
                break
    for i in range(limit - 1, -1, -1):
        letter, mark = letters[i]
        if letter in marks and not mark:
            yield {i: marks[letter]}


def _resolve(letters: list[list[str]], ops: list[tuple[str, int]], tone: str) -> str | None:
    if not ops:
        text = "".join(_MARKED.get((ch, mark), ch) for ch, mark in letters)
        return place_tone(text, tone) if is_syllable(text, tone) else None
    op, limit = ops[0]
    for choice in _choices(letters, op, limit):
        marked = [[ch, choice.get(i, mark)] for i, (ch, mark) in enumerate(letters)]
        result = _resolve(marked, ops[1:], tone)
        if result is not None:
            return result
    return None


def decode_word(word: str) -> str:
    """The Vietnamese syllable a Telex or VNI key sequence spells, else the word itself."""
    lower = word.lower()
    if not _WORD.fullmatch(word) or lower in NEVER_DECODE:
        return word
    if is_syllable(lower) and "oo" not in lower:  # already plain Vietnamese: tim, cai, so
        return word
    try:
        if any(ch.isdigit() for ch in lower):
            letters, tone, ops, changed = _read_vni(lower)
        else:
            letters, tone, ops, changed = _read_telex(lower)
    except _NotTyped:
        return word
    result = _resolve(letters, ops, tone) if changed else None
    if result is None:
        return word
    if word.isupper() and len(word) > 1:
        return result.upper()
    return result[0].upper() + result[1:] if word[0].isupper() else result


def decode_text(text: str, decode: Callable[[str], str] = decode_word) -> str:
    """Decodes each whitespace-separated word; spacing and punctuation around it stay."""

    def token(match: re.Match[str]) -> str:
        parts = _TOKEN.fullmatch(match.group())
        if parts is None:  # URLs, versions, "5236/VBHN": left as typed
            return match.group()
        return parts.group(1) + decode(parts.group(2)) + parts.group(3)

    return re.sub(r"\S+", token, text)
