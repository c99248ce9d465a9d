"""The Messenger channel: signed webhooks in, Send API replies out.

Fixes two problems of Rasa 3.6's built-in channel (rasa.core.channels.facebook):
it only checks the old SHA-1 `X-Hub-Signature` header and answers 200 to a
forged request (here `X-Hub-Signature-256` is required and checked in
constant time, 403 otherwise), and it sends through fbmessenger's
synchronous `requests` calls, blocking the event loop (here aiohttp).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from rasa.core.channels.channel import InputChannel, OutputChannel
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from connectors import inbound
from connectors.background import Tasks
from connectors.facebook.client import GraphClient
from connectors.facebook.render import render
from connectors.facebook.settings import FacebookSettings
from connectors.output import RecentIds

logger = logging.getLogger(__name__)


def valid_signature(app_secret: str, body: bytes, header: str | None) -> bool:
    """True if `header` is `sha256=<HMAC-SHA256 hex of body keyed with app_secret>`."""
    if not app_secret or not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    given = header[len("sha256=") :].strip().encode("utf-8", "replace")
    return hmac.compare_digest(expected.encode(), given)


@dataclass(frozen=True)
class Incoming:
    """One user message or postback; `text` is None for a sticker, photo or file."""

    sender_id: str
    text: str | None
    mid: str | None


def parse_events(payload: Any) -> list[Incoming]:
    """Extracts user messages and postbacks; raises ValueError if not a webhook body.

    Echoes, deliveries, reads and reactions carry nothing to answer and are
    skipped. Quick replies and postbacks yield their payload, so
    '/inform{"os":"ios"}' reaches Rasa as an intent with its entity.
    """
    if not isinstance(payload, dict) or not isinstance(payload.get("entry", []), list):
        raise ValueError("not a Messenger webhook body")
    if payload.get("object") != "page":
        # Other subscriptions on the same app; 200 so Meta does not retry them.
        logger.info("Facebook webhook: ignoring object %r", payload.get("object"))
        return []
    found = []
    for entry in payload.get("entry", []):
        events = entry.get("messaging") if isinstance(entry, dict) else None
        if not isinstance(events, list):
            raise ValueError("entry without a messaging list")
        found += [incoming for incoming in map(_parse_event, events) if incoming]
    return found


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _parse_event(event: Any) -> Incoming | None:
    event = _dict(event)
    sender_id = str(_dict(event.get("sender")).get("id") or "")
    message, postback = event.get("message"), event.get("postback")
    if isinstance(message, dict) and not message.get("is_echo"):
        text = _dict(message.get("quick_reply")).get("payload") or message.get("text")
        if text is None and not message.get("attachments"):
            text = ""  # neither text nor attachment: the inbound path asks again
        mid = message.get("mid")
    elif isinstance(postback, dict):
        text = postback.get("payload") or postback.get("title") or ""
        mid = postback.get("mid")
    else:
        return None
    if not inbound.valid_sender(sender_id):
        logger.info("Facebook webhook: event without a valid sender in %s", sorted(event))
        return None
    return Incoming(
        sender_id, text if isinstance(text, str) or text is None else "", mid and str(mid)
    )


class MessengerBot(OutputChannel):
    """Sends Rasa replies to Messenger through `GraphClient`, never blocking the loop."""

    @classmethod
    def name(cls) -> str:
        return "facebook"

    def __init__(self, client: GraphClient) -> None:
        super().__init__()
        self.client = client

    async def _send_all(self, recipient_id: str, messages: list[dict]) -> None:
        for message in messages:
            await self.client.send_message(recipient_id, message)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self._send_all(recipient_id, render(text))

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        await self._send_all(recipient_id, render(text, buttons))

    async def send_quick_replies(
        self, recipient_id: str, text: str, quick_replies: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        await self._send_all(recipient_id, render(text, quick_replies))

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        attachment = {"type": "image", "payload": {"url": image, "is_reusable": True}}
        await self.client.send_message(recipient_id, {"attachment": attachment})

    async def send_elements(
        self, recipient_id: str, elements: Iterable[dict[str, Any]], **kwargs: Any
    ) -> None:
        elements = [dict(element) for element in elements]
        for element in elements:
            for button in element.get("buttons", []):
                button.setdefault("type", "postback")
        payload = {"template_type": "generic", "elements": elements}
        await self.client.send_message(
            recipient_id, {"attachment": {"type": "template", "payload": payload}}
        )

    async def send_custom_json(
        self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any
    ) -> None:
        """Sends a `custom` response as the Send API `message` object, unchanged."""
        await self.client.send_message(recipient_id, json_message)


class FacebookInput(InputChannel):
    """Messenger webhook at /webhooks/facebook/webhook, configured from the environment.

    Answers 503 (and logs why) when a secret is missing, so the rest of the
    server still runs.
    """

    @classmethod
    def name(cls) -> str:
        return "facebook"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> FacebookInput:
        if credentials:
            logger.warning("Facebook: credentials.yml values are ignored; secrets come from env")
        return cls.from_settings(FacebookSettings.from_env())

    @classmethod
    def from_settings(cls, settings: FacebookSettings) -> FacebookInput:
        return cls(
            settings.verify_token,
            settings.app_secret,
            settings.page_token,
            graph_url=settings.graph_url,
            graph_version=settings.graph_version,
        )

    def __init__(
        self,
        fb_verify: str,
        fb_secret: str,
        fb_access_token: str,
        graph_url: str | None = None,
        graph_version: str | None = None,
    ) -> None:
        self.settings = FacebookSettings(
            fb_verify, fb_secret, fb_access_token, graph_url, graph_version
        )
        self.client = GraphClient(
            fb_access_token, fb_secret, self.settings.graph_url, self.settings.graph_version
        )
        self.recent = RecentIds()
        self.tasks = Tasks("Facebook")

    @property
    def configured(self) -> bool:
        return self.settings.configured

    def _unavailable(self) -> HTTPResponse:
        logger.error("Facebook webhook called but not configured: set %s", self.settings.missing())
        return response.text("facebook channel not configured", status=503)

    def verify(self, args: Mapping[str, Any]) -> HTTPResponse:
        """Answers Meta's GET handshake: echo hub.challenge if the token matches."""
        if not self.settings.configured:
            return self._unavailable()
        token = str(args.get("hub.verify_token") or "")
        if args.get("hub.mode") == "subscribe" and hmac.compare_digest(
            token.encode(), self.settings.verify_token.encode()
        ):
            return response.text(str(args.get("hub.challenge") or ""))
        logger.warning("Facebook webhook verification refused: wrong hub.verify_token or mode")
        return response.text("forbidden", status=403)

    def receive(
        self, body: bytes, headers: Mapping[str, str], on_new_message: inbound.OnNewMessage
    ) -> HTTPResponse:
        """Checks and acknowledges one webhook POST; answers in background tasks.

        Meta times out after 20 s and redelivers, so Rasa's work must not hold
        the response; redeliveries are then dropped by message id.
        """
        if not self.settings.configured:
            return self._unavailable()
        signature = headers.get("X-Hub-Signature-256")
        if not valid_signature(self.settings.app_secret, body, signature):
            logger.warning("Facebook webhook: missing or invalid X-Hub-Signature-256, refused")
            return response.text("invalid signature", status=403)
        try:
            messages = parse_events(json.loads(body))
        except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError included
            logger.warning("Facebook webhook: malformed body (%s)", exc)
            return response.text("malformed body", status=400)
        for message in messages:
            if message.mid and not self.recent.first_time(message.mid):
                logger.info("Facebook webhook: duplicate delivery of %s dropped", message.mid)
                continue
            self.tasks.spawn(
                self._answer(message, on_new_message),
                f"{message.mid} from {message.sender_id}",
                key=message.sender_id,
            )
        return response.text("success")

    async def _answer(self, message: Incoming, on_new_message: inbound.OnNewMessage) -> None:
        await self.client.send_action(message.sender_id, "typing_on")
        output = MessengerBot(self.client)
        if message.text is None:
            await inbound.handle_non_text(output, message.sender_id)
            return
        await inbound.handle(
            on_new_message, output, self.name(), message.sender_id, message.text,
            message_id=message.mid,
        )  # fmt: skip

    def blueprint(self, on_new_message: inbound.OnNewMessage) -> Blueprint:
        webhook = Blueprint("facebook_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            status = "ok" if self.settings.configured else "not configured"
            return response.json({"status": status})

        @webhook.route("/webhook", methods=["GET"])
        async def token_verification(request: Request) -> HTTPResponse:
            return self.verify(request.args)

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            return self.receive(request.body, request.headers, on_new_message)

        @webhook.listener("before_server_stop")
        async def finish_tasks(app: Any, loop: Any) -> None:
            await self.tasks.drain()

        @webhook.listener("after_server_stop")
        async def close_client(app: Any, loop: Any) -> None:
            await self.client.close()

        return webhook

    def get_output_channel(self) -> OutputChannel | None:
        return MessengerBot(self.client) if self.settings.configured else None
