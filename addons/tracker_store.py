"""A SQL tracker store that fails loudly instead of forgetting conversations.

Rasa wraps every tracker store in FailSafeTrackerStore, which on a database
error answers "no tracker" (a new, empty conversation) and keeps saving to
memory, so an outage silently splits conversations between replicas and loses
them on restart. `install()` (called by addons.install_all) replaces that
wrapper with one that logs the error and raises TrackerStoreUnavailable, which
the channels turn into a 503 or an apology; once the database is back,
conversations continue.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Iterator

import rasa.core.agent
import sqlalchemy as sa
from rasa.core.tracker_store import FailSafeTrackerStore, SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.events import SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker

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


def install() -> None:
    # The Agent wraps the store it is given in `FailSafeTrackerStore`, looked
    # up in rasa.core.agent's namespace when the Agent is built.
    rasa.core.agent.FailSafeTrackerStore = StrictTrackerStore


def active() -> bool:
    return rasa.core.agent.FailSafeTrackerStore is StrictTrackerStore


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


class CachedSQLTrackerStore(StrictSQLTrackerStore):
    """StrictSQLTrackerStore that keeps the trackers it saved in memory.

    Rebuilding a tracker from its rows on every turn is most of the tracker
    store's cost (docs/bench.md). Every save still commits to the database
    first; the cache only saves the reads. Valid for ONE Rasa process (the
    single-machine profile): with several replicas another process may have
    written newer events, so endpoints-cluster.yml uses the uncached store.

    A cached tracker is handed out only if it has exactly the events that were
    saved (a turn that failed half-way left unsaved events in it) and only if
    those are what `retrieve` would load: a save that started a new session
    drops the entry, because Rasa's save counts the stored events of the
    latest session to find the new ones. It is also checked against the
    number of rows stored for that conversation (one indexed COUNT), so a
    conversation deleted behind the bot's back (`make purge`, an erasure on
    request) is never written back from memory.
    """

    def __init__(self, *args, cache_size: int = 1000, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # sender id -> (tracker, events when saved, rows stored after the save)
        self._cache: OrderedDict[str, tuple[DialogueStateTracker, int, int]] = OrderedDict()
        self._cache_size = int(cache_size)
        self._new_session: dict[str, bool] = {}
        self._written: dict[str, int] = {}  # rows the last save added

    def stored_rows(self, sender_id: str) -> int:
        with self.session_scope() as session:
            query = session.query(sa.func.count(self.SQLEvent.id))
            return query.filter(self.SQLEvent.sender_id == sender_id).scalar() or 0

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        entry = self._cache.pop(sender_id, None)
        if entry and len(entry[0].events) == entry[1] and self.stored_rows(sender_id) == entry[2]:
            self._cache[sender_id] = entry
            return entry[0]
        return await super().retrieve(sender_id)

    def _additional_events(self, session, tracker: DialogueStateTracker) -> Iterator:
        events = list(super()._additional_events(session, tracker))
        self._new_session[tracker.sender_id] = any(isinstance(e, SessionStarted) for e in events)
        self._written[tracker.sender_id] = len(events)
        return iter(events)

    async def delete(self, sender_id: str) -> None:
        """Deletes every stored event of a conversation (erasure on request)."""
        self._cache.pop(sender_id, None)
        with self.session_scope() as session:
            session.query(self.SQLEvent).filter(self.SQLEvent.sender_id == sender_id).delete()
            session.commit()

    async def save(self, tracker: DialogueStateTracker) -> None:
        sender_id = tracker.sender_id
        before = self._cache.pop(sender_id, None)
        await super().save(tracker)
        written = self._written.pop(sender_id, 0)
        if not self._new_session.pop(sender_id, True):
            # Rows checked at this turn's retrieve plus those just written: no
            # second COUNT. Should someone have deleted rows meanwhile, the
            # next retrieve's COUNT differs and the tracker is reloaded.
            rows = before[2] + written if before else self.stored_rows(sender_id)
            self._cache[sender_id] = (tracker, len(tracker.events), rows)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
