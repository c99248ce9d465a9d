"""The one HTTP client the platform channels send with (aiohttp + aiohttp-retry).

Connection errors, timeouts, HTTP 5xx and 429 are retried with exponential
back-off; anything else is returned to the caller, which knows what the
platform's answer means. The session is created lazily, so it belongs to the
server's running event loop.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from aiohttp_retry import ExponentialRetry, RetryClient

RETRY_STATUSES = {429}  # plus every 5xx (retry_all_server_errors)


class HttpClient:
    def __init__(self, attempts: int = 4, first_delay: float = 0.1, timeout: float = 15.0):
        # aiohttp-retry waits first_delay * 2**n before attempt n + 1.
        self.attempts, self.first_delay = attempts, first_delay
        self.retry = self._retry(attempts)
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None
        self._client: RetryClient | None = None

    def _retry(self, attempts: int) -> ExponentialRetry:
        return ExponentialRetry(
            attempts=attempts,
            start_timeout=self.first_delay / 2,
            statuses=RETRY_STATUSES,
            exceptions={aiohttp.ClientError, asyncio.TimeoutError},
        )

    def _get(self) -> RetryClient:
        if self._client is None or self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
            self._client = RetryClient(client_session=self._session, retry_options=self.retry)
        return self._client

    async def post(self, url: str, attempts: int | None = None, **kwargs: Any) -> tuple[int, str]:
        """(status, body text) of the last attempt; raises if no attempt got an answer.

        Raises aiohttp.ClientError or asyncio.TimeoutError when every attempt failed.
        """
        client = self._get()
        if attempts is not None and attempts != self.attempts:
            kwargs["retry_options"] = self._retry(attempts)
        async with client.post(url, **kwargs) as response:
            return response.status, await response.text()

    async def close(self) -> None:
        if self._client is not None:
            await self._client.close()
        self._client = self._session = None
