"""Web chat session ids that only their page can use again.

The server mints a random id and gives the page a token, HMAC-SHA256 of the id
under a secret the server keeps. A reconnect is put back into its session only
with the matching token, so a session id seen in a log, a screenshot or a
guess is useless to anyone else. The secret comes from WEB_SESSION_SECRET
(required with several replicas: they must share it); without it, one is
generated once into secrets/web_session.key (git-ignored), so sessions survive
a restart of `make run`.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import pathlib
import re
import secrets

logger = logging.getLogger(__name__)

KEY_FILE = pathlib.Path(__file__).resolve().parent.parent / "secrets" / "web_session.key"
SESSION_ID = re.compile(r"[0-9a-f]{32}")


def _key_file_secret(path: pathlib.Path = KEY_FILE) -> bytes:
    if not path.exists():
        path.parent.mkdir(mode=0o700, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(secrets.token_hex(32))
        logger.info("Web session secret generated in %s (set WEB_SESSION_SECRET to choose)", path)
    return path.read_text().strip().encode()


class Signer:
    def __init__(self, secret: bytes):
        self.secret = secret

    @classmethod
    def from_env(cls) -> Signer:
        secret = os.environ.get("WEB_SESSION_SECRET", "").encode()
        return cls(secret or _key_file_secret())

    @staticmethod
    def new_id() -> str:
        return secrets.token_hex(16)

    def token(self, session_id: str) -> str:
        message = b"web-session:" + session_id.encode()
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()

    def reuse(self, session_id: object, token: object) -> str | None:
        """`session_id` if `token` is its token, else None."""
        if not (isinstance(session_id, str) and SESSION_ID.fullmatch(session_id)):
            return None
        if not isinstance(token, str):
            return None
        expected = self.token(session_id).encode()
        matches = hmac.compare_digest(expected, token.encode("utf-8", "replace"))
        return session_id if matches else None
