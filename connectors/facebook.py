"""Facebook Messenger channel, configured from the environment.

Fixes three problems of Rasa 3.6's built-in channel (rasa.core.channels.facebook):
- it only checks the old SHA-1 `X-Hub-Signature` header and answers 200 to a
  forged request; here `X-Hub-Signature-256` is required and checked in
  constant time, and a bad signature gets 403;
- it sends through fbmessenger's synchronous `requests` calls, blocking the
  event loop; here an aiohttp client posts to the Send API, retrying 5xx and
  network errors;
- it raises on titles over 20 characters and drops more than 3 buttons; here
  replies are rendered within Messenger's limits (`render`).

Webhook: /webhooks/facebook/webhook. Environment: FB_VERIFY_TOKEN,
FB_APP_SECRET, FB_PAGE_ACCESS_TOKEN, FB_GRAPH_URL (default
https://graph.facebook.com), FB_GRAPH_VERSION (default below).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import os
import unicodedata
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
from rasa.core.channels import facebook
from rasa.core.channels.channel import OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

logger = logging.getLogger(__name__)

DEFAULT_GRAPH_URL = "https://graph.facebook.com"
DEFAULT_GRAPH_VERSION = "21.0"
ENV_VARS = ("FB_VERIFY_TOKEN", "FB_APP_SECRET", "FB_PAGE_ACCESS_TOKEN")

# Messenger Platform limits (Send API reference).
MAX_TITLE = 20  # button and quick-reply titles
MAX_BUTTONS = 3  # buttons in a button template
MAX_QUICK_REPLIES = 10  # Meta allows 13; 10 keeps the row short on a phone
MAX_TEMPLATE_TEXT = 640  # text of a button template
MAX_TEXT = 2000  # text of a plain message
MAX_PAYLOAD = 1000  # postback and quick-reply payloads
ELLIPSIS = "…"
# Messenger refuses buttons without text; Rasa allows a response of buttons only.
DEFAULT_BUTTONS_TEXT = "Mời bạn chọn:"


# --- rendering: pure functions -------------------------------------------------


def truncate(text: str, limit: int = MAX_TITLE) -> str:
    """Shortens `text` to `limit` characters, ending with "…" when cut."""
    text = " ".join(unicodedata.normalize("NFC", text).split())
    if len(text) <= limit:
        return text
    cut = limit - 1
    # Never separate a base letter from a combining mark left over after NFC.
    while cut > 0 and unicodedata.combining(text[cut]):
        cut -= 1
    return text[:cut].rstrip() + ELLIPSIS


def _split_line(line: str, limit: int) -> list[str]:
    """Splits one over-long line at spaces, or hard when a word is too long."""
    pieces = []
    while len(line) > limit:
        cut = line.rfind(" ", 0, limit + 1)
        if cut <= 0:
            cut = limit
        pieces.append(line[:cut].rstrip())
        line = line[cut:].lstrip()
    return pieces + [line]


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Splits `text` into chunks of at most `limit` characters at line boundaries."""
    chunks: list[str] = []
    current = ""
    for line in text.strip().splitlines():
        for piece in _split_line(line.rstrip(), limit):
            candidate = f"{current}\n{piece}" if current else piece
            if len(candidate) <= limit:
                current = candidate
            else:
                chunks.append(current)
                current = piece
    chunks.append(current)
    return [chunk.strip() for chunk in chunks if chunk.strip()]


def _title_and_payload(button: Mapping[str, Any]) -> tuple[str, str]:
    title = str(button.get("title") or button.get("payload") or "")
    payload = str(button.get("payload") or title)
    if len(payload) > MAX_PAYLOAD:
        # A cut payload would be garbage to NLU; the title still parses.
        logger.warning("Facebook payload over %d chars, sending the title", MAX_PAYLOAD)
        payload = title[:MAX_PAYLOAD]
    return truncate(title), payload


def render(text: str | None, buttons: Iterable[Mapping[str, Any]] | None = None) -> list[dict]:
    """Turns a Rasa reply into Send API `message` objects within Messenger's limits.

    Without buttons: plain text, split at line boundaries. Up to 3 buttons and
    text of at most 640 characters: a button template with postbacks. Otherwise
    quick replies (at most 10) on the last text chunk; options beyond 10 are
    appended to the text as a numbered list the user can type.
    """
    text = unicodedata.normalize("NFC", (text or "").strip())
    buttons = list(buttons or [])
    if not buttons:
        return [{"text": chunk} for chunk in split_text(text)]

    text = text or DEFAULT_BUTTONS_TEXT
    options = [_title_and_payload(button) for button in buttons]
    if len(options) <= MAX_BUTTONS and len(text) <= MAX_TEMPLATE_TEXT:
        template_buttons = [
            {"type": "postback", "title": title, "payload": payload} for title, payload in options
        ]
        payload = {"template_type": "button", "text": text, "buttons": template_buttons}
        return [{"attachment": {"type": "template", "payload": payload}}]

    shown, overflow = options[:MAX_QUICK_REPLIES], buttons[MAX_QUICK_REPLIES:]
    if overflow:
        lines = [
            f"{number}. {button.get('title') or button.get('payload')}"
            for number, button in enumerate(overflow, start=MAX_QUICK_REPLIES + 1)
        ]
        text += "\n" + "\n".join(lines)
    *before, last = split_text(text)
    quick_replies = [
        {"content_type": "text", "title": title, "payload": payload} for title, payload in shown
    ]
    return [{"text": chunk} for chunk in before] + [{"text": last, "quick_replies": quick_replies}]


