"""The state of one message while it is masked, shared by every rule.

``_Scan`` holds the NFC text, its folded copy (``_fold``: lower case, no
diacritics, đ -> d, one character per character, so offsets into the folded
copy are offsets into the text), the spans claimed so far (later rules never
touch claimed text), and cached look-ups of the keywords before a position: the
context keywords of a number and the OTP keywords (the keyword lists are
described with the number rules, privacy/numbers.py). Apart from the rules so
that privacy/words.py and privacy/numbers.py claim spans through one object.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right

from privacy.kinds import Kind


def _fold_table() -> list[str]:
    # A list indexed by code point (faster than a dict); later characters are kept.
    table = [chr(code) for code in range(0x1EFA)]
    for code in range(0x1EFA):
        base = unicodedata.normalize("NFD", chr(code))[0]
        if base.isascii() and base.isalpha():
            table[code] = base.lower()
    table[ord("Đ")] = table[ord("đ")] = "d"
    return table


_FOLD = _fold_table()


def _fold(text: str) -> str:
    """Lower case without diacritics, one character per character."""
    low = text.lower()
    if not low.isascii():
        # Fast path: NFD then drop the marks. Each character gives at most one ASCII
        # character, so an equal length means one each (else: an emoji, a curly quote).
        low = unicodedata.normalize("NFD", low.replace("đ", "d"))
        low = low.encode("ascii", "ignore").decode("ascii")
    return low if len(low) == len(text) else text.translate(_FOLD)


# On the folded text: the keywords that give a number its context.
_CONTEXT_RE = re.compile(
    r"\b(?=[bcdmpstz])(?:"
    r"(?P<id>cccd|cmnd|cmt|can\s*cuoc(?:\s*cong\s*dan)?|chung\s*minh(?:\s*nhan\s*dan|\s*thu)?"
    r"|(?:ma\s*|so\s*)?dinh\s*danh(?:\s*ca\s*nhan)?)"
    r"|(?P<phone>sdt|sdth|so\s*(?:dt|dd|dien\s*thoai|di\s*dong)|dien\s*thoai|dthoai|dt|dd"
    r"|di\s*dong|phone|mobile|tel|zalo|thue\s*bao)"
    r"|(?P<bhxh>msbhxh|bhxh|bhyt|bao\s*hiem(?:\s*xa\s*hoi|\s*y\s*te)?|ms|ma\s*so|mso)"
    r")(?![a-z])"
)
_CONTEXT_WINDOW = 40
# On the folded text: an OTP keyword, then only connector words up to the digits
# ("otp của em là", "mã xác nhận vừa nhận được qua sms:"; not "otp không về, năm").
# Literal first, so a search only stops at "o", "m", "c", "v".
_OTP_BEFORE_RE = re.compile(
    r"(?:otp|one\s*time\s*password|ma\s*(?:xac\s*(?:thuc|nhan|minh)|kich\s*hoat|pin|code)"
    r"|verification\s*code|code)(?![a-z])"
    r"(?:[\s:=,.;\-–\"'“”‘’()*]|\b(?:la|is|cua|toi|tui|em|minh|anh|chi|t|vua|moi|nhan|duoc|dc"
    r"|gui|ve|den|qua|sms|tin|my|your|the|code|ne|day|nay|so|ma|otp|xac|thuc|cho|ban|da|sau"
    r"|khi|dang|ky|nhap|de|gom|co|dien|thoai|dt|sdt|zalo|email|gmail|mail|sent|received"
    r"|of|[4-8]\s*(?:chu\s*)?so)\b)*\Z"
)
_OTP_KEYWORD_RE = re.compile(r"otp|ma\s*(?:xac|kich|pin|code)|code|one\s*time")  # any at all?


class _Scan:
    """The claimed spans of one message."""

    def __init__(self, text: str, folded: str) -> None:
        self.text = text
        self.folded = folded
        self.spans: list[tuple[int, int, Kind]] = []
        # Claimed spans never overlap, so their starts and ends sort the same way.
        self._starts: list[int] = []
        self._ends: list[int] = []
        self._contexts: dict[int, list[tuple[int, str]]] = {}
        self._otp: dict[int, bool] = {}
        self._any_otp: bool | None = None

    def free(self, start: int, end: int) -> bool:
        i = bisect_right(self._starts, start)
        if i and self._ends[i - 1] > start:
            return False
        return i == len(self._starts) or self._starts[i] >= end

    def claim(self, start: int, end: int, kind: Kind) -> bool:
        if start < end and self.free(start, end):
            self.spans.append((start, end, kind))
            i = bisect_right(self._starts, start)
            self._starts.insert(i, start)
            self._ends.insert(i, end)
            return True
        return False

    def last_end(self, position: int) -> int:
        i = bisect_right(self._ends, position)
        return self._ends[i - 1] if i else 0

    def contexts(self, position: int) -> list[tuple[int, str]]:
        """Keywords ending at or before position, nearest first: (end, kind)."""
        found = self._contexts.get(position)
        if found is None:
            low = max(position - _CONTEXT_WINDOW, self.last_end(position))
            matches = _CONTEXT_RE.finditer(self.folded, low, position)
            found = [(m.end(), m.lastgroup or "") for m in matches][::-1]
            self._contexts[position] = found
        return found

    def any_otp(self) -> bool:
        """An OTP keyword anywhere in the message (else no 4-8 digit number is masked)."""
        if self._any_otp is None:
            self._any_otp = _OTP_KEYWORD_RE.search(self.folded) is not None
        return self._any_otp

    def otp_before(self, position: int) -> bool:
        """An OTP keyword and only connector words before position."""
        if not self.any_otp():
            return False
        found = self._otp.get(position)
        if found is None:
            low = max(position - _CONTEXT_WINDOW, self.last_end(position))
            match = _OTP_BEFORE_RE.search(self.folded, low, position)
            found = match is not None and not (
                match.start() and self.folded[match.start() - 1].isalnum()
            )
            self._otp[position] = found
        return found
