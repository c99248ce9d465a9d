"""Deletes conversations nobody has used for N days (default 30) from the
tracker store, SQLite (single-machine profile, rasa.db) or PostgreSQL
(scale-out profile).

    .venv/bin/python -m scripts.purge [--days N] [--endpoints endpoints.yml]
                                      [--db-url URL] [--dry-run]

What it deletes: every row of the `events` table (Rasa's SQLTrackerStore)
of each conversation (sender_id) whose LAST event is older than the cutoff,
i.e. the user's messages, the bot's answers, the slots and the intents, in one
statement inside one transaction. A conversation that is still being used (any
event newer than the cutoff) keeps every event, old ones included, so Rasa
loads it exactly as before. On SQLite the file is then compacted with VACUUM,
so the deleted text leaves the disk (SQLite otherwise only marks the pages
free) and the file really shrinks. It prints how many conversations and events
it removed (never which sender ids) and, for SQLite, the file size before and
after. --dry-run only counts.

Why: Decree 13/2023/NĐ-CP on personal data protection (Nghị định 13/2023/NĐ-CP
về bảo vệ dữ liệu cá nhân) and the 2025 Law on Personal Data Protection (Luật
Bảo vệ dữ liệu cá nhân 2025) require personal data to be deleted once the
purpose it was collected for is over. A conversation serves the user while they
are asking; RETENTION_DAYS (30 unless the operator sets it) is how long we keep
it after their last message.

Settings: the tracker_store section of the endpoints file (default
endpoints.yml: rasa.db in the current directory), read the way Rasa reads it,
${VARS} in plain YAML scalars expanded from the environment (only that section
needs them); or a SQLAlchemy URL with --db-url. --days, else RETENTION_DAYS,
else 30. Exit code 0 on success (also when rasa.db does not exist yet), 2 with
a one-line message when the settings are wrong or the database is unreachable.

Scheduling (once a day, at a quiet hour: VACUUM rewrites rasa.db and holds its
write lock meanwhile; the store waits for it):
- host cron, single machine (`crontab -e` as the user that owns rasa.db):
      17 3 * * * cd /srv/vssid && .venv/bin/python -m scripts.purge
  or `make purge` by hand.
- docker-compose (scale-out): a one-shot service in docker-compose.yml next to
  the replicas, started by the host's cron. The Rasa image has SQLAlchemy and
  psycopg2 but not scripts/, so mount it:
      purge:
        <<: *rasa
        profiles: ["maintenance"]      # not started by `docker compose up`
        restart: "no"
        volumes: ["./scripts:/app/scripts:ro"]
        entrypoint: ["python", "-m", "scripts.purge"]
        command: ["--endpoints", "endpoints-cluster.yml"]
  and in the host's crontab:
      17 3 * * * cd /srv/vssid && docker compose run --rm purge
  (the cluster replicas read every turn from PostgreSQL, so they notice
  nothing).

The single-machine bot keeps recently saved trackers in memory
(addons.tracker_store.CachedSQLTrackerStore), but it checks the stored row
count before using one, so a purged conversation is never written back and
the bot need not be restarted (tests/test_tracker_cache.py).
"""

from __future__ import annotations

import argparse
import datetime
import os
import pathlib
import re
import sys
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import sqlalchemy as sa
import yaml

DEFAULT_DAYS = 30
DEFAULT_ENDPOINTS = "endpoints.yml"
DAY = 86400.0

# Conversations whose last event is before the cutoff.
EXPIRED = "SELECT sender_id FROM events GROUP BY sender_id HAVING MAX(timestamp) < :cutoff"
COUNT = f"SELECT COUNT(DISTINCT sender_id), COUNT(*) FROM events WHERE sender_id IN ({EXPIRED})"
DELETE = f"DELETE FROM events WHERE sender_id IN ({EXPIRED})"


class PurgeError(Exception):
    """Settings or database unusable: exit code 2 with this one-line message."""


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


# Endpoints file -----------------------------------------------------------------

# Rasa's rule (rasa.shared.utils.io.replace_environment_variables): a plain
# scalar containing ${...} is expanded with os.path.expandvars, and a variable
# left unexpanded is an error. Here only the tracker_store section is expanded,
# so the action server's token need not be set to purge.
_ENV_VAR = re.compile(r"^(.*)\$\{(.*)\}(.*)$")


class _EnvScalar(str):
    """A plain YAML scalar with ${VARS}, expanded only where it is used."""


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_implicit_resolver("!env_var", _ENV_VAR, None)
_Loader.add_constructor("!env_var", lambda loader, node: _EnvScalar(loader.construct_scalar(node)))


def _expand(value, unset: list[str]):
    """The value with its ${VARS} expanded; names of unset variables go to `unset`."""
    if isinstance(value, dict):
        return {key: _expand(item, unset) for key, item in value.items()}
    if isinstance(value, list):
        return [_expand(item, unset) for item in value]
    if isinstance(value, _EnvScalar):
        expanded = os.path.expandvars(value)
        unset += [w.strip("${}") for w in expanded.split() if w.startswith("$") and w in value]
        return str(expanded)
    return value


