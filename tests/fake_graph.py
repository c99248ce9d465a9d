"""A fake Graph API Send endpoint for tests: records requests, enforces Messenger limits.

Runs an aiohttp app on its own event loop in a background thread, so tests
(synchronous or not) and the Rasa server can both talk to it. Requests that
break a Messenger limit are answered like Graph does (HTTP 400, OAuthException
code 100) and recorded with their errors, so a connector that overflows a
limit loses the message here as it would in production.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

# Limits from the Messenger Platform Send API reference, written out again
# here (not imported from the connector) so the tests check it independently.
LIMITS = {"title": 20, "buttons": 3, "quick_replies": 13, "template_text": 640, "text": 2000}


def limit_errors(message: dict) -> list[str]:
    """Lists the ways a Send API `message` object breaks Messenger's limits."""
    errors = []
    if "text" in message:
        text = message["text"]
        if not text or len(text) > LIMITS["text"]:
            errors.append(f"text length {len(text)}")
        replies = message.get("quick_replies", [])
        if len(replies) > LIMITS["quick_replies"]:
            errors.append(f"{len(replies)} quick replies")
        for reply in replies:
            if not reply.get("title") or len(reply["title"]) > LIMITS["title"]:
                errors.append(f"quick reply title {reply.get('title')!r}")
            if not reply.get("payload"):
                errors.append(f"quick reply {reply.get('title')!r} without payload")
    elif message.get("attachment", {}).get("type") == "template":
        payload = message["attachment"]["payload"]
        if payload.get("template_type") == "button":
            if not payload.get("text") or len(payload["text"]) > LIMITS["template_text"]:
                errors.append(f"template text length {len(payload.get('text') or '')}")
            buttons = payload.get("buttons", [])
            if not 1 <= len(buttons) <= LIMITS["buttons"]:
                errors.append(f"{len(buttons)} buttons")
            for button in buttons:
                if not button.get("title") or len(button["title"]) > LIMITS["title"]:
                    errors.append(f"button title {button.get('title')!r}")
    elif "attachment" not in message:
        errors.append("message without text or attachment")
    return errors


def message_text(message: dict) -> str:
    """The visible text of a plain message or of a button template."""
    if "text" in message:
        return message["text"]
    return message.get("attachment", {}).get("payload", {}).get("text", "")


def options(message: dict) -> list[dict]:
    """The tappable options (quick replies or template buttons) of a message."""
    if "quick_replies" in message:
        return message["quick_replies"]
    return message.get("attachment", {}).get("payload", {}).get("buttons", [])


class FakeGraph:
    """Records every POST to /v*/me/messages; see `sent`, `wait_for`, `fail_next`."""

    def __init__(self, port: int, page_token: str) -> None:
        self.port, self.page_token = port, page_token
        self.url = f"http://127.0.0.1:{port}"
        self.requests: list[dict[str, Any]] = []
        self._failures: dict[str, list[int]] = {}
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None

    # -- server ---------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        recipient = body.get("recipient", {}).get("id", "")
        record = {
            "path": request.path,
            "query": dict(request.query),
            "body": body,
            "errors": [],
            "status": 200,
        }
        if request.query.get("access_token") != self.page_token:
            record["errors"].append("wrong access token")
            record["status"] = 400
        elif "message" in body:
            record["errors"] = limit_errors(body["message"])
            record["status"] = 400 if record["errors"] else 200
            with self._lock:
                pending = self._failures.get(recipient)
                if record["status"] == 200 and pending:
                    record["status"] = pending.pop(0)
        with self._lock:
            self.requests.append(record)
        if record["status"] != 200:
            error = {"message": "; ".join(record["errors"]) or "fake failure", "code": 100}
            return web.json_response({"error": error}, status=record["status"])
        reply = {"recipient_id": recipient}
        if "message" in body:
            reply["message_id"] = f"m_{len(self.requests)}"
        return web.json_response(reply)

    def start(self) -> FakeGraph:
        async def serve() -> None:
            app = web.Application()
            app.router.add_post("/{version}/me/messages", self._handle)
            self._runner = web.AppRunner(app)
            await self._runner.setup()
            await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

        self._thread.start()
        asyncio.run_coroutine_threadsafe(serve(), self._loop).result(10)
        return self

    def stop(self) -> None:
        if self._runner:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    # -- what tests use -------------------------------------------------------------

    def fail_next(self, recipient_id: str, *statuses: int) -> None:
        """Answers the next messages to `recipient_id` with these HTTP statuses."""
        with self._lock:
            self._failures.setdefault(recipient_id, []).extend(statuses)

    def records(self, recipient_id: str) -> list[dict]:
        """Every request (messages and sender actions) addressed to `recipient_id`."""
        with self._lock:
            return [r for r in self.requests if r["body"]["recipient"]["id"] == recipient_id]

    def sent(self, recipient_id: str) -> list[dict]:
        """The `message` objects delivered (HTTP 200) to `recipient_id`, in order."""
        return [
            r["body"]["message"]
            for r in self.records(recipient_id)
            if "message" in r["body"] and r["status"] == 200
        ]

    def wait_for(
        self, recipient_id: str, predicate: Callable[[list[dict]], Any], timeout: float = 60
    ) -> list[dict]:
        """Polls until `predicate(sent(recipient_id))` is true; returns the messages."""
        deadline = time.monotonic() + timeout
        while True:
            messages = self.sent(recipient_id)
            if predicate(messages):
                return messages
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"timed out after {timeout}s; sent to {recipient_id}: {messages}; "
                    f"all records: {self.records(recipient_id)}"
                )
            time.sleep(0.05)

    def wait_for_text(self, recipient_id: str, *needles: str, timeout: float = 60) -> list[dict]:
        """Waits until one delivered message contains every needle."""

        def found(messages: list[dict]) -> bool:
            return any(all(n in message_text(m) for n in needles) for m in messages)

        return self.wait_for(recipient_id, found, timeout)
