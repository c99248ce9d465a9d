"""Background work for webhook channels: answer the platform at once, work after.

Zalo and Messenger retry a delivery that is not acknowledged quickly, so their
channels acknowledge first and handle each event in a task started here. Tasks
of one conversation run in arrival order (a FIFO lock per key); the server
waits for running tasks before it stops.
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
        self._locks: dict[str, list] = {}  # key -> [lock, tasks waiting on it]

    def __len__(self) -> int:
        return len(self._tasks)

    def spawn(self, work: Coroutine[Any, Any, Any], what: str, key: str | None = None) -> None:
        """Runs `work` in the background; with a `key`, after earlier work of that key."""
        task = asyncio.get_running_loop().create_task(self._run(work, what, key))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, work: Coroutine[Any, Any, Any], what: str, key: str | None) -> None:
        entry = None
        if key is not None:
            # Tasks start in creation order and asyncio.Lock is FIFO.
            entry = self._locks.setdefault(key, [asyncio.Lock(), 0])
            entry[1] += 1
        try:
            if entry is None:
                await work
            else:
                async with entry[0]:
                    await work
        except Exception:
            # A background task's exception would otherwise surface only at
            # garbage collection.
            logger.exception("%s: handling %s failed", self.name, what)
        finally:
            if entry is not None:
                entry[1] -= 1
                if entry[1] == 0:
                    del self._locks[key]

    async def drain(self, timeout: float = 10) -> None:
        """Waits (up to `timeout`) for the running tasks, before the server stops."""
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=timeout)
