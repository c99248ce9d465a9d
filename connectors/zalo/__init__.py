"""Zalo Official Account channel (OA API v3); credentials.yml names
`connectors.zalo.ZaloInput`. Settings come from ZALO_* environment variables
(settings.py); replies go through client.py, fitted by render.py."""

from connectors.zalo.channel import ZaloInput, ZaloOutput, compute_signature, verify_signature
from connectors.zalo.client import TOKEN_EXPIRED, ZaloApiError, ZaloClient
from connectors.zalo.render import MAX_BUTTONS, MAX_TEXT, render_reply, zalo_button
from connectors.zalo.settings import (
    DEFAULT_API_URL,
    DEFAULT_OAUTH_URL,
    DEFAULT_TOKEN_FILE,
    REQUIRED_ENV,
    Tokens,
    ZaloConfig,
    ZaloConfigError,
    load_tokens,
    save_tokens,
)

__all__ = [
    "DEFAULT_API_URL", "DEFAULT_OAUTH_URL", "DEFAULT_TOKEN_FILE", "MAX_BUTTONS", "MAX_TEXT",
    "REQUIRED_ENV", "TOKEN_EXPIRED", "Tokens", "ZaloApiError", "ZaloClient", "ZaloConfig",
    "ZaloConfigError", "ZaloInput", "ZaloOutput", "compute_signature", "load_tokens",
    "render_reply", "save_tokens", "verify_signature", "zalo_button",
]  # fmt: skip
