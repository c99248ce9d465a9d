"""Zalo settings from the environment, and the token pair stored after a refresh.

ZALO_APP_ID, ZALO_APP_SECRET, ZALO_OA_SECRET_KEY, ZALO_ACCESS_TOKEN,
ZALO_REFRESH_TOKEN, and optionally ZALO_API_URL, ZALO_OAUTH_URL and
ZALO_TOKEN_FILE. Never from credentials.yml.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

DEFAULT_API_URL = "https://openapi.zalo.me"
DEFAULT_OAUTH_URL = "https://oauth.zaloapp.com"
# Git-ignored (secrets/ and zalo_tokens*.json are in .gitignore).
DEFAULT_TOKEN_FILE = Path(__file__).resolve().parents[2] / "secrets" / "zalo_tokens.json"
REQUIRED_ENV = ("ZALO_APP_ID", "ZALO_APP_SECRET", "ZALO_OA_SECRET_KEY")


class ZaloConfigError(ValueError):
    """Required Zalo settings are missing from the environment."""


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str


@dataclass(frozen=True)
class ZaloConfig:
    app_id: str
    app_secret: str
    oa_secret_key: str
    tokens: Tokens
    api_url: str = DEFAULT_API_URL
    oauth_url: str = DEFAULT_OAUTH_URL
    token_file: Path = DEFAULT_TOKEN_FILE

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> ZaloConfig:
        """Reads the settings; tokens stored by an earlier refresh win over the env.

        Raises ZaloConfigError naming every missing variable.
        """

        def get(name: str) -> str:
            return (env.get(name) or "").strip()

        token_file = Path(get("ZALO_TOKEN_FILE") or DEFAULT_TOKEN_FILE)
        # The env pair goes stale after the first refresh (a refresh token works once).
        tokens = load_tokens(token_file) or Tokens(
            get("ZALO_ACCESS_TOKEN"), get("ZALO_REFRESH_TOKEN")
        )
        missing = [name for name in REQUIRED_ENV if not get(name)]
        missing += [
            name
            for name, value in (
                ("ZALO_ACCESS_TOKEN", tokens.access_token),
                ("ZALO_REFRESH_TOKEN", tokens.refresh_token),
            )
            if not value
        ]
        if missing:
            raise ZaloConfigError(", ".join(missing))
        return cls(
            app_id=get("ZALO_APP_ID"),
            app_secret=get("ZALO_APP_SECRET"),
            oa_secret_key=get("ZALO_OA_SECRET_KEY"),
            tokens=tokens,
            api_url=(get("ZALO_API_URL") or DEFAULT_API_URL).rstrip("/"),
            oauth_url=(get("ZALO_OAUTH_URL") or DEFAULT_OAUTH_URL).rstrip("/"),
            token_file=token_file,
        )


def load_tokens(path: Path) -> Tokens | None:
    """The token pair stored in `path`, or None if there is no usable file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        logger.warning("Zalo token file %s unreadable (%s); using the env tokens", path, error)
        return None
    if isinstance(data, dict) and data.get("access_token") and data.get("refresh_token"):
        return Tokens(str(data["access_token"]), str(data["refresh_token"]))
    logger.warning("Zalo token file %s has no token pair; using the env tokens", path)
    return None


def save_tokens(path: Path, tokens: Tokens, expires_in: Any = None) -> None:
    """Writes the pair atomically with mode 600, so a crash never leaves half a file.

    Blocking: call it through asyncio.to_thread from the event loop.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    data = {
        "access_token": tokens.access_token,
        "refresh_token": tokens.refresh_token,
        "expires_in": expires_in,
        "updated_at": int(time.time()),
    }
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
