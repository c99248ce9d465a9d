"""The Zalo Official Account channel: webhook in, consultation messages out.

Zalo posts signed webhook events and retries any delivery not answered with
HTTP 200 within about 2 s, so the webhook checks the signature, acknowledges at
once and handles the event in a background task (connectors/background.py).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
from collections.abc import Mapping
from typing import Any

from rasa.core.channels.channel import InputChannel, OutputChannel
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from connectors import inbound
from connectors.background import Tasks
from connectors.output import RecentIds
from connectors.zalo.client import ZaloApiError, ZaloClient
from connectors.zalo.render import render_reply
from connectors.zalo.settings import ZaloConfig, ZaloConfigError

logger = logging.getLogger(__name__)

DUPLICATE_TTL = 3 * 3600  # Zalo retries a delivery for up to about 2 hours.


def compute_signature(app_id: str, body: bytes, timestamp: str, oa_secret_key: str) -> str:
    """Zalo's webhook MAC: plain SHA-256 (not HMAC) of app_id + body + timestamp + key."""
    data = app_id.encode() + body + timestamp.encode() + oa_secret_key.encode()
    return hashlib.sha256(data).hexdigest()


def verify_signature(
    header: str | None, app_id: str, body: bytes, timestamp: str, oa_secret_key: str
) -> bool:
    """Checks an `X-ZEvent-Signature: mac=<hex>` header in constant time."""
    if not header or not header.strip().startswith("mac="):
        return False
    received = header.strip()[len("mac=") :].lower()
    expected = compute_signature(app_id, body, timestamp, oa_secret_key)
    return hmac.compare_digest(received.encode(), expected.encode())


class ZaloOutput(OutputChannel):
    """Sends the bot's replies to one Zalo user."""

    @classmethod
    def name(cls) -> str:
        return "zalo"

    def __init__(self, client: ZaloClient):
        self.client = client

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self._deliver(recipient_id, render_reply(text, []))

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        # Over 5 buttons come as a numbered list; a typed number picks one
        # (addons/choices.py), as on every channel.
        await self._deliver(recipient_id, render_reply(text, buttons))

    async def send_custom_json(
        self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any
    ) -> None:
        """A `custom` response is a raw Zalo message object, sent as is."""
        await self._deliver(recipient_id, [json_message])

    async def _deliver(self, recipient_id: str, messages: list[dict[str, Any]]) -> None:
        # Not raising keeps Rasa saving the tracker and sending the other
        # replies; the log line carries the lost text so nothing vanishes silently.
        for message in messages:
            try:
                await self.client.send(recipient_id, message)
            except ZaloApiError as error:
                logger.error(
                    "Zalo reply to user %s NOT DELIVERED (%s): %s",
                    recipient_id, error, json.dumps(message, ensure_ascii=False)[:2500],
                )  # fmt: skip


class ZaloInput(InputChannel):
    """Receives Zalo OA webhook events at /webhooks/zalo/webhook."""

    @classmethod
    def name(cls) -> str:
        return "zalo"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> ZaloInput:
        if credentials:
            logger.warning("Zalo ignores credentials.yml values; it reads ZALO_* env vars")
        return cls.from_env()

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> ZaloInput:
        try:
            return cls(ZaloConfig.from_env(env))
        except ZaloConfigError as error:
            channel = cls(None)
            channel.missing = str(error)
            logger.info(
                "Zalo channel not configured (set %s); /webhooks/zalo/webhook answers 503",
                error,
            )
            return channel

    def __init__(self, config: ZaloConfig | None):
        self.config = config
        self.missing = ""
        self.client = ZaloClient(config) if config else None
        self.seen = RecentIds(ttl=DUPLICATE_TTL)
        self.tasks = Tasks("Zalo")

    def get_output_channel(self) -> OutputChannel | None:
        return ZaloOutput(self.client) if self.client else None

    def blueprint(self, on_new_message: inbound.OnNewMessage) -> Blueprint:
        bp = Blueprint("zalo_webhook", __name__)

        @bp.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok" if self.config else "not configured"})

        @bp.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            signature = request.headers.get("X-ZEvent-Signature")
            return self.receive(request.body or b"", signature, on_new_message)

        @bp.listener("before_server_stop")
        async def finish_tasks(app: Any, loop: Any) -> None:
            await self.tasks.drain()

        @bp.listener("after_server_stop")
        async def close_client(app: Any, loop: Any) -> None:
            if self.client:
                await self.client.close()

        return bp

    def receive(
        self, raw: bytes, signature: str | None, on_new_message: inbound.OnNewMessage
    ) -> HTTPResponse:
        """Checks one webhook delivery and starts handling it; answers at once."""
        if self.config is None:
            logger.error("Zalo webhook called but not configured (missing %s): 503", self.missing)
            return response.json({"error": "Zalo channel not configured"}, status=503)
        if not signature:
            logger.warning("Zalo webhook rejected: no X-ZEvent-Signature header")
            return response.json({"error": "missing signature"}, status=401)
        try:
            event = json.loads(raw)
        except ValueError:
            logger.warning("Zalo webhook rejected: body is not JSON")
            return response.json({"error": "malformed JSON"}, status=400)
        if not isinstance(event, dict) or event.get("timestamp") in (None, ""):
            logger.warning("Zalo webhook rejected: not an event object with a timestamp")
            return response.json({"error": "malformed event"}, status=400)
        config = self.config
        timestamp = str(event["timestamp"])
        if not verify_signature(signature, config.app_id, raw, timestamp, config.oa_secret_key):
            logger.warning("Zalo webhook rejected: forged signature (%r)", event.get("event_name"))
            return response.json({"error": "invalid signature"}, status=403)
        self.dispatch(event, raw, on_new_message)
        return response.json({"status": "ok"})

    def dispatch(
        self, event: dict[str, Any], raw: bytes, on_new_message: inbound.OnNewMessage
    ) -> None:
        """Starts the background handling of a verified event, if it needs any."""
        name = str(event.get("event_name") or "")
        if not name.startswith("user_send_"):
            # oa_send_*, follow, user_seen_message…: nothing to answer.
            logger.debug("Zalo event %s ignored", name)
            return
        sender = _field(event, "sender").get("id")
        message = _field(event, "message")
        sender = str(sender) if isinstance(sender, str | int) else ""
        if not inbound.valid_sender(sender):
            logger.warning("Zalo %s event without a valid sender.id ignored", name)
            return
        msg_id = message.get("msg_id")
        # Zalo redelivers the same body when our 200 came late; without a
        # msg_id the body itself identifies the delivery.
        key = str(msg_id) if msg_id else hashlib.sha256(raw).hexdigest()
        if not self.seen.first_time(key):
            logger.info("Zalo duplicate delivery %s dropped", key)
            return
        output = ZaloOutput(self.client)
        if name == "user_send_text":
            work = inbound.handle(
                on_new_message, output, self.name(), sender, message.get("text"),
                message_id=str(msg_id) if msg_id else None,
            )  # fmt: skip
        else:
            work = inbound.handle_non_text(output, sender)
        self.tasks.spawn(work, f"{name} {key}", key=sender)


def _field(event: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = event.get(name)
    return value if isinstance(value, dict) else {}
