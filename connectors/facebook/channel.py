"""The Messenger channel: signed webhooks in, Send API replies out.

Fixes two problems of Rasa 3.6's built-in channel (rasa.core.channels.facebook):
it only checks the old SHA-1 `X-Hub-Signature` header and answers 200 to a
forged request (here `X-Hub-Signature-256` is required and checked in
constant time, 403 otherwise), and it sends through fbmessenger's
synchronous `requests` calls, blocking the event loop (here aiohttp).
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Iterable, Mapping
from typing import Any

from rasa.core.channels.channel import InputChannel, OutputChannel
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from sqlalchemy.exc import SQLAlchemyError

from connectors import inbound, webhook_queue
from connectors.facebook.client import GraphClient
from connectors.facebook.events import MAX_AGE_SECONDS, Incoming, parse_events, valid_signature
from connectors.facebook.render import render
from connectors.facebook.settings import FacebookSettings

logger = logging.getLogger(__name__)


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
        self.worker: webhook_queue.Worker | None = None  # started with the server

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

    def receive(self, body: bytes, headers: Mapping[str, str]) -> HTTPResponse:
        """Checks one webhook POST and stores its events; answers at once.

        Meta times out after 20 s and redelivers; a redelivered or replayed
        event is dropped by its id (connectors/webhook_queue/).
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
        fresh = []
        for message in messages:
            if message.fresh():
                fresh.append(message)
            else:
                # Skipped with a 200: a 4xx would make Meta send it again.
                hours = MAX_AGE_SECONDS // 3600
                logger.warning("Facebook event %s refused: signed timestamp %s outside the %d h "
                               "window", message.key, message.timestamp, hours)  # fmt: skip
        if fresh and self.worker is None:
            logger.warning("Facebook webhook called before the queue started: 503, Meta retries")
            return response.text("starting", status=503)
        try:
            for message in fresh:
                self.worker.accept(message.key, message.sender_id, self.payload(message))
        except SQLAlchemyError as error:
            # Not all stored, so not acknowledged: Meta sends the batch again
            # and the events already stored are dropped as duplicates then.
            logger.error("Facebook events NOT STORED (%s): 503, Meta retries", error)
            return response.text("storage unavailable", status=503)
        return response.text("success")

    @staticmethod
    def payload(message: Incoming) -> dict[str, Any]:
        if message.text is None:
            return webhook_queue.NON_TEXT
        return webhook_queue.text_payload(message.text, message.mid)

    def start_worker(
        self, agent: Any, on_new_message: inbound.OnNewMessage, queue: Any = None
    ) -> webhook_queue.Worker:
        """The queue's worker answering this channel's stored events, started."""

        def typing(row: Any) -> Any:
            return self.client.send_action(row.sender, "typing_on")

        def output() -> MessengerBot:
            return MessengerBot(self.client)

        if queue is None:
            return webhook_queue.start(agent, self.name(), on_new_message, output, typing)
        return webhook_queue.Worker(
            queue, self.name(), on_new_message, output, agent, typing
        ).start()

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
            return self.receive(request.body, request.headers)

        @webhook.listener("after_server_start")
        async def start_worker(app: Any, loop: Any) -> None:
            # The agent (and its tracker store) is loaded before_server_start.
            if self.settings.configured:
                self.worker = self.start_worker(app.ctx.agent, on_new_message)

        @webhook.listener("before_server_stop")
        async def finish_tasks(app: Any, loop: Any) -> None:
            if self.worker:
                await self.worker.stop()

        @webhook.listener("after_server_stop")
        async def close_client(app: Any, loop: Any) -> None:
            await self.client.close()

        return webhook

    def get_output_channel(self) -> OutputChannel | None:
        return MessengerBot(self.client) if self.settings.configured else None
