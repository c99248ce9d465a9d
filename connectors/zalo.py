"""Zalo Official Account channel for Rasa (OA API v3).

Zalo posts signed webhook events and retries any delivery not answered with
HTTP 200 within about 2 s, so the webhook checks the signature, acknowledges at
once and runs the bot in a background task. Replies go out through the OA
consultation-message API (`/v3.0/oa/message/cs`).

Configuration comes from the environment only, never from credentials.yml:
ZALO_APP_ID, ZALO_APP_SECRET, ZALO_OA_SECRET_KEY, ZALO_ACCESS_TOKEN,
ZALO_REFRESH_TOKEN, and optionally ZALO_API_URL, ZALO_OAUTH_URL and
ZALO_TOKEN_FILE. Without them the server still starts and the webhook answers
503.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import os
import re
import tempfile
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from connectors import guard

logger = logging.getLogger(__name__)

DEFAULT_API_URL = "https://openapi.zalo.me"
DEFAULT_OAUTH_URL = "https://oauth.zaloapp.com"
# Git-ignored (secrets/ and zalo_tokens*.json are in .gitignore).
DEFAULT_TOKEN_FILE = Path(__file__).resolve().parent.parent / "secrets" / "zalo_tokens.json"

MAX_TEXT = 2000  # Zalo rejects longer text messages.
MAX_BUTTONS = 5  # Zalo templates take at most 5 buttons.
TOKEN_EXPIRED = -216
# Waits before the 2nd, 3rd and 4th attempt of a request that failed transiently.
RETRY_DELAYS = (0.2, 0.5, 1.0)
DUPLICATE_TTL = 3 * 3600  # Zalo retries a delivery for up to about 2 hours.

TEXT_ONLY_REPLY = (
    "Xin lỗi, tôi chỉ đọc được tin nhắn chữ. "
    "Bạn vui lòng gõ câu hỏi về VssID bằng chữ giúp tôi nhé."
)
PICK_BY_NUMBER = "Bạn nhắn số thứ tự để chọn:"

REQUIRED_ENV = ("ZALO_APP_ID", "ZALO_APP_SECRET", "ZALO_OA_SECRET_KEY")
_DIGIT_REPLY = re.compile(r"\s*(\d{1,2})\s*[.)]?\s*")


class ZaloConfigError(ValueError):
    """Required Zalo settings are missing from the environment."""


class ZaloApiError(Exception):
    """Zalo refused a request, or it kept failing after the retries."""


class _TransientError(Exception):
    """An HTTP status worth retrying (5xx, 429)."""


# --- configuration and token storage ---------------------------------------


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str


@dataclass(frozen=True)
class ZaloConfig:
    app_id: str
    app_secret: str
    oa_secret_key: str
    tokens: Tokens
    api_url: str = DEFAULT_API_URL
    oauth_url: str = DEFAULT_OAUTH_URL
    token_file: Path = DEFAULT_TOKEN_FILE

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> ZaloConfig:
        """Reads the settings; tokens stored by an earlier refresh win over the env.

        Raises ZaloConfigError naming every missing variable.
        """

        def get(name: str) -> str:
            return (env.get(name) or "").strip()

        token_file = Path(get("ZALO_TOKEN_FILE") or DEFAULT_TOKEN_FILE)
        # The env pair goes stale after the first refresh (a refresh token works once).
        tokens = load_tokens(token_file) or Tokens(
            get("ZALO_ACCESS_TOKEN"), get("ZALO_REFRESH_TOKEN")
        )
        missing = [name for name in REQUIRED_ENV if not get(name)]
        missing += [
            name
            for name, value in (
                ("ZALO_ACCESS_TOKEN", tokens.access_token),
                ("ZALO_REFRESH_TOKEN", tokens.refresh_token),
            )
            if not value
        ]
        if missing:
            raise ZaloConfigError(", ".join(missing))
        return cls(
            app_id=get("ZALO_APP_ID"),
            app_secret=get("ZALO_APP_SECRET"),
            oa_secret_key=get("ZALO_OA_SECRET_KEY"),
            tokens=tokens,
            api_url=(get("ZALO_API_URL") or DEFAULT_API_URL).rstrip("/"),
            oauth_url=(get("ZALO_OAUTH_URL") or DEFAULT_OAUTH_URL).rstrip("/"),
            token_file=token_file,
        )


def load_tokens(path: Path) -> Tokens | None:
    """The token pair stored in `path`, or None if there is no usable file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        logger.warning("Zalo token file %s unreadable (%s); using the env tokens", path, error)
        return None
    if isinstance(data, dict) and data.get("access_token") and data.get("refresh_token"):
        return Tokens(str(data["access_token"]), str(data["refresh_token"]))
    logger.warning("Zalo token file %s has no token pair; using the env tokens", path)
    return None


