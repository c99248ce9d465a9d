"""The purge itself: which rows of the tracker store go, in one transaction.

What it deletes: every row of the `events` table (Rasa's SQLTrackerStore)
of each conversation (sender_id) whose LAST event is older than the cutoff,
i.e. the user's messages, the bot's answers, the slots and the intents, in one
statement inside one transaction. A conversation that is still being used (any
event newer than the cutoff) keeps every event, old ones included, so Rasa
loads it exactly as before. On SQLite the file is then compacted with VACUUM,
so the deleted text leaves the disk (SQLite otherwise only marks the pages
free) and the file really shrinks. ``purge`` returns how many conversations
and events it removed (never which sender ids) and, for SQLite, the file size
before and after. With dry_run it only counts.

Apart from the settings (scripts/purge_settings.py) and the command line
(scripts/purge.py, which re-exports ``purge``, ``Result`` and the constants)
because talking to SQLite and PostgreSQL is an idea of its own.
"""

from __future__ import annotations

import os
import pathlib
import time
from dataclasses import dataclass

import sqlalchemy as sa

from scripts.purge_settings import PurgeError, _parse_url

DEFAULT_DAYS = 30
DAY = 86400.0

# Conversations whose last event is before the cutoff.
EXPIRED = "SELECT sender_id FROM events GROUP BY sender_id HAVING MAX(timestamp) < :cutoff"
COUNT = f"SELECT COUNT(DISTINCT sender_id), COUNT(*) FROM events WHERE sender_id IN ({EXPIRED})"
DELETE = f"DELETE FROM events WHERE sender_id IN ({EXPIRED})"


@dataclass
class Result:
    conversations: int = 0  # removed, or that --dry-run would remove
    events: int = 0
    dry_run: bool = False
    cutoff: float = 0.0
    path: pathlib.Path | None = None  # SQLite file
    size_before: int | None = None  # SQLite file size in bytes
    size_after: int | None = None
    note: str = ""  # why nothing was looked at (no database yet, no table)


# Database ------------------------------------------------------------------------


def _engine(url: sa.engine.URL) -> sa.engine.Engine:
    backend = url.get_backend_name()
    options: dict = {"poolclass": sa.pool.NullPool, "future": True}
    if backend == "sqlite":
        # Wait up to 30 s for a turn Rasa is writing instead of failing at once.
        options["connect_args"] = {"timeout": 30}
    elif backend == "postgresql":
        connect_args: dict = {}
        if url.get_driver_name() == "psycopg2":
            connect_args["connect_timeout"] = 10
        schema = os.environ.get("POSTGRESQL_SCHEMA")  # as Rasa's create_engine_kwargs
        if schema:
            connect_args["options"] = f"-csearch_path={schema}"
        options["connect_args"] = connect_args
    try:
        engine = sa.create_engine(url, **options)
    except (sa.exc.ArgumentError, ImportError) as error:  # NoSuchModuleError is both
        raise PurgeError(f"cannot use {_shown(url)}: {error}") from None
    if backend == "sqlite":
        # pysqlite opens transactions only before writes, so the count and the
        # DELETE would not share one. Take over: BEGIN IMMEDIATE takes the write
        # lock first, and both statements see the same rows (SQLAlchemy's recipe).
        @sa.event.listens_for(engine, "connect")
        def _manual_transactions(dbapi_connection, _record):
            dbapi_connection.isolation_level = None

        @sa.event.listens_for(engine, "begin")
        def _begin_immediate(connection):
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _shown(url: sa.engine.URL) -> str:
    return url.render_as_string(hide_password=True)


def _one_line(error: Exception) -> str:
    original = getattr(error, "orig", None) or error
    return " ".join(line.strip() for line in str(original).splitlines() if line.strip())


def _sqlite_path(url: sa.engine.URL) -> pathlib.Path:
    if not url.database or url.database == ":memory:":
        raise PurgeError(f"{_shown(url)} is an in-memory database: nothing to purge")
    return pathlib.Path(url.database)


def purge(
    url: str | sa.engine.URL, days: float = DEFAULT_DAYS, dry_run: bool = False, now=None
) -> Result:
    """Deletes (or with dry_run counts) the conversations idle for `days` days.

    Raises PurgeError when the database cannot be reached or used."""
    url = _parse_url(url) if isinstance(url, str) else url
    cutoff = (time.time() if now is None else now) - days * DAY
    result = Result(dry_run=dry_run, cutoff=cutoff)
    sqlite = url.get_backend_name() == "sqlite"
    if sqlite:
        result.path = _sqlite_path(url)
        if not result.path.exists():  # connecting would create an empty file
            result.note = f"no database at {result.path} yet: nothing to purge"
            return result
        result.size_before = result.size_after = result.path.stat().st_size
    engine = _engine(url)
    try:
        with engine.begin() as connection:  # one transaction: commits, or rolls back
            if not sa.inspect(connection).has_table("events"):
                result.note = f"no events table in {_shown(url)}: nothing to purge"
                return result
            counts = connection.execute(sa.text(COUNT), {"cutoff": cutoff}).one()
            result.conversations, result.events = int(counts[0]), int(counts[1] or 0)
            if not dry_run:
                deleted = connection.execute(sa.text(DELETE), {"cutoff": cutoff})
                result.events = deleted.rowcount
        if sqlite and not dry_run:
            _vacuum(engine, force=result.events > 0)
            result.size_after = result.path.stat().st_size
    except sa.exc.DBAPIError as error:
        raise PurgeError(f"cannot use the database {_shown(url)}: {_one_line(error)}") from None
    finally:
        engine.dispose()
    return result


def _vacuum(engine: sa.engine.Engine, force: bool) -> None:
    """Rewrites the SQLite file without its free pages (needs no open transaction).

    Also runs when nothing was deleted but free pages are left over (an
    earlier run interrupted before its VACUUM)."""
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        free_pages = cursor.execute("PRAGMA freelist_count").fetchone()[0]
        if force or free_pages:
            cursor.execute("VACUUM")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # no-op unless WAL mode
        cursor.close()
    finally:
        raw.close()
