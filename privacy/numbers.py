"""Rule 3 of the masker: numbers (BHYT cards, OTPs, ID and BHXH numbers, phones).

Apart from the word rules (privacy/words.py) because reading runs of digits,
their pieces and their context is an idea of its own and most of the masker's
code. It runs last, on text the e-mail and password rules left unclaimed, and
only when the message holds a digit.

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
"""

from __future__ import annotations

import re

from privacy.kinds import Kind
from privacy.scan import _Scan

# Before a run of digits: the two letters of a BHYT card ("DN" 4797932200150).
_BHYT_PREFIX_RE = re.compile(r"(?<!\w)[A-Za-z]{2}[ \u00a0.\-]?\Z")
# Before a run of digits: "(+84) ", "(84)".
_PAREN_84_RE = re.compile(r"\(\+?(84)\)[ \u00a0]?\Z")

_ATTACHABLE = frozenset({"otp", "code", "sdt", "dt", "cccd", "cmnd", "bhxh", "msbhxh", "ms"})

_RUN_RE = re.compile(r"[0-9]+(?:[ \u00a0.\-][0-9]+)*")
_PIECE_RE = re.compile(r"[0-9]+")
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
