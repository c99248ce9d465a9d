"""Vietnamese text normalisation shared by the NLU pipeline and the tools.

Users type with or without diacritics and with chat abbreviations, so the
model sees one canonical form: NFC, lower case, diacritics removed (đ -> d),
runs of a repeated letter collapsed and common abbreviations expanded.
Stripping diacritics keeps one character per character, so token offsets into
the original text stay valid for entity extraction.

Words typed as raw Telex or VNI keys (no input method on: "vaayj", "va65y") are
first decoded to Vietnamese (components/telex.py), one word at a time, so a
token still spans the word the user typed.
"""

import re
import unicodedata

from components.telex import decode_text, decode_word
from privacy.kinds import PLACEHOLDERS

# Chat abbreviations seen in Vietnamese support chats, keyed by their
# diacritic-free form. Only expansions that are unambiguous in a VssID
# conversation are listed ("mk" is "mình" elsewhere, "mật khẩu" here).
ABBREVIATIONS = {
    "tk": "tai khoan",
    "mk": "mat khau",
    "pass": "mat khau",
    "pw": "mat khau",
    "dk": "dang ky",
    "dky": "dang ky",
    "ntn": "nhu the nao",
    "ko": "khong",
    "k": "khong",
    "kh": "khong",
    "hk": "khong",
    "hok": "khong",
    "kg": "khong",
    "khg": "khong",
    "hong": "khong",
    "j": "gi",
    "dc": "duoc",
    "z": "vay",
    "v": "vay",
    "ad": "admin",
    "app": "ung dung",
    "ud": "ung dung",
    "bhxh": "bao hiem xa hoi",
    "bhyt": "bao hiem y te",
    "sdt": "so dien thoai",
    "dt": "dien thoai",
    "dthoai": "dien thoai",
    "r": "roi",
    "vs": "voi",
    "lm": "lam",
    "mn": "moi nguoi",
    "cty": "cong ty",
    "hd": "huong dan",
    "hdan": "huong dan",
    "bn": "bao nhieu",
    "vss": "vssid",
    "ss": "samsung",
    "login": "dang nhap",
    "acc": "tai khoan",
    "qt": "qua trinh",
    "qtr": "qua trinh",
    "ls": "lich su",
    "bh": "bao hiem",
    "hgd": "ho gia dinh",
    "cj": "chi",
    "tgia": "tham gia",
    "vo": "vao",  # Southern "vô" ("vô app"); "vợ", "vở" hardly occur here
}

# Other apps and accounts users confuse with VssID ("quên mật khẩu zalo" is
# not our forgot-password question). Each name is followed by one shared
# marker word, so what the model learns from any of them carries over to the
# others, including names seen only once in training.
OTHER_APPS = frozenset(
    "zalo zalopay facebook fb messenger instagram tiktok youtube gmail email mail "
    "outlook icloud vneid momo viettelpay vnpay shopee lazada tiki grab wifi "
    "mbbank vietcombank vcb vietinbank ipay bidv agribank techcombank tcb tpbank "
    "acb sacombank vpbank windows win".split()
)
OTHER_APP_MARKER = "appkhac"

_REPEATS = re.compile(r"(\w)\1{2,}")


# The placeholders the inbound path puts in place of personal data
# (privacy/mask.py). Their words ("số điện thoại", "mật khẩu") would be strong
# topic cues that the user did not type as a question, so NLU skips them.
_PLACEHOLDER = re.compile("|".join(re.escape(p) for p in PLACEHOLDERS.values()))


def placeholder_spans(text: str) -> list[tuple[int, int]]:
    return [match.span() for match in _PLACEHOLDER.finditer(text)]


def without_placeholders(text: str) -> str:
    """`text` with each placeholder blanked out, offsets unchanged."""
    return _PLACEHOLDER.sub(lambda m: " " * len(m.group()), text)


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def strip_diacritics(text: str) -> str:
    """Remove Vietnamese diacritics, one output character per input character."""
    out = []
    for ch in nfc(text):
        if ch in "đĐ":
            out.append("d" if ch == "đ" else "D")
            continue
        base = unicodedata.normalize("NFD", ch)[0]
        out.append(base)
    return "".join(out)


def fold(word: str) -> str:
    """Canonical form of one word: lower case, no diacritics, no letter runs."""
    return _REPEATS.sub(r"\1", strip_diacritics(word).lower())


def decode(word: str) -> str:
    """The word with a Telex/VNI typing slip decoded; abbreviations and app names stay."""
    lower = word.lower()
    if lower in ABBREVIATIONS or lower in OTHER_APPS:
        return word
    return decode_word(word)


def _expand_folded(folded: str) -> list[str]:
    if folded in OTHER_APPS:
        return [folded, OTHER_APP_MARKER]
    return ABBREVIATIONS.get(folded, folded).split()


def expand(word: str) -> list[str]:
    """Decoded, folded word, split into the words of its expansion if it is an abbreviation."""
    return _expand_folded(fold(decode(word)))


def normalize_text(text: str) -> str:
    """Whole-sentence canonical form (used by the evaluation peers and tools)."""
    words = re.findall(r"\w+", decode_text(nfc(text), decode))
    return " ".join(w for word in words for w in _expand_folded(fold(word)))
