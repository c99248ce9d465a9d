"""REST channel: for this machine or a token holder; validated input; outages
reported as HTTP errors.

Rasa's own RestInput takes any caller, answers 500 on a body that is not JSON
and 200 with no messages when the tracker store is down. This one:
- serves only loopback callers (not proxied ones) unless REST_TOKEN is set, in
  which case every caller needs `Authorization: Bearer $REST_TOKEN`: the
  `sender` it names is a conversation of the REST channel only, but anyone who
  can reach it could still guess another REST user's id;
- answers 400 on malformed requests, 503 (with the apology) when
  conversations cannot be stored and 500 (with the apology) when a turn fails;
- sends the text through the shared inbound path (connectors/inbound.py).
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import os

from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.channels.rest import RestInput as RasaRestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

import addons
from connectors import inbound

logger = logging.getLogger(__name__)


# A proxy on this machine (nginx in the scale-out profile) makes every caller
# look local; these headers show that the request came from elsewhere.
PROXY_HEADERS = ("x-forwarded-for", "x-real-ip", "forwarded")


def bad_request(reason: str) -> HTTPResponse:
    return response.json({"error": reason}, status=400)


def bearer_matches(header: str | None, token: str) -> bool:
    """`Authorization: Bearer <token>`, compared in constant time; any other
    header (no prefix, non-ASCII bytes) simply does not match."""
    if not token or not header or not header.startswith("Bearer "):
        return False
    given = header[len("Bearer ") :].strip().encode("utf-8", "surrogateescape")
    return hmac.compare_digest(given, token.encode())


def local_caller(request: Request) -> bool:
    if any(name in request.headers for name in PROXY_HEADERS):
        return False
    try:
        return ipaddress.ip_address(request.ip).is_loopback
    except ValueError:
        return False


def refusal(request: Request, token: str) -> HTTPResponse | None:
    """401/403 unless the caller may use the REST channel (see module doc)."""
    if token:
        if bearer_matches(request.headers.get("authorization"), token):
            return None
        return response.json({"error": "Authorization: Bearer <REST_TOKEN> required"}, 401)
    if local_caller(request):
        return None
    logger.warning("REST call from %s refused: set REST_TOKEN to serve other hosts", request.ip)
    return response.json({"error": "REST is served to this machine only"}, status=403)


class RestInput(RasaRestInput):
    """POST /webhooks/rest/webhook {"sender": str, "message": str}."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: inbound.OnNewMessage) -> Blueprint:
        webhook = Blueprint("vssid_rest", __name__)
        token = os.environ.get("REST_TOKEN", "")

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            # The add-ons each report whether they are switched on (addons/__init__.py).
            return response.json({"status": "ok", "patches": addons.active()})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            refused = refusal(request, token)
            if refused:
                return refused
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
            if outcome.kind == "failed":
                return response.json({"error": "turn failed", "text": outcome.reply}, 500)
            return response.json(collector.messages)

        return webhook
