"""What a masked value was, the placeholder that replaces it, and which kinds are secrets.

Apart from the rules (privacy/words.py, privacy/numbers.py) and the public API
(privacy/mask.py) so that all of them share one vocabulary without importing
each other. ``privacy.mask`` re-exports every name here.

Placeholders: ``[MÃ SỐ BHXH]``, ``[SỐ CCCD]``, ``[SỐ CMND]`` (the old 9-digit
card gets its own placeholder, so a log says which document it was),
``[SỐ THẺ BHYT]``, ``[SỐ ĐIỆN THOẠI]``, ``[EMAIL]``, ``[MÃ OTP]``, ``[MẬT KHẨU]``.
"""

from __future__ import annotations

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
