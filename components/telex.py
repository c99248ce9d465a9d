"""Decodes Vietnamese typed as raw Telex or VNI keys ("vaayj", "va65y" -> "vậy").

Own decoder rather than a library: the only PyPI candidate, bogo 1.1 (BoGo engine), was
last released in August 2014 for Python 2.7/3.3 and is unmaintained; its VNI mode raises
KeyError on any doubled key ("a11"), its validator accepts consonant-only words and lacks
the c/k, g/gh, ng/ngh rules ("cys" -> "cý"), and its GPL file headers contradict its LGPL
classifier. Reading back one finished word and rejecting non-syllables fits in this file.

A word is decoded only when it is plain ASCII, contains a key that changes it (a tone key
after a vowel, aa ee oo dd w, or a VNI digit after the letter it marks), is not on the list
of English and chat tokens below, and the result is a valid Vietnamese syllable. Tones
follow the new style on the main vowel ("hoà", "thuỷ"); the normaliser folds them anyway.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator

# Tone marks, combined with a (possibly hatted/horned) vowel and composed by NFC.
ACUTE, GRAVE, HOOK, TILDE, DOT = "\u0301", "\u0300", "\u0309", "\u0303", "\u0323"
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

_VOWELS = set("aăâeêioôơuưy")
_ONSETS = sorted(
    "b c ch d đ g gh gi h k kh l m n ng ngh nh p ph qu r s t th tr v x".split(),
    key=len,
    reverse=True,
)
_NO_GLIDE_O = ("b", "c", "m", "p", "ph", "v")
_GLIDE_O = ("oa", "oă", "oe")
_STOPS = {"c", "ch", "p", "t"}
_ALL = {"", "c", "ch", "m", "n", "ng", "nh", "p", "t"}
_OPEN = {""}
# Vowel nucleus -> codas it can take ("" = none). Nuclei ending in a glide take none.
_NUCLEI = {
    "a": _ALL,
    "ă": {"c", "m", "n", "ng", "p", "t"},
    "â": {"c", "m", "n", "ng", "p", "t"},
    "e": {"", "c", "m", "n", "ng", "p", "t"},
    "ê": {"", "ch", "m", "n", "nh", "p", "t"},
    "i": {"", "ch", "m", "n", "nh", "p", "t"},
    "o": {"", "c", "m", "n", "ng", "p", "t"},
    "ô": {"", "c", "m", "n", "ng", "p", "t"},
    "ơ": {"", "m", "n", "p", "t"},
    "u": {"", "c", "m", "n", "ng", "p", "t"},
    "ư": {"", "c", "m", "n", "ng", "t"},
    "y": _OPEN,
    "iê": {"c", "m", "n", "ng", "p", "t"},
    "yê": {"m", "n", "ng", "t"},
    "uô": {"c", "m", "n", "ng", "t"},
    "ươ": {"c", "m", "n", "ng", "p", "t"},
    "oo": {"c", "ng"},
    "uâ": {"n", "ng", "t"},
    "oă": {"c", "m", "n", "ng", "t"},
    "uyê": {"n", "t"},
    "oa": _ALL,
    "oe": {"", "n", "t"},
    "uê": {"", "ch", "nh"},
    "uy": {"", "ch", "n", "nh", "p", "t"},
    **dict.fromkeys(
        "ai ao au ay âu ây eo êu ia iu oi ôi ơi ui ưi ưu ua ưa uơ "
        "oai oao oay oeo uây uôi uya uyu ươi ươu iêu yêu".split(),
        _OPEN,
    ),
}
_FRONT = ("i", "e", "ê", "y")  # k, gh, ngh go before these; c, g, ng before the others
_CODAS = _ALL - {""}
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]{0,11}")
_TOKEN = re.compile(r"(\W*)([A-Za-z0-9]+)(\W*)")


def split_syllable(syllable: str) -> tuple[str, str, str] | None:
    """Onset, vowel nucleus and coda of a toneless lower-case syllable, or None."""
    onset = ""
    for candidate in _ONSETS:
        rest = syllable[len(candidate) :]
        if syllable.startswith(candidate) and (
            candidate not in ("gi", "qu") or (rest[:1] in _VOWELS)
        ):
            onset = candidate
            break
    if not onset and syllable[:1] not in _VOWELS:
        return None
    i = len(onset)
    j = i
    while j < len(syllable) and syllable[j] in _VOWELS:
        j += 1
    nucleus, coda = syllable[i:j], syllable[j:]
    if not nucleus or (coda and coda not in _CODAS):
        return None
    return onset, nucleus, coda


def is_syllable(syllable: str, tone: str = "") -> bool:
    """Whether a toneless syllable with this tone mark is spelt like Vietnamese."""
    parts = split_syllable(syllable)
    if parts is None:
        return False
    onset, nucleus, coda = parts
    codas = _NUCLEI.get(nucleus)
    if onset == "qu" and nucleus == "y":
        codas = {"", "ch", "nh", "t"}  # quy, quých, quỳnh, quýt
    if codas is None or coda not in codas:
        return False
    if coda in _STOPS and tone not in (ACUTE, DOT):
        return False
    front = nucleus.startswith(_FRONT)
    if onset in ("k", "gh", "ngh") and not front:
        return False
    if onset in ("c", "ng") and front:
        return False
    if onset == "g" and front and nucleus != "i":  # gì, gìn; otherwise gh
        return False
    if onset == "qu" and nucleus[0] in "ouư":
        return False
    if onset == "gi" and nucleus[0] in "iy":
        return False
    if onset in _NO_GLIDE_O and nucleus[:2] in _GLIDE_O:  # "qua" not "coa"; no "boa"
        return False
    if nucleus == "ưi" and not onset:
        return False
    if nucleus.startswith("iê") and onset in ("", "qu"):
        return False
    if nucleus.startswith("yê") and onset not in ("", "qu"):
        return False
    return True


def place_tone(syllable: str, tone: str) -> str:
    """The syllable with the tone mark on its main vowel (new style: hoà, thuỷ)."""
    if not tone:
        return syllable
    onset, nucleus, coda = split_syllable(syllable) or ("", syllable, "")
    marked = [i for i, ch in enumerate(nucleus) if ch in "ăâêôơư"]
    if len(nucleus) == 1:
        at = 0
    elif marked:
        at = marked[-1]
    elif coda or nucleus in ("oa", "oe", "uy"):
        at = len(nucleus) - 1 if coda else 1
    elif len(nucleus) == 3:
        at = 1  # oai, oay, oao, uya, uyu, oeo
    else:
        at = 0  # ai, ao, au, ay, eo, ia, iu, oi, ui, ua
    vowel = unicodedata.normalize("NFC", nucleus[at] + tone)
    return onset + nucleus[:at] + vowel + nucleus[at + 1 :] + coda


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
