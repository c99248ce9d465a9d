"""Bounds every custom-action call and apologises when it fails.

Rasa 3.6 waits up to 300 s for the action server and, if the call fails, logs
the error and sends the user nothing. Users on a phone need an answer within
seconds, so each remote action gets ACTION_TIMEOUT_SECONDS of its own time
(time the event loop spent frozen by other requests does not count) and, on
timeout or error, the bot sends the apology with the hotline from content.yml. The
conversation continues normally once the action server is back.

It also builds the validator of the action server's reply once: Rasa's
`jsonschema.validate` re-checks the schema itself on every call, which cost
about 16 ms of a 45 ms turn (docs/bench.md). The reply is still validated.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
from collections.abc import Awaitable
from typing import TypeVar

import jsonschema
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.shared.core.events import BotUttered

from addons import metrics
from content import load

logger = logging.getLogger(__name__)

ACTION_TIMEOUT_SECONDS = float(os.environ.get("ACTION_TIMEOUT_SECONDS", "2.5"))
T = TypeVar("T")


# asyncio.wait_for's timer runs on the event loop, so it also counts the time
# the loop was frozen by other work: one heavy request made every in-flight
# call to a healthy action server "time out". The budget is spent in slices
# instead, and a slice that ends late because the loop could not run its timer
# counts only its planned length: a freeze of any length costs a call at most
# one slice. A ceiling of wall time still answers a user when the loop stays
# saturated.
SLICE_SECONDS = 0.25
CEILING_FACTOR = 4  # wall-time ceiling, in budgets


async def within_budget(awaitable: Awaitable[T], budget: float) -> T:
    """Like asyncio.wait_for(awaitable, budget), minus the time the loop was stalled."""
    loop = asyncio.get_running_loop()
    task = asyncio.ensure_future(awaitable)
    started, used = loop.time(), 0.0
    try:
        while True:
            planned = max(min(SLICE_SECONDS, budget - used), 0.01)
            before = loop.time()
            done, _ = await asyncio.wait({task}, timeout=planned)
            if done:
                return task.result()
            now = loop.time()
            used += min(now - before, planned)
            if used >= budget or now - started >= CEILING_FACTOR * budget:
                raise asyncio.TimeoutError
    finally:
        task.cancel()  # no-op once done; stops the call on a timeout or our own cancel


def apology() -> BotUttered:
    return BotUttered(load().message("service_down"), metadata={"fallback": True})


@functools.lru_cache(maxsize=1)
def _reply_validator() -> jsonschema.protocols.Validator:
    schema = RemoteAction.action_response_format_spec()
    return jsonschema.validators.validator_for(schema)(schema)


def _validate_action_result(self, result: dict) -> bool:
    """RemoteAction's own check with the validator built once; raises the same error."""
    error = jsonschema.exceptions.best_match(_reply_validator().iter_errors(result))
    if error is not None:
        error.message += ". Failed to validate Action server response from API."
        raise error
    return True


def active() -> bool:
    return getattr(RemoteAction.run, "_guarded", False)


def install() -> None:
    """Wraps RemoteAction.run and swaps its reply validator, once per process."""
    RemoteAction._validate_action_result = _validate_action_result
    original = RemoteAction.run
    if active():
        return

    @functools.wraps(original)
    async def guarded_run(self, output_channel, nlg, tracker, domain):
        try:
            return await within_budget(
                original(self, output_channel, nlg, tracker, domain), ACTION_TIMEOUT_SECONDS
            )
        except ActionExecutionRejection:
            raise
        except asyncio.TimeoutError:
            metrics.action_failed(self.name(), "timeout")
            logger.error(
                "Action server: '%s' took over %.1f s; sent the apology instead.",
                self.name(),
                ACTION_TIMEOUT_SECONDS,
            )
        except Exception as error:  # noqa: BLE001 - any failure must still answer the user
            metrics.action_failed(self.name(), "error")
            logger.error("Action server: '%s' failed (%s); sent the apology.", self.name(), error)
        return [apology()]

    guarded_run._guarded = True
    RemoteAction.run = guarded_run
