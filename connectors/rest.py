"""REST channel: validated input, outages reported as HTTP errors.

Rasa's own RestInput answers 500 on a body that is not JSON and 200 with no
messages when the tracker store is down. This one answers 400 on malformed
requests and 503 (with the apology) when conversations cannot be stored; the
text itself goes through the shared inbound path (connectors/inbound.py).
"""

from __future__ import annotations

import json
import logging

from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.channels.rest import RestInput as RasaRestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

import addons
from connectors import inbound

logger = logging.getLogger(__name__)


def bad_request(reason: str) -> HTTPResponse:
    return response.json({"error": reason}, status=400)


class RestInput(RasaRestInput):
    """POST /webhooks/rest/webhook {"sender": str, "message": str}."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: inbound.OnNewMessage) -> Blueprint:
        webhook = Blueprint("vssid_rest", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            # The add-ons each report whether they are switched on (addons/__init__.py).
            return response.json({"status": "ok", "patches": addons.active()})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                body = json.loads(request.body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                return bad_request("body must be JSON in UTF-8")
            if not isinstance(body, dict):
                return bad_request("body must be a JSON object")
            sender, text = body.get("sender"), body.get("message")
            if not inbound.valid_sender(sender):
                return bad_request(
                    f"'sender' must be a string of 1 to {inbound.MAX_SENDER_CHARS} characters"
                )
            if not isinstance(text, str):
                return bad_request("'message' must be a string")

            collector = CollectingOutputChannel()
            outcome = await inbound.handle(on_new_message, collector, self.name(), sender, text)
            if outcome.kind == "outage":
                body = {"error": "conversation store unavailable", "text": outcome.reply}
                return response.json(body, status=503)
            return response.json(collector.messages)

        return webhook