# --- incoming webhooks: pure functions -----------------------------------------


def valid_signature(app_secret: str, body: bytes, header: str | None) -> bool:
    """True if `header` is `sha256=<HMAC-SHA256 hex of body keyed with app_secret>`."""
    if not app_secret or not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    given = header[len("sha256=") :].strip().encode("utf-8", "replace")
    return hmac.compare_digest(expected.encode(), given)


@dataclass(frozen=True)
class Incoming:
    """One user message or postback, reduced to what Rasa needs."""

    sender_id: str
    text: str
    mid: str | None


def parse_events(payload: Any) -> list[Incoming]:
    """Extracts user messages and postbacks; raises ValueError if not a webhook body.

    Echoes, deliveries, reads, reactions and attachments carry nothing to
    answer and are skipped. Quick replies and postbacks yield their payload,
    so '/inform{"os":"ios"}' reaches Rasa as an intent with its entity.
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
        for event in events:
            incoming = _parse_event(event)
            if incoming:
                found.append(incoming)
    return found


def _dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _parse_event(event: Any) -> Incoming | None:
    event = _dict(event)
    sender_id = str(_dict(event.get("sender")).get("id") or "")
    message, postback = event.get("message"), event.get("postback")
    if isinstance(message, dict) and not message.get("is_echo"):
        text = _dict(message.get("quick_reply")).get("payload") or message.get("text")
        mid = message.get("mid")
    elif isinstance(postback, dict):
        text = postback.get("payload") or postback.get("title")
        mid = postback.get("mid")
    else:
        return None
    if not sender_id or not isinstance(text, str) or not text.strip():
        logger.info("Facebook webhook: nothing to answer in %s", sorted(event))
        return None
    return Incoming(sender_id, text, str(mid) if mid else None)


class RecentIds:
    """Remembers the last `size` message ids so redelivered events run once."""

    def __init__(self, size: int = 10_000) -> None:
        self.size = size
        self._ids: OrderedDict[str, None] = OrderedDict()

    def seen(self, mid: str) -> bool:
        """Records `mid`; True if it was already recorded."""
        if mid in self._ids:
            self._ids.move_to_end(mid)
            return True
        self._ids[mid] = None
        if len(self._ids) > self.size:
            self._ids.popitem(last=False)
        return False


# --- outgoing: Send API over aiohttp ----------------------------------------------


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
        self.attempts, self.backoff = attempts, backoff
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self._session and not self._session.closed:
            await self._session.close()
        self._session = None

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self.timeout)
        return self._session

    async def send_message(self, recipient_id: str, message: dict) -> bool:
        body = {"recipient": {"id": recipient_id}, "messaging_type": "RESPONSE", "message": message}
        return await self.post(body)

    async def send_action(self, recipient_id: str, action: str) -> bool:
        # A lost typing indicator is harmless: one attempt, no retries.
        body = {"recipient": {"id": recipient_id}, "sender_action": action}
        return await self.post(body, attempts=1)

    async def post(self, body: dict, attempts: int | None = None) -> bool:
        """Posts `body`; returns False (after logging an error) if it never got through."""
        attempts = attempts or self.attempts
        recipient = body["recipient"]["id"]
        error = ""
        for attempt in range(1, attempts + 1):
            try:
                session = self._get_session()
                async with session.post(self.url, params=self.params, json=body) as reply:
                    if reply.status < 300:
                        return True
                    error = f"HTTP {reply.status}: {(await reply.text())[:500]}"
                    if reply.status < 500:
                        # 4xx (bad token, bad payload, user blocked the page): retrying won't help.
                        break
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                error = repr(exc)
            if attempt < attempts:
                logger.warning("Facebook Send API attempt %d failed: %s; retrying", attempt, error)
                await asyncio.sleep(self.backoff * 2 ** (attempt - 1))
        what = "message" if "message" in body else body.get("sender_action")
        logger.error(
            "Facebook Send API: %s to %s NOT delivered after %d attempt(s): %s",
            what,
            recipient,
            attempt,
            error,
        )
        return False


class MessengerBot(OutputChannel):
    """Sends Rasa replies to Messenger through `GraphClient`, never blocking the loop.

    Subclasses OutputChannel rather than Rasa's MessengerBot: every send method
    of that class goes through fbmessenger's synchronous client.
    """

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


# --- the input channel -------------------------------------------------------------


class FacebookInput(facebook.FacebookInput):
    """Messenger webhook at /webhooks/facebook/webhook, configured from the environment.

    Answers 503 (and logs why) when FB_VERIFY_TOKEN, FB_APP_SECRET or
    FB_PAGE_ACCESS_TOKEN is missing, so the rest of the server still runs.
    """

    @classmethod
    def name(cls) -> str:
        return "facebook"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> FacebookInput:
        if credentials:
            logger.warning("Facebook: credentials.yml values are ignored; secrets come from env")
        env = os.environ
        missing = [name for name in ENV_VARS if not env.get(name)]
        if missing:
            logger.error("Facebook channel disabled (webhook answers 503): %s not set", missing)
        return cls(
            env.get("FB_VERIFY_TOKEN", ""),
            env.get("FB_APP_SECRET", ""),
            env.get("FB_PAGE_ACCESS_TOKEN", ""),
            graph_url=env.get("FB_GRAPH_URL") or DEFAULT_GRAPH_URL,
            graph_version=env.get("FB_GRAPH_VERSION") or DEFAULT_GRAPH_VERSION,
        )

    def __init__(
        self,
        fb_verify: str,
        fb_secret: str,
        fb_access_token: str,
        graph_url: str = DEFAULT_GRAPH_URL,
        graph_version: str = DEFAULT_GRAPH_VERSION,
    ) -> None:
        super().__init__(fb_verify, fb_secret, fb_access_token)
        self.client = GraphClient(fb_access_token, fb_secret, graph_url, graph_version)
        self.recent = RecentIds()
        self._senders: dict[str, list] = {}  # sender id -> [lock, tasks using it]
        self._tasks: set[asyncio.Task] = set()

    @property
    def configured(self) -> bool:
        return bool(self.fb_verify and self.fb_secret and self.fb_access_token)

    def _unavailable(self) -> HTTPResponse:
        logger.error(
            "Facebook webhook called but the channel is not configured: set %s",
            ", ".join(ENV_VARS),
        )
        return response.text("facebook channel not configured", status=503)

    def verify(self, args: Mapping[str, Any]) -> HTTPResponse:
        """Answers Meta's GET handshake: echo hub.challenge if the token matches."""
        if not self.configured:
            return self._unavailable()
        token = str(args.get("hub.verify_token") or "")
        if args.get("hub.mode") == "subscribe" and hmac.compare_digest(
            token.encode(), self.fb_verify.encode()
        ):
            return response.text(str(args.get("hub.challenge") or ""))
        logger.warning("Facebook webhook verification refused: wrong hub.verify_token or mode")
        return response.text("forbidden", status=403)

    def receive(
        self,
        body: bytes,
        headers: Mapping[str, str],
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
    ) -> HTTPResponse:
        """Checks and acknowledges one webhook POST; answers in background tasks.

        Meta times out after 20 s and redelivers, so Rasa's work must not hold
        the response; redeliveries are then dropped by message id.
        """
        if not self.configured:
            return self._unavailable()
        if not valid_signature(self.fb_secret, body, headers.get("X-Hub-Signature-256")):
            logger.warning("Facebook webhook: missing or invalid X-Hub-Signature-256, refused")
            return response.text("invalid signature", status=403)
        try:
            messages = parse_events(json.loads(body))
        except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError included
            logger.warning("Facebook webhook: malformed body (%s)", exc)
            return response.text("malformed body", status=400)
        for message in messages:
            if message.mid and self.recent.seen(message.mid):
                logger.info("Facebook webhook: duplicate delivery of %s dropped", message.mid)
                continue
            task = asyncio.get_running_loop().create_task(self._answer(message, on_new_message))
            self._tasks.add(task)  # the loop keeps only weak references to tasks
            task.add_done_callback(self._tasks.discard)
        return response.text("success")

    async def _answer(
        self, message: Incoming, on_new_message: Callable[[UserMessage], Awaitable[Any]]
    ) -> None:
        # Tasks start in arrival order and the lock is FIFO, so one user's
        # messages are answered in the order they were sent.
        entry = self._senders.setdefault(message.sender_id, [asyncio.Lock(), 0])
        entry[1] += 1
        try:
            async with entry[0]:
                await self.client.send_action(message.sender_id, "typing_on")
                user_message = UserMessage(
                    message.text,
                    MessengerBot(self.client),
                    message.sender_id,
                    input_channel=self.name(),
                    message_id=message.mid,
                )
                await on_new_message(user_message)
        except Exception:
            logger.exception(
                "Facebook: failed to answer %s from %s", message.mid, message.sender_id
            )
        finally:
            entry[1] -= 1
            if entry[1] == 0:
                del self._senders[message.sender_id]

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("facebook_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(request: Request) -> HTTPResponse:
            return response.json({"status": "ok" if self.configured else "not configured"})

        @webhook.route("/webhook", methods=["GET"])
        async def token_verification(request: Request) -> HTTPResponse:
            return self.verify(request.args)

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            return self.receive(request.body, request.headers, on_new_message)

        @webhook.listener("after_server_stop")
        async def close_client(app: Any, loop: Any) -> None:
            await self.client.close()

        return webhook

    def get_output_channel(self) -> OutputChannel | None:
        return MessengerBot(self.client) if self.configured else None