def endpoints_url(endpoints: str | os.PathLike) -> sa.engine.URL:
    """The SQLAlchemy URL of the tracker store the endpoints file configures,
    built as SQLTrackerStore.get_db_url builds it (`url` is the host)."""
    try:
        text = pathlib.Path(endpoints).read_text(encoding="utf-8")
    except OSError as error:
        raise PurgeError(f"cannot read {endpoints}: {error.strerror}") from None
    try:
        content = yaml.load(text, Loader=_Loader) or {}
    except yaml.YAMLError as error:
        first = str(error).strip().splitlines()[0]
        raise PurgeError(f"{endpoints} is not valid YAML: {first}") from None
    store = content.get("tracker_store") if isinstance(content, dict) else None
    if not isinstance(store, dict):
        raise PurgeError(
            f"{endpoints} has no tracker_store section: Rasa keeps conversations in "
            "memory only, there is nothing to purge"
        )
    kind = str(store.get("type") or "")
    if kind.lower() != "sql" and not kind.rsplit(".", 1)[-1].endswith("SQLTrackerStore"):
        raise PurgeError(
            f"{endpoints}: tracker_store type {kind or '(none)'!r} is not an SQL tracker "
            "store; scripts.purge handles SQLTrackerStore (table events) only"
        )
    unset: list[str] = []
    store = _expand(store, unset)
    if unset:
        names = ", ".join(dict.fromkeys(unset))
        raise PurgeError(f"{endpoints} tracker_store: environment variable not set: {names}")
    host, port = store.get("url"), store.get("port")
    if host and "://" in str(host):
        return _parse_url(str(host))
    if host:  # the port may be part of `url`, as Rasa accepts it
        parsed = urlsplit(f"scheme://{host}")
        port, host = parsed.port or port, parsed.hostname or host
    try:
        port = int(port) if port not in (None, "") else None
    except ValueError:
        raise PurgeError(f"{endpoints} tracker_store: port {port!r} is not a number") from None

    def text_or_none(key: str, default: str | None = None) -> str | None:
        value = store.get(key, default)
        return None if value is None else str(value)

    # The events live in `db`: with `login_db`, Rasa only logs in there to create `db`.
    return sa.engine.URL.create(
        text_or_none("dialect", "sqlite"),
        username=text_or_none("username"),
        password=text_or_none("password"),
        host=None if host is None else str(host),
        port=port,
        database=text_or_none("db", "rasa.db"),
        query=dict(store.get("query") or {}),
    )


def _parse_url(text: str) -> sa.engine.URL:
    try:
        return sa.engine.make_url(text)
    except sa.exc.ArgumentError:
        raise PurgeError(f"not a database URL: {text!r}") from None


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


# Command line --------------------------------------------------------------------


def _days(text: str) -> int:
    try:
        days = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number of days: {text!r}") from None
    if days < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1 day, not {days}")
    return days


def _size(size: int) -> str:
    return f"{size:,} bytes" if size < 1024 * 1024 else f"{size / 1024 / 1024:,.1f} MB"


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def report(result: Result, days: int, where: str) -> str:
    if result.note:
        return result.note
    cutoff = datetime.datetime.fromtimestamp(result.cutoff, datetime.timezone.utc)
    lines = [
        f"Retention {_count(days, 'day')}: conversations whose last event "
        f"is before {cutoff:%Y-%m-%d %H:%M} UTC ({where})."
    ]
    found = f"{_count(result.conversations, 'conversation')} ({_count(result.events, 'event')})"
    if result.dry_run:
        lines.append(f"Dry run: would delete {found}; nothing changed.")
    else:
        lines.append(f"Deleted {found}.")
    if result.size_before is not None:
        before, after = _size(result.size_before), _size(result.size_after)
        if result.dry_run or (result.events == 0 and result.size_after == result.size_before):
            lines.append(f"{result.path}: {before}, unchanged.")
        else:
            lines.append(f"{result.path}: {before} before, {after} after VACUUM.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.purge",
        description="Deletes conversations whose last event is older than N days.",
    )
    parser.add_argument(
        "--days",
        type=_days,
        help=f"retention in days (default: $RETENTION_DAYS, else {DEFAULT_DAYS})",
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--endpoints",
        default=DEFAULT_ENDPOINTS,
        help="Rasa endpoints file whose tracker_store to purge (default: %(default)s)",
    )
    source.add_argument("--db-url", help="SQLAlchemy URL of the tracker store instead")
    parser.add_argument("--dry-run", action="store_true", help="count only, delete nothing")
    args = parser.parse_args(argv)
    days = args.days
    if days is None:
        try:
            days = _days(os.environ.get("RETENTION_DAYS") or str(DEFAULT_DAYS))
        except argparse.ArgumentTypeError as error:
            parser.error(f"RETENTION_DAYS: {error}")
    try:
        url = _parse_url(args.db_url) if args.db_url else endpoints_url(args.endpoints)
        result = purge(url, days, dry_run=args.dry_run)
    except PurgeError as error:
        print(f"purge: {error}", file=sys.stderr)
        return 2
    print(report(result, days, _shown(url)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
