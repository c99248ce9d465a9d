"""Deletes conversations nobody has used for N days (default 30) from the
tracker store, SQLite (single-machine profile, rasa.db) or PostgreSQL
(scale-out profile).

    .venv/bin/python -m scripts.purge [--days N] [--endpoints endpoints.yml]
                                      [--db-url URL] [--dry-run]

This module is the command line; the work is split beside it, and its names
stay importable from here (``purge``, ``Result``, ``PurgeError``,
``endpoints_url``, ``DEFAULT_DAYS``):
- scripts/purge_db.py: what it deletes (every `events` row of each
  conversation whose last event is older than the cutoff, in one transaction;
  a conversation still in use keeps every event) and the VACUUM on SQLite;
- scripts/purge_settings.py: which database, from the endpoints file read the
  way Rasa reads it, or a URL.

It prints how many conversations and events it removed (never which sender
ids) and, for SQLite, the file size before and after. --dry-run only counts.

Why: Decree 13/2023/NĐ-CP on personal data protection (Nghị định 13/2023/NĐ-CP
về bảo vệ dữ liệu cá nhân) and the 2025 Law on Personal Data Protection (Luật
Bảo vệ dữ liệu cá nhân 2025) require personal data to be deleted once the
purpose it was collected for is over. A conversation serves the user while they
are asking; RETENTION_DAYS (30 unless the operator sets it) is how long we keep
it after their last message.

Settings: the tracker_store section of the endpoints file (default
endpoints.yml: rasa.db in the current directory; how it is read, ${VARS}
included: scripts/purge_settings.py), or a SQLAlchemy URL with --db-url.
--days, else RETENTION_DAYS, else 30. Exit code 0 on success (also when
rasa.db does not exist yet), 2 with a one-line message when the settings are
wrong or the database is unreachable.

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
import sys

from scripts.purge_db import (
    COUNT,
    DAY,
    DEFAULT_DAYS,
    DELETE,
    EXPIRED,
    Result,
    _shown,
    purge,
)
from scripts.purge_settings import PurgeError, _parse_url, endpoints_url

__all__ = [
    "COUNT",
    "DAY",
    "DEFAULT_DAYS",
    "DEFAULT_ENDPOINTS",
    "DELETE",
    "EXPIRED",
    "PurgeError",
    "Result",
    "endpoints_url",
    "main",
    "purge",
    "report",
]

DEFAULT_ENDPOINTS = "endpoints.yml"


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
