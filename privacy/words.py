"""Rules 1 and 2 of the masker: e-mail addresses and passwords, the values among words.

They claim text before the number rules (privacy/numbers.py), so a password
such as "12345678" or the digits of an address are never read as a number.
Apart from the number rules because they read words and keywords, not runs of
digits; ``privacy.mask.mask`` runs them in this order.

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
"""

from __future__ import annotations

import re

from privacy.kinds import Kind
from privacy.scan import _Scan

_EMAIL_LOCAL = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-")
_EMAIL_DOMAIN_RE = re.compile(
    r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,24}(?![A-Za-z0-9])"
)

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
