"""A SQL tracker store that fails loudly instead of forgetting conversations.

Rasa wraps every tracker store in FailSafeTrackerStore, which on a database
error answers "no tracker" (a new, empty conversation) and keeps saving to
memory, so an outage silently splits conversations between replicas and loses
them on restart. Loading this module replaces that wrapper with one that logs
the error and raises TrackerStoreUnavailable, which the channels turn into a
503 or an apology; once the database is back, conversations continue.
"""

from __future__ import annotations

import logging

import rasa.core.agent
import sqlalchemy as sa
from rasa.core.tracker_store import FailSafeTrackerStore, SQLTrackerStore, create_engine_kwargs

logger = logging.getLogger(__name__)


class TrackerStoreUnavailable(RuntimeError):
    """The conversation database cannot be read or written."""


class StrictTrackerStore(FailSafeTrackerStore):
    """FailSafeTrackerStore without the silent in-memory fallback."""

    def _fail(self, operation: str, error: Exception) -> None:
        logger.error(
            "TRACKER STORE DOWN: %s failed on %s: %r",
            operation,
            type(self._tracker_store).__name__,
            error,
        )
        raise TrackerStoreUnavailable(f"{operation} failed") from error

    async def retrieve(self, sender_id):
        try:
            return await self._tracker_store.retrieve(sender_id)
        except Exception as error:
            self._fail("retrieve", error)

    async def retrieve_full_tracker(self, sender_id):
        try:
            return await self._tracker_store.retrieve_full_tracker(sender_id)
        except Exception as error:
            self._fail("retrieve_full_tracker", error)

    async def keys(self):
        try:
            return await self._tracker_store.keys()
        except Exception as error:
            self._fail("keys", error)

    async def save(self, tracker):
        try:
            await self._tracker_store.save(tracker)
        except Exception as error:
            self._fail("save", error)


# The Agent wraps the store it is given in `FailSafeTrackerStore`, looked up
# in rasa.core.agent's namespace; this module is imported (from endpoints.yml)
# before the Agent is built.
rasa.core.agent.FailSafeTrackerStore = StrictTrackerStore


class StrictSQLTrackerStore(SQLTrackerStore):
    """SQLTrackerStore (SQLite by default, PostgreSQL in the cluster profile)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Pooled connections die when the database restarts; without a ping
        # before use, the first turn after a restart fails on each replica.
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(
            url, pool_pre_ping=True, **create_engine_kwargs(url.render_as_string(False))
        )
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
