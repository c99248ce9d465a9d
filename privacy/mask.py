"""Mask the personal data users type into the chat, before it is logged or stored.

``mask(text)`` returns ``Masked(text, kinds)``: the text with every value found
replaced by a typed placeholder, and the frozenset of ``Kind`` found.
``contains_secret(kinds)`` says whether the bot should warn the user, and
``MaskingFilter`` is a ``logging.Filter`` that sends every log line through
``mask``. Pure Python and regular expressions, no state, thread-safe. The input
is NFC-normalised first, so the masked text is NFC. Keywords are matched on a
folded copy (lower case, no diacritics, đ -> d, one character per character),
so "mật khẩu", "Mat khau" and "MK" are one keyword and offsets stay valid.

Placeholders: ``[MÃ SỐ BHXH]``, ``[SỐ CCCD]``, ``[SỐ CMND]`` (the old 9-digit
card gets its own placeholder, so a log says which document it was),
``[SỐ THẺ BHYT]``, ``[SỐ ĐIỆN THOẠI]``, ``[EMAIL]``, ``[MÃ OTP]``, ``[MẬT KHẨU]``.

Rules, in the order they claim text (later rules never touch claimed text):

1. E-mail: ``local@domain.tld`` (ASCII, a TLD of 2+ letters) -> ``[EMAIL]``.
2. Password: after "mật khẩu / mat khau / mật mã / mk / pass / password / pw /
   pwd", optional qualifiers ("mới", "cũ", "hiện tại", "đăng nhập", "của tôi",
   "em", "đặt", ...) and optional connectors ("là", "is", ":", "="), the next
   token is masked when it looks like a password: 4+ characters, not a common
   word ("mới", "sai", "không", "đúng", "rồi", "wrong", ...), and either it
   holds a digit or a symbol ("Abc12345", "abc@123", "Qwerty!23", "12345678";
   not "8-16" or "100%"), or it is a plain unaccented word right after a
   connector ("mật khẩu là Huongxinh"). A word with diacritics and no digit is
   never a password, so "mật khẩu mới không nhận" is kept. Only the token is
   replaced; the keyword stays, and so does a closing quote or full stop.
3. Numbers: a run of digits joined by single spaces, dots or dashes (with an
   optional "+" or "(+84)" before it) is read left to right, the longest group
   of pieces that is a known kind first. Inside a run a value only starts or
   ends at a space (or next to a piece of 9+ digits), so "1.000.000.000.000"
   stays one number. A run glued to letters ("v2.1.0", "TK1-TS", "Abc123") is
   not read, except after a keyword ("otp4821", "sdt0912345678").

   - BHYT card: 2 letters, then 13 digits (benefit digit, province, the
     10-digit BHXH number), spaced or not ("DN4797932200150",
     "GD 4 79 7932200150") -> ``[SỐ THẺ BHYT]``;
   - hotlines "1900 xxxx" / "1800 xxxx" (8 digits, or 10 written "1900 ...")
     are never masked;
   - OTP: 4-8 digits (one piece, groups of 2-4 digits "845 221", or single
     digits "4 8 2 1") after "otp", "mã xác thực/nhận/minh", "mã kích hoạt",
     "mã pin", "code", with only connector words between ("là", "của em",
     "vừa nhận được", "gửi qua sms", ":"); "otp không về, năm 2020" keeps 2020.
     Without such a keyword, 4-8 digits are never masked (years, amounts);
   - the context of a longer number is the nearest keyword before it, within
     40 characters and after the previous masked value: "mã số bhxh", "mã
     bhxh", "msbhxh", "số bhxh", "bhxh", "bhyt", "bảo hiểm", "mã số" (BHXH);
     "cccd", "cmnd", "cmt", "căn cước", "chứng minh", "định danh" (ID); "sđt",
     "số điện thoại", "điện thoại", "đt", "phone", "zalo" (phone);
   - BHXH context + 10 digits -> ``[MÃ SỐ BHXH]``, even when they look like a
     phone number; ID context + 12 / 9 digits, spaced or not -> ``[SỐ CCCD]`` /
     ``[SỐ CMND]``; phone context + 10-11 digits from 0 (landlines) -> phone;
   - a Vietnamese mobile number -> ``[SỐ ĐIỆN THOẠI]``: 0 + a mobile prefix
     (32-39, 52/55/56/58/59, 70/76-79, 81-89, 90-94/96-99) + 7 digits, or 84 /
     +84 / (+84) + the same 9 digits, or "+84 0..."; spaced or not ("0912 345
     678", "0912.345.678", "84-912-345-678");
   - otherwise an unbroken run of 10 digits -> ``[MÃ SỐ BHXH]`` (a 10-digit
     number that is not a phone), 12 -> ``[SỐ CCCD]``, 9 -> ``[SỐ CMND]``, and a
     spaced 12-digit number starting with 0 -> ``[SỐ CCCD]``; not when a
     currency follows ("100000000 đ"). Other spaced numbers are kept.

   Dates with "/" ("01/08/2025"), document numbers ("5236/VBHN-BLĐTBXH",
   "3717/BHXH-CNTT"), years, steps, versions, menu numbers and amounts are too
   short, glued or dotted, so they are kept.

``contains_secret`` is true for a password, an OTP and full ID numbers (CCCD,
CMND, BHXH number, BHYT card); a phone number or an e-mail alone is not.

Speed (CPython 3.10 on this shared 2-core VM, where ``python -m timeit
"sum(range(1000))"`` takes 18 us): the 1,025-character ``_BENCH_TEXT`` below
(eight values to mask among 25 numbers) takes 0.24 ms per call, and a
1,000-character message without digits ("mật khẩu mới không nhận, otp không
về" repeated) 0.06 ms::

    .venv/bin/python -m timeit -s "from privacy.mask import mask, _BENCH_TEXT" "mask(_BENCH_TEXT)"

Known limits: only the first token of a password is masked ("mật khẩu là
abc 123" keeps "123"); a password, OTP or ID typed without a keyword and not
in an ID shape is not found ("123456" alone stays); an unaccented sentence right
after "mật khẩu là" may lose its first word; 11-digit and 13+-digit numbers
(bank accounts, cards), tax codes (masked as BHXH numbers), names, birth dates
and addresses are not recognised as such.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable
from enum import Enum
from typing import NamedTuple


class Kind(str, Enum):
    """What a masked value was. The values are stable strings for logs and metrics."""

    BHXH = "bhxh"
    CCCD = "cccd"
    CMND = "cmnd"
    BHYT = "bhyt"
    PHONE = "phone"
    EMAIL = "email"
    OTP = "otp"
    PASSWORD = "password"


PLACEHOLDERS: dict[Kind, str] = {
    Kind.BHXH: "[MÃ SỐ BHXH]",
    Kind.CCCD: "[SỐ CCCD]",
    Kind.CMND: "[SỐ CMND]",
    Kind.BHYT: "[SỐ THẺ BHYT]",
    Kind.PHONE: "[SỐ ĐIỆN THOẠI]",
    Kind.EMAIL: "[EMAIL]",
    Kind.OTP: "[MÃ OTP]",
    Kind.PASSWORD: "[MẬT KHẨU]",
}

SECRET_KINDS = frozenset({Kind.PASSWORD, Kind.OTP, Kind.CCCD, Kind.CMND, Kind.BHXH, Kind.BHYT})


class Masked(NamedTuple):
    """The masked text and the kinds of value replaced in it."""

    text: str
    kinds: frozenset[Kind]


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


_EMAIL_LOCAL = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-")
_EMAIL_DOMAIN_RE = re.compile(
    r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,24}(?![A-Za-z0-9])"
)

# Before a run of digits: the two letters of a BHYT card ("DN" 4797932200150).
_BHYT_PREFIX_RE = re.compile(r"(?<!\w)[A-Za-z]{2}[ \u00a0.\-]?\Z")
# Before a run of digits: "(+84) ", "(84)".
_PAREN_84_RE = re.compile(r"\(\+?(84)\)[ \u00a0]?\Z")

# On the folded text.
_PASSWORD_RE = re.compile(
    r"(?:m(?:at\s*(?:khau|ma)|k)|p(?:ass(?:word|wd)?|wd?))\b[\"'”’»)\]]?"  # literal first: fast
    r"(?:\s*\b(?:moi|cu|hien\s*tai|dang\s*nhap|vssid|tai\s*khoan|ung\s*dung|app|cua|toi|tui"
    r"|em|minh|anh|chi|me|bo|ba|con|t|my|new|old|current|da|dang|duoc|dat|nhap|ghi|cai"
    r"|dung|vao|cap\s*(?:[12]|lai|moi)|[0-9]{1,2}\s*(?:chu\s*)?(?:so|ky\s*tu))\b)*"
    r"(?P<conn>(?:\s*(?:\b(?:la|is|was)\b|[:=]))*)\s*(?P<tok>\S+)"
)
_LEADING = "\"'“‘«(<[*"
_TRAILING = ".,;:?)]}>\"'”’»…*"
# Tokens with digits that are no password: "8-16" (characters), "100%".
_NOT_PASSWORD_RE = re.compile(r"[0-9]{1,2}[-–~][0-9]{1,2}|[0-9]+(?:[.,][0-9]+)?%")
_NOT_PASSWORDS = frozenset(
    """
    moi cu sai khong hong bi dung roi gi sao nao the vay nhu bao nhieu cua toi tui em minh la
    duoc phai can nhap doi quen lay lai het han ngay thang nam sinh so chu hoa thuong ky tu
    gom nhat dac biet vssid app ung nay kia day nhe oi hay hoac voi cho thi nhung cung van
    chua dang luon nua oke okay gui tin nhan mat khau mac dinh tam thoi dat cai tao reset thay
    xong bang theo tren trong ngoai truoc sau mot hai bon khac giong ten tuoi that biet nho
    yeu manh ngan thieu phan qua luc dau cach kieu loai ban admin vang sdt email gmail otp
    bhxh cccd cmnd dien thoai chuoi gio cung kiem tra tai khoan dang nhap vao ra nhan
    wrong incorrect invalid expired correct not the my new old forgot forgotten required
    changed change empty blank short long weak strong locked same reset
    """.split()
)

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
_ATTACHABLE = frozenset({"otp", "code", "sdt", "dt", "cccd", "cmnd", "bhxh", "msbhxh", "ms"})

_RUN_RE = re.compile(r"[0-9]+(?:[ \u00a0.\-][0-9]+)*")
_PIECE_RE = re.compile(r"[0-9]+")
_DIGIT_RE = re.compile(r"[0-9]")
_MOBILE = frozenset(
    "32 33 34 35 36 37 38 39 52 55 56 58 59 70 76 77 78 79 81 82 83 84 85 86 87 88 89"
    " 90 91 92 93 94 96 97 98 99".split()
)
_HOTLINE = ("1900", "1800")
_CURRENCY_RE = re.compile(r"\s?(?:d|dong|vnd|trieu|nghin|ngan|usd)\b")  # not "k": "không"
_SKIP = "skip"


def _is_mobile(digits: str, plus: bool) -> bool:
    n = len(digits)
    if n == 10 and digits[0] == "0":
        return digits[1:3] in _MOBILE
    if n == 11 and digits.startswith("84"):
        return digits[2:4] in _MOBILE
    if n == 12 and plus and digits.startswith("840"):  # "+84 0912 345 678"
        return digits[3:5] in _MOBILE
    return False


def _otp_shape(pieces: list[str]) -> bool:
    """One piece, or groups of 2-4 digits ("845 221"), or single digits ("4 8 2 1")."""
    if len(pieces) == 1:
        return True
    lengths = {len(p) for p in pieces}
    return lengths == {1} or 1 not in lengths


def _in_context(context: str, digits: str, plus: bool) -> Kind | None:
    n = len(digits)
    if context == "bhxh":
        if n == 10:
            return Kind.BHXH
    elif context == "id":
        if n == 12:
            return Kind.CCCD
        if n == 9:
            return Kind.CMND
    elif context == "phone":
        if _is_mobile(digits, plus) or (n in (10, 11) and digits[0] == "0"):
            return Kind.PHONE
    return None


def _bare(digits: str, pieces: list[str], plus: bool) -> Kind | None:
    if _is_mobile(digits, plus):
        return Kind.PHONE
    n = len(digits)
    if len(pieces) > 1:
        return Kind.CCCD if n == 12 and digits[0] == "0" else None
    return {10: Kind.BHXH, 12: Kind.CCCD, 9: Kind.CMND}.get(n)


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


def _emails(scan: _Scan) -> None:
    text = scan.text
    at = text.find("@")
    while at >= 0:
        start = at
        while start > 0 and text[start - 1] in _EMAIL_LOCAL and at - start < 64:
            start -= 1
        while start < at and not text[start].isalnum():
            start += 1
        domain = _EMAIL_DOMAIN_RE.match(text, at + 1)
        if start < at and domain:
            scan.claim(start, domain.end(), Kind.EMAIL)
        at = text.find("@", at + 1)


def _passwords(scan: _Scan) -> None:
    text = scan.text
    for match in _PASSWORD_RE.finditer(scan.folded):
        if match.start() and scan.folded[match.start() - 1].isalnum():
            continue  # "amk", "bypass"
        start, end = match.span("tok")
        while start < end and text[start] in _LEADING:
            start += 1
        while end > start and text[end - 1] in _TRAILING:
            end -= 1
        token = text[start:end]
        folded = scan.folded[start:end]
        if len(token) < 4 or folded in _NOT_PASSWORDS or not any(c.isalnum() for c in token):
            continue
        has_digit = any(c.isdigit() for c in token)
        has_symbol = not token.isalnum()
        accented = folded != token.lower()
        if has_digit or has_symbol:
            if (accented and not has_digit) or _NOT_PASSWORD_RE.fullmatch(token):
                continue
        elif accented or not match.group("conn").strip():
            continue
        scan.claim(start, end, Kind.PASSWORD)


def _glued(scan: _Scan, start: int) -> bool:
    """The number at start follows a letter that is not the end of a context keyword."""
    if start == 0 or not scan.text[start - 1].isalnum():
        return False
    word_start = start
    while word_start > 0 and scan.folded[word_start - 1].isalpha():
        word_start -= 1
    return scan.folded[word_start:start] not in _ATTACHABLE


def _numbers(scan: _Scan) -> None:
    text = scan.text
    for run in _RUN_RE.finditer(text):
        start, end = run.span()
        if end - start < 4:
            continue  # every kind has at least 4 digits ("84" of "(+84)" is read with the next run)
        if run.group().isdigit():
            pieces = [(start, end)]
        else:
            pieces = [m.span() for m in _PIECE_RE.finditer(text, start, end)]
        head, plus = start, False  # where the value starts, and whether it had +84
        before = text[max(0, start - 7) : start]
        if before.endswith("+"):
            head, plus = start - 1, True
        elif ")" in before:
            paren = _PAREN_84_RE.search(text, max(0, start - 7), start)
            if paren:
                head, plus = paren.start(), True
                pieces.insert(0, paren.span(1))
        first = 0
        bhyt_letters = before[-1:].isalpha() or before[-2:-1].isalpha()
        if bhyt_letters and not plus and end - start >= 13:
            letters = _BHYT_PREFIX_RE.search(text, max(0, start - 3), start)
            if letters:
                first = _bhyt(scan, letters.start(), pieces)
        if not first and _glued(scan, head):
            continue
        _read_run(scan, head, plus, pieces, first)


def _splits(text: str, pieces: list[tuple[int, int]]) -> list[bool]:
    """splits[k]: a value may start at piece k, or end before it.

    Inside a run, only at a space, or next to a piece that is a whole ID on its own
    ("0912345678-0987654321"), so "1.000.000.000.000" is one number, not four.
    """
    count = len(pieces)
    splits = [True] * (count + 1)
    for k in range(1, count):
        space = text[pieces[k][0] - 1] in " \u00a0"
        splits[k] = (
            space or max(pieces[k - 1][1] - pieces[k - 1][0], pieces[k][1] - pieces[k][0]) >= 9
        )
    return splits


def _bhyt(scan: _Scan, start: int, pieces: list[tuple[int, int]]) -> int:
    """Claim a BHYT card (13 digits after the letters); the number of pieces it took."""
    total = 0
    for j, (s, e) in enumerate(pieces):
        total += e - s
        if total >= 13:
            if total == 13 and _splits(scan.text, pieces)[j + 1]:
                scan.claim(start, e, Kind.BHYT)
                return j + 1
            break
    return 0


def _read_run(
    scan: _Scan, head: int, plus: bool, pieces: list[tuple[int, int]], first: int
) -> None:
    """Read a run of digit pieces left to right, the longest known group first."""
    text = scan.text
    digits = [text[s:e] for s, e in pieces]
    count = len(pieces)
    if count == 1 and not first:
        kind = _classify(scan, pieces[0][0], pieces[0][1], digits, plus)
        if kind is not None and kind != _SKIP:
            scan.claim(head if kind == Kind.PHONE else pieces[0][0], pieces[0][1], kind)
        return
    splits = _splits(text, pieces)
    total = [0]  # total[k]: digits in pieces[:k]
    for piece in digits:
        total.append(total[-1] + len(piece))
    i = first
    while i < count:
        taken = None
        if splits[i]:
            for j in range(min(count - 1, i + 5), i - 1, -1):
                n = total[j + 1] - total[i]
                if n < 4 or (n <= 8 and not scan.otp_before(pieces[i][0])):
                    break  # shorter groups are not read either
                if n > 13 or not splits[j + 1]:
                    continue
                group = digits[i : j + 1]
                kind = _classify(scan, pieces[i][0], pieces[j][1], group, plus and i == 0)
                if kind is not None:
                    taken = (j, kind)
                    break
        if taken is None:
            i += 1
            continue
        j, kind = taken
        if kind != _SKIP:
            start = head if i == 0 and kind == Kind.PHONE else pieces[i][0]
            scan.claim(start, pieces[j][1], kind)
        i = j + 1


def _classify(scan: _Scan, start: int, end: int, group: list[str], plus: bool) -> Kind | str | None:
    digits = "".join(group)
    n = len(digits)
    if n < 4 or n > 12:
        return None
    if (n == 8 and digits[:4] in _HOTLINE) or (n == 10 and len(group) > 1 and group[0] in _HOTLINE):
        return _SKIP
    if n <= 8:
        otp = scan.otp_before(start) and _otp_shape(group) and scan.free(start, end)
        return Kind.OTP if otp else None
    if not scan.free(start, start + 1):
        return None
    # The context only matters for spaced numbers, 10 digits starting with 0 (phone
    # or BHXH number) and 11 digits (a landline after "sđt").
    if len(group) > 1 or (n in (10, 11) and digits[0] == "0"):
        for _, context in scan.contexts(start):
            kind = _in_context(context, digits, plus)
            if kind is not None:
                return kind
    kind = _bare(digits, group, plus)
    if kind != Kind.PHONE and _CURRENCY_RE.match(scan.folded, end):
        return None  # "100000000 đ" is an amount
    return kind


def mask(text: str) -> Masked:
    """Replace the personal data in text with typed placeholders."""
    if not isinstance(text, str):
        text = str(text)
    text = unicodedata.normalize("NFC", text)
    scan = _Scan(text, _fold(text))
    _emails(scan)
    _passwords(scan)
    if _DIGIT_RE.search(text):
        _numbers(scan)
    if not scan.spans:
        return Masked(text, frozenset())
    pieces, position = [], 0
    for start, end, kind in sorted(scan.spans):
        pieces.append(text[position:start])
        pieces.append(PLACEHOLDERS[kind])
        position = end
    pieces.append(text[position:])
    return Masked("".join(pieces), frozenset(kind for _, _, kind in scan.spans))


def contains_secret(kinds: Iterable[Kind | str] | Masked) -> bool:
    """True when the kinds (or a Masked) include a password, an OTP or a full ID number."""
    if isinstance(kinds, Masked):
        kinds = kinds.kinds
    return any(kind in SECRET_KINDS for kind in kinds)


class MaskingFilter(logging.Filter):
    """Mask every record's rendered message, traceback and stack. Never drops, never raises.

    Attach it to the handlers (a logger's own filters do not see records that
    propagate from its children). The message is rendered with its args
    (``record.getMessage()``), masked, and stored back as ``msg`` with empty
    ``args``; a non-string ``msg`` with nothing to mask is left as it is.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            self._mask(record)
        except Exception:  # a log line must never break the caller
            pass
        return True

    @staticmethod
    def _mask(record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:  # bad args: mask what there is, logging reports the error
            if isinstance(record.msg, str):
                record.msg = mask(record.msg).text
            if isinstance(record.args, tuple):
                record.args = tuple(mask(a).text if isinstance(a, str) else a for a in record.args)
            message = None
        if message is not None:
            masked = mask(message).text
            if isinstance(record.msg, str) or record.args or masked != message:
                record.msg, record.args = masked, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask(record.exc_text).text
        if record.stack_info:
            record.stack_info = mask(record.stack_info).text


_BENCH_TEXT = (
    "Chào anh/chị, em tên là Nguyễn Thị Hương, sinh năm 1975, hiện đang ở Quận 3. "
    "Em cài ứng dụng VssID phiên bản 1.6.7 trên điện thoại từ ngày 01/08/2025 nhưng "
    "không đăng nhập được. Mã số BHXH của em là 7932200150, số CCCD 079175001234, "
    "số điện thoại 0912 345 678, email huong.nguyen75@gmail.com. Em đã làm theo bước 2 "
    "và bước 3 trong hướng dẫn, bấm quên mật khẩu thì hệ thống báo đã gửi mã OTP nhưng "
    "otp không về, chờ 5 phút mới nhận được mã otp là 482 193 thì đã hết hạn. Em thử "
    "lại với mật khẩu của tôi là Huong@1975 mà vẫn báo sai. Tổng đài 1900 9068 bận máy "
    "liên tục. Theo Công văn 3717/BHXH-CNTT và Mẫu 02/SĐ-GD thì em cần nộp tờ khai "
    "TK1-TS tại cơ quan BHXH quận không ạ? Em cảm ơn, mong anh chị hướng dẫn sớm giúp em "
    "vì em cần tra cứu quá trình đóng và thẻ BHYT cho mẹ em trước ngày 1/6/2025 ạ. Thẻ "
    "BHYT của mẹ em là GD 4 79 7932200151, còn số của bố em 0987.654.321, nhờ anh chị kiểm "
    "tra giúp xem vì sao tải app bản v2.1.0 rồi mà vẫn chưa tra cứu được ạ, em xin cảm ơn "
    "nhiều lắm ạ, chúc anh chị một ngày làm việc vui vẻ."
)
