"""Mask the personal data users type into the chat, before it is logged or stored.

``mask(text)`` returns ``Masked(text, kinds)``: the text with every value found
replaced by a typed placeholder, and the frozenset of ``Kind`` found.
``contains_secret(kinds)`` says whether the bot should warn the user, and
``MaskingFilter`` is a ``logging.Filter`` that sends every log line through
``mask``. Pure Python and regular expressions, no state, thread-safe. The input
is NFC-normalised first, so the masked text is NFC. Keywords are matched on a
folded copy (lower case, no diacritics, đ -> d, one character per character),
so "mật khẩu", "Mat khau" and "MK" are one keyword and offsets stay valid.

This module is the public API; the masker is split by idea beside it, and every
public name is importable from here:

- privacy/kinds.py: ``Kind``, ``PLACEHOLDERS`` (the placeholder of each kind),
  ``SECRET_KINDS`` and ``Masked``;
- privacy/scan.py: the folded copy and the spans claimed in one message;
- privacy/words.py: rules 1 (e-mail) and 2 (password), described there;
- privacy/numbers.py: rule 3 (numbers: BHYT cards, hotlines, OTPs, BHXH, CCCD
  and CMND numbers, phone numbers, and what is kept), described there.

Rules, in the order they claim text (later rules never touch claimed text):
1. e-mail -> ``[EMAIL]``; 2. password -> ``[MẬT KHẨU]``; 3. numbers ->
``[SỐ THẺ BHYT]``, ``[MÃ OTP]``, ``[MÃ SỐ BHXH]``, ``[SỐ CCCD]``, ``[SỐ CMND]``,
``[SỐ ĐIỆN THOẠI]``.

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
from collections.abc import Iterable

from privacy.kinds import PLACEHOLDERS, SECRET_KINDS, Kind, Masked
from privacy.numbers import _numbers
from privacy.scan import _fold, _Scan
from privacy.words import _emails, _passwords

__all__ = [
    "PLACEHOLDERS",
    "SECRET_KINDS",
    "Kind",
    "Masked",
    "MaskingFilter",
    "contains_secret",
    "mask",
]

_DIGIT_RE = re.compile(r"[0-9]")


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
