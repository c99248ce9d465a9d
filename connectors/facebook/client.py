"""Messenger Send API client over the shared retrying HTTP client."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging

import aiohttp

from connectors.http import HttpClient

logger = logging.getLogger(__name__)

DEFAULT_GRAPH_URL = "https://graph.facebook.com"
DEFAULT_GRAPH_VERSION = "21.0"


class GraphClient:
    """Posts to {graph_url}/v{version}/me/messages, retrying 5xx and network errors."""

    def __init__(
        self,
        page_token: str,
        app_secret: str,
        graph_url: str = DEFAULT_GRAPH_URL,
        version: str = DEFAULT_GRAPH_VERSION,
        attempts: int = 3,
        backoff: float = 0.5,
        timeout: float = 10.0,
    ) -> None:
        self.url = f"{graph_url.rstrip('/')}/v{version.lstrip('v')}/me/messages"
        self.params = {"access_token": page_token}
        if app_secret:
            # Lets the page keep "Require App Secret" switched on in the app settings.
            proof = hmac.new(app_secret.encode(), page_token.encode(), hashlib.sha256)
            self.params["appsecret_proof"] = proof.hexdigest()
        self.attempts = attempts
        self.http = HttpClient(attempts=attempts, first_delay=backoff, timeout=timeout)

    async def close(self) -> None:
        await self.http.close()

    async def send_message(self, recipient_id: str, message: dict) -> bool:
        body = {"recipient": {"id": recipient_id}, "messaging_type": "RESPONSE", "message": message}
        return await self.post(body)

    async def send_action(self, recipient_id: str, action: str) -> bool:
        # A lost typing indicator is harmless: one attempt, no retries.
        body = {"recipient": {"id": recipient_id}, "sender_action": action}
        return await self.post(body, attempts=1)

    async def post(self, body: dict, attempts: int | None = None) -> bool:
        """Posts `body`; returns False (after logging an error) if it never got through."""
        attempts = tries = attempts or self.attempts
        try:
            status, text = await self.http.post(
                self.url, attempts=attempts, params=self.params, json=body
            )
            if status < 300:
                return True
            error = f"HTTP {status}: {text[:500]}"
            if status < 500 and status != 429:
                tries = 1  # bad token, bad payload, user blocked the page: not retried
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            error = repr(exc)
        what = "message" if "message" in body else body.get("sender_action")
        logger.error(
            "Facebook Send API: %s to %s NOT delivered after %s attempt(s): %s",
            what, body["recipient"]["id"], tries, error,
        )  # fmt: skip
        return False
