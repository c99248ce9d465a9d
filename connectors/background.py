"""Background tasks for webhook channels, which the server waits for before it stops.

Zalo and Messenger events are stored first and answered 200 at once
(connectors/webhook_queue/); the queue's worker handles each in a task
started here. Order within one conversation comes from the queue, which hands
out only the oldest pending event of each sender.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

logger = logging.getLogger(__name__)


class Tasks:
    def __init__(self, name: str):
        self.name = name
        # Strong references: the loop keeps only weak ones to running tasks.
        self._tasks: set[asyncio.Task] = set()

    def __len__(self) -> int:
        return len(self._tasks)

    def spawn(self, work: Coroutine[Any, Any, Any], what: str) -> None:
        """Runs `work` in the background, logging its exception if it raises."""
        task = asyncio.get_running_loop().create_task(self._run(work, what))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, work: Coroutine[Any, Any, Any], what: str) -> None:
        try:
            await work
        except Exception:
            # A background task's exception would otherwise surface only at
            # garbage collection.
            logger.exception("%s: handling %s failed", self.name, what)

    async def drain(self, timeout: float = 10) -> None:
        """Waits (up to `timeout`) for the running tasks, before the server stops."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)
