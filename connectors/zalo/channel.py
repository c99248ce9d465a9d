"""The Zalo Official Account channel: webhook in, consultation messages out.

Zalo posts signed webhook events and retries any delivery not answered with
HTTP 200 within about 2 s, and never after a 200. So the webhook checks the
signature and the signed timestamp, stores the event durably, then answers
200; the queue's worker handles it (connectors/webhook_queue/).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import time
from collections.abc import Mapping
from typing import Any

from rasa.core.channels.channel import InputChannel, OutputChannel
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.exc import SQLAlchemyError

from connectors import inbound, webhook_queue
from connectors.zalo.client import ZaloApiError, ZaloClient
from connectors.zalo.render import render_reply
from connectors.zalo.settings import ZaloConfig, ZaloConfigError

logger = logging.getLogger(__name__)

# Zalo retries a delivery for about 2 hours: a signed event older than this
# is a replay (its id may be long purged), so it is refused.
MAX_AGE_SECONDS = 3 * 3600
MAX_AHEAD_SECONDS = 600  # clock skew between Zalo and us


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
        self.worker: webhook_queue.Worker | None = None  # started with the server

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
            return self.receive(request.body or b"", signature)

        @bp.listener("after_server_start")
        async def start_worker(app: Any, loop: Any) -> None:
            # The agent (and its tracker store) is loaded before_server_start.
            if self.config is not None:
                self.worker = webhook_queue.start(
                    app.ctx.agent, self.name(), on_new_message, lambda: ZaloOutput(self.client)
                )

        @bp.listener("before_server_stop")
        async def finish_tasks(app: Any, loop: Any) -> None:
            if self.worker:
                await self.worker.stop()

        @bp.listener("after_server_stop")
        async def close_client(app: Any, loop: Any) -> None:
            if self.client:
                await self.client.close()

        return bp

    def receive(self, raw: bytes, signature: str | None) -> HTTPResponse:
        """Checks one webhook delivery and stores it; answers at once."""
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
        if not fresh(timestamp):
            # 200, not 4xx: Zalo retries anything but a 200, and a replayed
            # old body must stop here, not come back.
            logger.warning("Zalo event refused: signed timestamp %s is outside the %d h window",
                           timestamp[:20], MAX_AGE_SECONDS // 3600)  # fmt: skip
            return response.json({"status": "too old"})
        work = self.work(event, raw)
        if work is None:
            return response.json({"status": "ok"})
        if self.worker is None:
            logger.warning("Zalo webhook called before the queue started: 503, Zalo retries")
            return response.json({"error": "starting"}, status=503)
        try:
            self.worker.accept(*work)
        except SQLAlchemyError as error:
            # Not stored, so not acknowledged: Zalo delivers it again.
            logger.error("Zalo event NOT STORED (%s): 503, Zalo retries", error)
            return response.json({"error": "storage unavailable"}, status=503)
        return response.json({"status": "ok"})

    def work(self, event: dict[str, Any], raw: bytes) -> tuple[str, str, dict] | None:
        """(event id, sender, what to store) for an event to answer, else None."""
        name = str(event.get("event_name") or "")
        if not name.startswith("user_send_"):
            # oa_send_*, follow, user_seen_message…: nothing to answer.
            logger.debug("Zalo event %s ignored", name)
            return None
        sender = _field(event, "sender").get("id")
        message = _field(event, "message")
        sender = str(sender) if isinstance(sender, str | int) else ""
        if not inbound.valid_sender(sender):
            logger.warning("Zalo %s event without a valid sender.id ignored", name)
            return None
        msg_id = message.get("msg_id")
        msg_id = str(msg_id) if msg_id else None
        # Without a msg_id the signed body itself identifies the delivery.
        key = webhook_queue.event_key(msg_id, raw)
        if name != "user_send_text":
            return key, sender, webhook_queue.NON_TEXT
        return key, sender, webhook_queue.text_payload(message.get("text"), msg_id)


def fresh(timestamp: str, now: float | None = None) -> bool:
    """True if a Zalo timestamp (ms since the epoch) is within the accepted window."""
    try:
        sent = int(timestamp) / 1000
    except ValueError:
        return False
    age = (time.time() if now is None else now) - sent
    return -MAX_AHEAD_SECONDS <= age <= MAX_AGE_SECONDS


def _field(event: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = event.get(name)
    return value if isinstance(value, dict) else {}
