"""A fake Zalo OA API for the tests: answers like Zalo and records every request.

It serves `/v3.0/oa/message/cs` and `/v4/oa/access_token` from an aiohttp app
running in a background thread with its own event loop, so tests (sync code)
and the Rasa server under test (another process) can both reach it. Knobs let
a test expire the access token, make sends fail with 5xx, or answer slowly.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiohttp import web

SEND_PATH = "/v3.0/oa/message/cs"
REFRESH_PATH = "/v4/oa/access_token"
T = TypeVar("T")


@dataclass
class Recorded:
    """One request the fake received and what it answered."""

    path: str
    headers: dict[str, str]
    json: Any = None
    form: dict[str, str] | None = None
    status: int = 200
    answer: dict[str, Any] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)

    @property
    def delivered(self) -> bool:
        """A message Zalo would have delivered to the user."""
        return self.path == SEND_PATH and self.status == 200 and self.answer.get("error") == 0

    @property
    def user_id(self) -> str | None:
        return ((self.json or {}).get("recipient") or {}).get("user_id")

    @property
    def message(self) -> dict[str, Any]:
        return (self.json or {}).get("message") or {}

    @property
    def text(self) -> str:
        return self.message.get("text") or ""

    @property
    def buttons(self) -> list[dict[str, Any]]:
        attachment = self.message.get("attachment") or {}
        return (attachment.get("payload") or {}).get("buttons") or []


class FakeZalo:
    """The Zalo OA API as far as the connector uses it."""

    def __init__(self, app_id: str, app_secret: str, access_token: str, refresh_token: str):
        self.app_id, self.app_secret = app_id, app_secret
        self.access_token, self.refresh_token = access_token, refresh_token
        self.expired: set[str] = set()
        self.failures = 0  # the next N sends answer `failure_status`
        self.failure_status = 500
        self.failing_user: str | None = None  # only sends to this user fail, if set
        self.delay = 0.0  # seconds before answering a send
        self.issued = 0
        self._records: list[Recorded] = []
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None

    # --- lifecycle -----------------------------------------------------------

    def start(self, port: int, host: str = "127.0.0.1") -> FakeZalo:
        ready = threading.Event()
        errors: list[BaseException] = []

        def run() -> None:
            self._loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self._loop)
            try:
                self._loop.run_until_complete(self._serve(host, port))
            except BaseException as error:  # reported to start() below
                errors.append(error)
                ready.set()
                return
            ready.set()
            self._loop.run_forever()
            self._loop.run_until_complete(self._runner.cleanup())
            self._loop.close()

        self._thread = threading.Thread(target=run, name="fake-zalo", daemon=True)
        self._thread.start()
        if not ready.wait(10) or errors:
            raise RuntimeError(f"fake Zalo API did not start on {host}:{port}: {errors}")
        self.url = f"http://{host}:{port}"
        return self

    async def _serve(self, host: str, port: int) -> None:
        app = web.Application()
        app.router.add_post(SEND_PATH, self._send)
        app.router.add_post(REFRESH_PATH, self._refresh)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()

    def stop(self) -> None:
        if self._loop and self._thread:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    # --- knobs ---------------------------------------------------------------

    def expire_access_token(self) -> str:
        """Makes the current access token answer -216; returns it."""
        with self._lock:
            self.expired.add(self.access_token)
            return self.access_token

    def fail_next(self, count: int, status: int = 500, user_id: str | None = None) -> None:
        """The next `count` sends (to `user_id` only, if given) answer `status`."""
        with self._lock:
            self.failures, self.failure_status, self.failing_user = count, status, user_id

    def reset_knobs(self) -> None:
        with self._lock:
            self.failures, self.failing_user, self.delay = 0, None, 0.0

    # --- what was received ---------------------------------------------------

    def records(self, path: str | None = None, user_id: str | None = None) -> list[Recorded]:
        with self._lock:
            found = list(self._records)
        return [
            r
            for r in found
            if (path is None or r.path == path) and (user_id is None or r.user_id == user_id)
        ]

    def delivered(self, user_id: str) -> list[Recorded]:
        """The messages delivered to a user, in order."""
        return [r for r in self.records(SEND_PATH, user_id) if r.delivered]

    def wait_for(self, check: Callable[[], T], timeout: float = 60, what: str = "") -> T:
        """Polls `check` until it returns something truthy; fails after `timeout`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = check()
            if result:
                return result
            time.sleep(0.05)
        summary = [(r.path, r.status, r.user_id, r.text[:60]) for r in self.records()[-10:]]
        raise AssertionError(f"timed out waiting for {what or check}; last requests: {summary}")

    def wait_for_text(
        self, user_id: str, *needles: str, timeout: float = 60, after: Recorded | None = None
    ) -> Recorded:
        """The first message delivered to `user_id` (after `after`) with every needle."""

        def find() -> Recorded | None:
            delivered = self.delivered(user_id)
            if after is not None:
                delivered = delivered[delivered.index(after) + 1 :]
            for record in delivered:
                if all(n in record.text for n in needles):
                    return record
            return None

        return self.wait_for(find, timeout, f"a message to {user_id} containing {needles}")

    def settle(self, user_id: str, quiet: float = 1.5, timeout: float = 60) -> list[Recorded]:
        """The messages delivered to a user once none arrived for `quiet` seconds."""
        deadline = time.monotonic() + timeout
        count, since = -1, time.monotonic()
        while time.monotonic() < deadline:
            now_count = len(self.records(SEND_PATH, user_id))
            if now_count != count:
                count, since = now_count, time.monotonic()
            elif time.monotonic() - since >= quiet:
                return self.delivered(user_id)
            time.sleep(0.05)
        raise AssertionError(f"messages to {user_id} kept coming for {timeout}s")

    # --- handlers ------------------------------------------------------------

    async def _send(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            body = None
        record = Recorded(SEND_PATH, dict(request.headers), json=body)
        token = request.headers.get("access_token")
        with self._lock:
            self._records.append(record)
            failing = self.failures > 0 and self.failing_user in (None, record.user_id)
            if failing:
                self.failures -= 1
            valid = token == self.access_token and token not in self.expired
            delay = self.delay
        if delay:
            await asyncio.sleep(delay)
        if failing:
            record.status = self.failure_status
            return web.Response(status=record.status, text="upstream error")
        message = (body or {}).get("message") if isinstance(body, dict) else None
        if not valid:
            record.answer = {"error": -216, "message": "Access token is invalid"}
        elif not record.user_id or not isinstance(message, dict) or not message.get("text"):
            record.answer = {"error": -201, "message": "Parameters are invalid"}
        elif len(message["text"]) > 2000:
            record.answer = {"error": -201, "message": "Text is too long"}
        else:
            record.answer = {
                "error": 0,
                "message": "Success",
                "data": {"message_id": f"m{time.monotonic_ns()}", "user_id": record.user_id},
            }
        return web.json_response(record.answer)

    async def _refresh(self, request: web.Request) -> web.Response:
        form = dict(await request.post())
        record = Recorded(REFRESH_PATH, dict(request.headers), form=form)
        with self._lock:
            self._records.append(record)
            if (
                request.headers.get("secret_key") == self.app_secret
                and form.get("app_id") == self.app_id
                and form.get("grant_type") == "refresh_token"
                and form.get("refresh_token") == self.refresh_token
            ):
                # Like Zalo: the refresh token is spent, a new pair is issued.
                self.issued += 1
                self.access_token = f"access-{self.issued}"
                self.refresh_token = f"refresh-{self.issued}"
                record.answer = {
                    "access_token": self.access_token,
                    "refresh_token": self.refresh_token,
                    "expires_in": "90000",
                }
            else:
                record.answer = {
                    "error": -14014,
                    "error_name": "Invalid refresh token",
                    "error_description": "Refresh token is invalid or already used",
                }
        return web.json_response(record.answer)