def save_tokens(path: Path, tokens: Tokens, expires_in: Any = None) -> None:
    """Writes the pair atomically with mode 600, so a crash never leaves half a file.

    Blocking: call it through asyncio.to_thread from the event loop.
    """
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    data = {
        "access_token": tokens.access_token,
        "refresh_token": tokens.refresh_token,
        "expires_in": expires_in,
        "updated_at": int(time.time()),
    }
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# --- pure helpers ------------------------------------------------------------


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


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Cuts text into messages of at most `limit` characters, between lines.

    Guides put one step per line, so steps stay whole; only a single line
    longer than `limit` is cut, at a space when there is one.
    """
    lines: list[str] = []
    for line in text.strip().split("\n"):
        while len(line) > limit:
            cut = line.rfind(" ", 0, limit + 1)
            cut = cut if cut > 0 else limit
            lines.append(line[:cut].rstrip())
            line = line[cut:].lstrip()
        lines.append(line)
    chunks: list[str] = []
    current: str | None = None
    for line in lines:
        if current is None:
            current = line
        elif len(current) + 1 + len(line) <= limit:
            current += "\n" + line
        else:
            chunks.append(current)
            current = line
    if current is not None:
        chunks.append(current)
    return [chunk.strip("\n") for chunk in chunks if chunk.strip()]


def zalo_button(button: Mapping[str, Any]) -> dict[str, Any]:
    """One Rasa button as a Zalo template button."""
    title = str(button.get("title") or button.get("payload") or "")
    if button.get("url"):
        return {"title": title, "type": "oa.open.url", "payload": {"url": button["url"]}}
    # oa.query.show sends the payload back as the user's text: Rasa parses
    # "/intent{...}" payloads directly.
    return {"title": title, "type": "oa.query.show", "payload": str(button.get("payload") or title)}


def render_reply(
    text: str, buttons: list[Mapping[str, Any]]
) -> tuple[list[dict[str, Any]], list[str] | None]:
    """The Zalo message objects for one Rasa reply, and what a digit reply selects.

    Up to MAX_BUTTONS buttons become a template on the last message. More
    buttons become a numbered list after the text; the second value then lists
    the payloads a bare "1", "2"… selects (None otherwise).
    """
    if not buttons:
        return [{"text": chunk} for chunk in split_text(text)], None
    if len(buttons) <= MAX_BUTTONS:
        messages: list[dict[str, Any]] = [{"text": c} for c in split_text(text or "…")]
        messages[-1]["attachment"] = {
            "type": "template",
            "payload": {"buttons": [zalo_button(b) for b in buttons]},
        }
        return messages, None
    lines = [text.rstrip(), "", PICK_BY_NUMBER] if text.strip() else [PICK_BY_NUMBER]
    choices = []
    for number, button in enumerate(buttons, 1):
        zb = zalo_button(button)
        url = f": {button['url']}" if button.get("url") else ""
        lines.append(f"{number}. {zb['title']}{url}")
        choices.append(button.get("url") or zb["payload"])
    return [{"text": chunk} for chunk in split_text("\n".join(lines))], choices


class RecentIds:
    """A bounded set of recently seen ids (LRU, with a time to live)."""

    def __init__(self, max_size: int = 10_000, ttl: float = DUPLICATE_TTL, clock=time.monotonic):
        self.max_size, self.ttl, self.clock = max_size, ttl, clock
        self._seen: OrderedDict[str, float] = OrderedDict()

    def add(self, key: str) -> bool:
        """Records `key`; False if it was already seen within the TTL."""
        now = self.clock()
        while self._seen and next(iter(self._seen.values())) < now - self.ttl:
            self._seen.popitem(last=False)
        if key in self._seen:
            return False
        self._seen[key] = now
        if len(self._seen) > self.max_size:
            self._seen.popitem(last=False)
        return True


class ButtonChoices:
    """Per user, the payloads of the last numbered button list (bounded LRU).

    Zalo has no quick replies beyond 5 template buttons, so longer menus are
    numbered and a bare digit stands for the button.
    """

    def __init__(self, max_users: int = 10_000):
        self.max_users = max_users
        self._choices: OrderedDict[str, list[str]] = OrderedDict()

    def remember(self, user_id: str, payloads: list[str] | None) -> None:
        self._choices.pop(user_id, None)
        if payloads:
            self._choices[user_id] = payloads
            if len(self._choices) > self.max_users:
                self._choices.popitem(last=False)

    def resolve(self, user_id: str, text: str) -> str:
        """The payload a digit reply stands for, else the text unchanged."""
        match = _DIGIT_REPLY.fullmatch(text)
        payloads = self._choices.get(user_id)
        if match and payloads and 1 <= int(match.group(1)) <= len(payloads):
            return payloads[int(match.group(1)) - 1]
        return text


# --- Zalo API client ---------------------------------------------------------


class ZaloClient:
    """Sends OA messages, refreshing the access token on error -216.

    Connection errors, HTTP 5xx and 429 are retried after RETRY_DELAYS.
    """

    def __init__(self, config: ZaloConfig, retry_delays: tuple[float, ...] = RETRY_DELAYS):
        self.config = config
        self.tokens = config.tokens
        self.retry_delays = retry_delays
        # Created lazily: both must belong to the server's running loop.
        self._session: aiohttp.ClientSession | None = None
        self._refresh_lock: asyncio.Lock | None = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15))
        return self._session

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def send(self, user_id: str, message: dict[str, Any]) -> dict[str, Any]:
        """Sends one message object to a user; raises ZaloApiError if it is not delivered."""
        url = f"{self.config.api_url}/v3.0/oa/message/cs"
        body = {"recipient": {"user_id": user_id}, "message": message}
        token = self.tokens.access_token
        result = await self._post(url, json=body, headers={"access_token": token})
        if result.get("error") == TOKEN_EXPIRED:
            logger.info("Zalo access token expired (-216); refreshing it")
            await self.refresh(token)
            headers = {"access_token": self.tokens.access_token}
            result = await self._post(url, json=body, headers=headers)
        if result.get("error") != 0:
            raise ZaloApiError(f"message/cs error {result.get('error')}: {result.get('message')}")
        return result

    async def refresh(self, stale_token: str) -> None:
        """Trades the refresh token for a new pair and stores it.

        A refresh token works once, so concurrent sends that all saw -216
        queue on the lock and only the first one refreshes.
        """
        if self._refresh_lock is None:
            self._refresh_lock = asyncio.Lock()
        async with self._refresh_lock:
            if self.tokens.access_token != stale_token:
                return
            result = await self._post(
                f"{self.config.oauth_url}/v4/oa/access_token",
                data={
                    "refresh_token": self.tokens.refresh_token,
                    "app_id": self.config.app_id,
                    "grant_type": "refresh_token",
                },
                headers={"secret_key": self.config.app_secret},
            )
            access, refresh = result.get("access_token"), result.get("refresh_token")
            if not access or not refresh:
                raise ZaloApiError(
                    f"token refresh failed: {result.get('error')} {result.get('error_name', '')} "
                    f"{result.get('error_description') or result.get('message', '')}".strip()
                )
            self.tokens = Tokens(str(access), str(refresh))
            logger.info("Zalo access token refreshed")
            try:
                await asyncio.to_thread(
                    save_tokens, self.config.token_file, self.tokens, result.get("expires_in")
                )
            except OSError:
                # The old refresh token is now dead: say so loudly, keep serving.
                logger.exception(
                    "Could not store the refreshed Zalo tokens in %s; after a restart "
                    "the env tokens will no longer work",
                    self.config.token_file,
                )

    async def _post(self, url: str, **kwargs: Any) -> dict[str, Any]:
        """POSTs and returns the JSON object answered, retrying transient failures."""
        attempts = len(self.retry_delays) + 1
        for attempt in range(1, attempts + 1):
            try:
                async with self._http().post(url, **kwargs) as resp:
                    if resp.status >= 500 or resp.status == 429:
                        raise _TransientError(f"HTTP {resp.status}")
                    body = await resp.text()
                    if resp.status != 200:
                        raise ZaloApiError(f"{url}: HTTP {resp.status}: {body[:300]}")
                    try:
                        result = json.loads(body)
                    except ValueError:
                        result = None
                    if not isinstance(result, dict):
                        raise ZaloApiError(f"{url}: not a JSON object: {body[:300]}")
                    return result
            except (aiohttp.ClientError, asyncio.TimeoutError, _TransientError) as error:
                if attempt == attempts:
                    message = f"{url}: failed {attempts} times, last: {error!r}"
                    raise ZaloApiError(message) from error
                delay = self.retry_delays[attempt - 1]
                logger.warning(
                    "Zalo request %s failed (%r), attempt %d/%d; retrying in %.1fs",
                    url, error, attempt, attempts, delay,
                )  # fmt: skip
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")


# --- Rasa channels -----------------------------------------------------------


class ZaloOutput(OutputChannel):
    """Sends the bot's replies to one Zalo user."""

    @classmethod
    def name(cls) -> str:
        return "zalo"

    def __init__(self, client: ZaloClient, choices: ButtonChoices):
        self.client = client
        self.choices = choices

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        messages, _ = render_reply(text, [])
        await self._deliver(recipient_id, messages)

    async def send_text_with_buttons(
        self, recipient_id: str, text: str, buttons: list[dict[str, Any]], **kwargs: Any
    ) -> None:
        messages, choices = render_reply(text, buttons)
        self.choices.remember(recipient_id, choices)
        await self._deliver(recipient_id, messages)

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


OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


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
            logger.warning(
                "Zalo channel disabled, missing env: %s; /webhooks/zalo/webhook answers 503",
                error,
            )
            return channel

    def __init__(self, config: ZaloConfig | None):
        self.config = config
        self.missing = ""
        self.client = ZaloClient(config) if config else None
        self.seen = RecentIds()
        self.choices = ButtonChoices()
        # Strong references: the loop keeps only weak ones to running tasks.
        self.tasks: set[asyncio.Task] = set()

    def get_output_channel(self) -> OutputChannel | None:
        return ZaloOutput(self.client, self.choices) if self.client else None

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
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
            if self.tasks:
                await asyncio.wait(set(self.tasks), timeout=10)

        @bp.listener("after_server_stop")
        async def close_client(app: Any, loop: Any) -> None:
            if self.client:
                await self.client.close()

        return bp

    def receive(
        self, raw: bytes, signature: str | None, on_new_message: OnNewMessage
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

    def dispatch(self, event: dict[str, Any], raw: bytes, on_new_message: OnNewMessage) -> None:
        """Starts the background handling of a verified event, if it needs any."""
        name = str(event.get("event_name") or "")
        if not name.startswith("user_send_"):
            # oa_send_*, follow, user_seen_message…: nothing to answer.
            logger.debug("Zalo event %s ignored", name)
            return
        sender = _field(event, "sender").get("id")
        message = _field(event, "message")
        sender = str(sender) if isinstance(sender, str | int) else ""
        if not guard.valid_sender(sender):
            logger.warning("Zalo %s event without a valid sender.id ignored", name)
            return
        msg_id = message.get("msg_id")
        # Zalo redelivers the same body when our 200 came late; without a
        # msg_id the body itself identifies the delivery.
        key = str(msg_id) if msg_id else hashlib.sha256(raw).hexdigest()
        if not self.seen.add(key):
            logger.info("Zalo duplicate delivery %s dropped", key)
            return
        if name == "user_send_text":
            text = message.get("text")
            text = text if isinstance(text, str) else ""
            msg = str(msg_id) if msg_id else None
            self.spawn(self.handle_text(sender, text, msg, on_new_message), f"message {key}")
        else:
            self.spawn(self.reply_text_only(sender), f"{name} from {sender}")

    async def handle_text(
        self, sender: str, text: str, msg_id: str | None, on_new_message: OnNewMessage
    ) -> None:
        output = ZaloOutput(self.client, self.choices)
        # The checks every channel applies (connectors/guard.py): empty or
        # overlong text gets a polite reply without reaching the model.
        text = guard.clean_text(text)
        reply = guard.precheck(text)
        if reply:
            await output.send_text_message(sender, reply)
            return
        text = self.choices.resolve(sender, text)
        message = UserMessage(text, output, sender, input_channel=self.name(), message_id=msg_id)
        try:
            await on_new_message(message)
        except guard.OUTAGES as error:
            await output.send_text_message(sender, guard.outage_reply(error))

    async def reply_text_only(self, sender: str) -> None:
        await ZaloOutput(self.client, self.choices).send_text_message(sender, TEXT_ONLY_REPLY)

    def spawn(self, work: Coroutine[Any, Any, None], what: str) -> None:
        task = asyncio.get_running_loop().create_task(_logged(work, what))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)


async def _logged(work: Coroutine[Any, Any, None], what: str) -> None:
    # A background task's exception would otherwise surface only at garbage collection.
    try:
        await work
    except Exception:
        logger.exception("Zalo: handling %s failed", what)


def _field(event: Mapping[str, Any], name: str) -> Mapping[str, Any]:
    value = event.get(name)
    return value if isinstance(value, dict) else {}
