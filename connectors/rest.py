"""REST channel that validates its input and reports outages as HTTP errors.

Rasa's own RestInput answers 500 on a body that is not JSON, runs the model on
any text (100,000 characters included), and answers 200 with no messages when
the tracker store is down. This one answers 400 on malformed requests, a
polite reply to empty or overlong text, and 503 when conversations cannot be
stored.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput as RasaRestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from connectors import guard

logger = logging.getLogger(__name__)


def bad_request(reason: str) -> HTTPResponse:
    return response.json({"error": reason}, status=400)


class RestInput(RasaRestInput):
    """POST /webhooks/rest/webhook {"sender": str, "message": str}."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[None]]) -> Blueprint:
        webhook = Blueprint("vssid_rest", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                body = json.loads(request.body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                return bad_request("body must be JSON in UTF-8")
            if not isinstance(body, dict):
                return bad_request("body must be a JSON object")
            sender, text = body.get("sender"), body.get("message")
            if not guard.valid_sender(sender):
                return bad_request(
                    f"'sender' must be a string of 1 to {guard.MAX_SENDER_CHARS} characters"
                )
            if not isinstance(text, str):
                return bad_request("'message' must be a string")
            metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else None

            text = guard.clean_text(text)
            reply = guard.precheck(text)
            if reply:
                return response.json([{"recipient_id": sender, "text": reply}])

            collector = CollectingOutputChannel()
            message = UserMessage(
                text, collector, sender, input_channel=self.name(), metadata=metadata
            )
            try:
                await on_new_message(message)
            except guard.OUTAGES as error:
                return response.json(
                    {"error": "conversation store unavailable",
                     "text": guard.outage_reply(error)},
                    status=503,
                )  # fmt: skip
            return response.json(collector.messages)

        return webhook
