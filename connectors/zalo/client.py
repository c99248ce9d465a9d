"""Zalo OA API client: consultation messages, with the token refreshed on -216."""

from __future__ import annotations

import asyncio
import fcntl
import json
import logging
from pathlib import Path
from typing import Any

import aiohttp

from connectors.http import HttpClient
from connectors.zalo.settings import Tokens, ZaloConfig, load_tokens, save_tokens

logger = logging.getLogger(__name__)

TOKEN_EXPIRED = -216
ATTEMPTS = 4  # connection errors, HTTP 5xx and 429 are retried


class ZaloApiError(Exception):
    """Zalo refused a request, or it kept failing after the retries."""


class ZaloClient:
    """Sends OA messages, refreshing the access token on error -216."""

    def __init__(self, config: ZaloConfig, first_delay: float = 0.2, attempts: int = ATTEMPTS):
        self.config = config
        self.tokens = config.tokens
        self.attempts = attempts
        self.http = HttpClient(attempts=attempts, first_delay=first_delay)
        # Created lazily: it must belong to the server's running loop.
        self._refresh_lock: asyncio.Lock | None = None
        self._spent: set[str] = set()  # refresh tokens this process traded in

    async def close(self) -> None:
        await self.http.close()

    async def send(self, user_id: str, message: dict[str, Any]) -> dict[str, Any]:
        """Sends one message object to a user; raises ZaloApiError if it is not delivered."""
        url = f"{self.config.api_url}/v3.0/oa/message/cs"
        body = {"recipient": {"user_id": user_id}, "message": message}
        token = self.tokens.access_token
        result = await self._post(url, json=body, headers={"access_token": token})
        if result.get("error") == TOKEN_EXPIRED:
            logger.info("Zalo access token expired (-216); refreshing it")
            await self.refresh(token)
            headers = {"access_token": self.tokens.access_token}
            result = await self._post(url, json=body, headers=headers)
        if result.get("error") != 0:
            raise ZaloApiError(f"message/cs error {result.get('error')}: {result.get('message')}")
        return result

    async def refresh(self, stale_token: str) -> None:
        """Trades the refresh token for a new pair and stores it.

        A refresh token works once, so concurrent sends that all saw -216
        queue on the lock and only the first one refreshes. Replicas sharing
        the token file (every replica serves webhooks) also queue on a lock
        on that file and take up a pair another one stored meanwhile.
        """
        if self._refresh_lock is None:
            self._refresh_lock = asyncio.Lock()
        async with self._refresh_lock:
            if self.tokens.access_token != stale_token:
                return
            with await asyncio.to_thread(_file_lock, self.config.token_file):
                stored = await asyncio.to_thread(load_tokens, self.config.token_file)
                if (
                    stored
                    and stored.access_token not in (stale_token, self.tokens.access_token)
                    and stored.refresh_token not in self._spent  # not an old pair left there
                ):
                    logger.info("Zalo access token taken from %s", self.config.token_file)
                    self.tokens = stored
                    return
                await self._refresh()

    async def _refresh(self) -> None:
        self._spent.add(self.tokens.refresh_token)
        result = await self._post(
            f"{self.config.oauth_url}/v4/oa/access_token",
            data={
                "refresh_token": self.tokens.refresh_token,
                "app_id": self.config.app_id,
                "grant_type": "refresh_token",
            },
            headers={"secret_key": self.config.app_secret},
        )
        access, refresh = result.get("access_token"), result.get("refresh_token")
        if not access or not refresh:
            raise ZaloApiError(
                f"token refresh failed: {result.get('error')} {result.get('error_name', '')} "
                f"{result.get('error_description') or result.get('message', '')}".strip()
            )
        self.tokens = Tokens(str(access), str(refresh))
        logger.info("Zalo access token refreshed")
        try:
            await asyncio.to_thread(
                save_tokens, self.config.token_file, self.tokens, result.get("expires_in")
            )
        except OSError:
            # The old refresh token is now dead: say so loudly, keep serving.
            logger.exception(
                "Could not store the refreshed Zalo tokens in %s; after a restart "
                "the env tokens will no longer work",
                self.config.token_file,
            )

    async def _post(self, url: str, **kwargs: Any) -> dict[str, Any]:
        """POSTs (with retries) and returns the JSON object Zalo answered."""
        try:
            status, body = await self.http.post(url, **kwargs)
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            raise ZaloApiError(f"{url}: failed {self.attempts} times, last: {error!r}") from error
        if status >= 500 or status == 429:
            raise ZaloApiError(f"{url}: failed {self.attempts} times, last: HTTP {status}")
        if status != 200:
            raise ZaloApiError(f"{url}: HTTP {status}: {body[:300]}")
        try:
            result = json.loads(body)
        except ValueError:
            result = None
        if not isinstance(result, dict):
            raise ZaloApiError(f"{url}: not a JSON object: {body[:300]}")
        return result


def _file_lock(token_file: Path):
    """An exclusive lock beside the token file, released when the file closes."""
    token_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    handle = open(token_file.with_name(token_file.name + ".lock"), "a")  # noqa: SIM115
    fcntl.flock(handle, fcntl.LOCK_EX)
    return handle
