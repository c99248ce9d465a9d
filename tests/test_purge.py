"""scripts/purge.py: conversations idle for N days leave the tracker store,
conversations still in use keep every event and keep working, on SQLite and on
a real loopback PostgreSQL (scripts/cluster_stack.py's, about 3 s to start).

Conversations are written through Rasa's own SQLTrackerStore, with event
timestamps set in the past, so the purge meets the rows Rasa really writes.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import pathlib
import sqlite3
import subprocess
import sys
import tempfile
import time

import pytest
import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from scripts import cluster_stack, purge

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOMAIN = Domain.load(str(ROOT / "domain.yml"))
DAY = 86400
NOW = time.time()

# sender -> age in days of each turn (oldest first); the last one decides.
IDLE = {"old-ancient": [400, 399], "old-month": [45, 31]}
IN_USE = {
    "new-today": [0.01],
    "new-month": [29],
    "revived": [90, 60, 2],  # old turns, but used 2 days ago: keeps all of them
}


def run(coroutine):
    return asyncio.run(coroutine)


def save_conversation(store, sender, ages, text="Số sổ BHXH của tôi là 0123456789", each=True):
    """One turn (user message, bot answer) per age, saved after each turn as Rasa does."""
    tracker = DialogueStateTracker(sender, DOMAIN.slots)
    start = NOW - ages[0] * DAY
    tracker.update(ActionExecuted("action_session_start", timestamp=start))
    tracker.update(SessionStarted(timestamp=start))
    tracker.update(ActionExecuted("action_listen", timestamp=start))
    for age in ages:
        when = NOW - age * DAY
        intent = {"name": "ask_find_bhxh_number", "confidence": 1.0}
        tracker.update(UserUttered(text, intent, timestamp=when))
        tracker.update(BotUttered("Bạn tra mã số BHXH trong ứng dụng VssID.", timestamp=when + 1))
        if each:
            run(store.save(tracker))
    run(store.save(tracker))
    return tracker


def fill(store) -> dict[str, list[dict]]:
    """Saves the IDLE and IN_USE conversations; returns every stored event of each."""
    for sender, ages in {**IDLE, **IN_USE}.items():
        save_conversation(store, sender, ages)
    return {sender: events(store, sender) for sender in {**IDLE, **IN_USE}}


def events(store, sender) -> list[dict] | None:
    tracker = run(store.retrieve_full_tracker(sender))
    return None if tracker is None else [event.as_dict() for event in tracker.events]


def assert_only_in_use_remain(store, before, result=None):
    assert sorted(run(store.keys())) == sorted(IN_USE)
    for sender in IDLE:
        assert run(store.retrieve(sender)) is None
    for sender in IN_USE:
        assert events(store, sender) == before[sender], sender  # every event, untouched
    if result is not None:
        assert result.conversations == len(IDLE)
        assert result.events == sum(len(before[sender]) for sender in IDLE)


def assert_still_usable(store, sender="revived"):
    """A kept conversation loads through SQLTrackerStore.retrieve, grows, and saves."""
    tracker = run(store.retrieve(sender))
    assert tracker is not None and tracker.latest_message.text.startswith("Số sổ BHXH")
    stored = events(store, sender)
    tracker.update(UserUttered("cảm ơn", {"name": "thank", "confidence": 1.0}))
    tracker.update(BotUttered("Không có gì ạ."))
    run(store.save(tracker))
    now = events(store, sender)
    assert now[: len(stored)] == stored
    assert [e["event"] for e in now[len(stored) :]] == ["user", "bot"]
    assert run(store.retrieve(sender)).latest_message.text == "cảm ơn"


def cli(*args, env=None, drop=()):
    """`python -m scripts.purge ARGS` from the repo root: this environment plus
    `env`, without the variables named in `drop`."""
    environment = {name: value for name, value in os.environ.items() if name not in drop}
    return subprocess.run(
        [sys.executable, "-m", "scripts.purge", *args],
        cwd=ROOT,
        env={**environment, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


def sqlite_endpoints(tmp_path, db) -> pathlib.Path:
    """The repo's endpoints.yml with the SQLite file moved: ${ACTION_SERVER_TOKEN} stays."""
    text = (ROOT / "endpoints.yml").read_text(encoding="utf-8")
    assert "\n  db: rasa.db\n" in text
    path = tmp_path / "endpoints.yml"
    path.write_text(text.replace("\n  db: rasa.db\n", f"\n  db: {db}\n"), encoding="utf-8")
    return path


def digest(path) -> str:
    return hashlib.sha256(pathlib.Path(path).read_bytes()).hexdigest()


# SQLite -------------------------------------------------------------------------


@pytest.fixture
def sqlite_store(tmp_path):
    db = tmp_path / "rasa.db"
    store = SQLTrackerStore(DOMAIN, dialect="sqlite", db=str(db))
    yield store, db
    store.engine.dispose()


def test_sqlite_purge_deletes_idle_conversations_only(sqlite_store):
    store, db = sqlite_store
    before = fill(store)
    result = purge.purge(f"sqlite:///{db}", days=30)
    assert_only_in_use_remain(store, before, result)
    assert result.size_after == db.stat().st_size <= result.size_before
    assert_still_usable(store)
    again = purge.purge(f"sqlite:///{db}", days=30)
    assert (again.conversations, again.events) == (0, 0)
    assert sorted(run(store.keys())) == sorted(IN_USE)


def test_cli_reads_the_store_from_the_endpoints_file(sqlite_store, tmp_path):
    store, db = sqlite_store
    before = fill(store)
    endpoints = sqlite_endpoints(tmp_path, db)
    drop = ("ACTION_SERVER_TOKEN", "RETENTION_DAYS")  # the token is not needed to purge
    # RETENTION_DAYS=100: only the 400-day-old conversation is over.
    first = cli("--endpoints", str(endpoints), env={"RETENTION_DAYS": "100"}, drop=drop)
    assert first.returncode == 0, first.stderr
    assert "Deleted 1 conversation (" in first.stdout
    assert sorted(run(store.keys())) == sorted(["old-month", *IN_USE])
    # The default, 30 days.
    second = cli("--endpoints", str(endpoints), drop=drop)
    assert second.returncode == 0, second.stderr
    assert "Retention 30 days" in second.stdout
    assert "Deleted 1 conversation (7 events)." in second.stdout
    assert f"{db}: " in second.stdout and "after VACUUM" in second.stdout
    assert "old-month" not in second.stdout  # sender ids are personal data: never printed
    assert_only_in_use_remain(store, before)
    assert_still_usable(store, "new-month")


def test_vacuum_shrinks_the_file(sqlite_store):
    store, db = sqlite_store
    long_text = "Tôi bị khóa tài khoản VssID, số CCCD 001203004005, số điện thoại 0912345678. " * 4
    for index in range(150):
        save_conversation(store, f"old-{index}", [40] * 10, text=long_text, each=False)
    save_conversation(store, "new", [1, 0.5])
    kept = events(store, "new")
    size = db.stat().st_size
    result = purge.purge(f"sqlite:///{db}", days=30)
    assert result.conversations == 150 and result.events == 150 * 23
    assert result.size_before == size
    assert result.size_after == db.stat().st_size
    assert result.size_after < size / 10, (size, result.size_after)
    connection = sqlite3.connect(db)
    assert connection.execute("PRAGMA freelist_count").fetchone()[0] == 0
    connection.close()
    assert b"0912345678" not in db.read_bytes()  # gone from the disk, not just unlinked
    assert events(store, "new") == kept
    assert_still_usable(store, "new")


def test_dry_run_deletes_nothing(sqlite_store, tmp_path):
    store, db = sqlite_store
    before = fill(store)
    store.engine.dispose()
    fingerprint = digest(db)
    result = purge.purge(f"sqlite:///{db}", days=30, dry_run=True)
    assert result.dry_run
    assert result.conversations == len(IDLE)
    assert result.events == sum(len(before[sender]) for sender in IDLE)
    assert result.size_after == result.size_before == db.stat().st_size
    done = cli("--dry-run", "--endpoints", str(sqlite_endpoints(tmp_path, db)))
    assert done.returncode == 0, done.stderr
    assert f"Dry run: would delete 2 conversations ({result.events} events)" in done.stdout
    assert digest(db) == fingerprint
    assert {sender: events(store, sender) for sender in before} == before


def test_no_database_yet_is_not_an_error(tmp_path):
    db = tmp_path / "rasa.db"
    done = cli("--endpoints", str(sqlite_endpoints(tmp_path, db)))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"no database at {db} yet: nothing to purge"
    assert not db.exists()  # not created by looking


def garbage_file(tmp_path) -> list[str]:
    path = tmp_path / "rasa.db"
    path.write_text("not a database, just text\n" * 100)
    return ["--db-url", f"sqlite:///{path}"]


UNUSABLE = {
    "postgres-port-closed": (
        lambda _: [
            "--db-url",
            f"postgresql://rasa:s3cret-pw@127.0.0.1:{cluster_stack.free_port()}/rasa",
        ],
        "Connection refused",
    ),
    "unset-variables": (
        lambda _: ["--endpoints", "endpoints-cluster.yml"],
        "environment variable not set: POSTGRES_HOST, POSTGRES_PORT, POSTGRES_DB",
    ),
    "garbage-sqlite-file": (garbage_file, "file is not a database"),
    "unknown-dialect": (lambda _: ["--db-url", "nosuchdb://host/db"], "cannot use"),
}


@pytest.mark.parametrize("case", UNUSABLE)
def test_unusable_database_exits_2_with_one_line(case, tmp_path):
    make_args, expected = UNUSABLE[case]
    postgres_vars = [f"POSTGRES_{name}" for name in ("HOST", "PORT", "DB", "USER", "PASSWORD")]
    done = cli(*make_args(tmp_path), drop=postgres_vars)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("purge: ") and expected in lines[0], lines[0]
    assert "Traceback" not in done.stderr and "s3cret-pw" not in done.stderr


def test_endpoints_are_read_like_rasa_reads_them(monkeypatch):
    single = purge.endpoints_url(ROOT / "endpoints.yml")
    rasa = SQLTrackerStore.get_db_url(dialect="sqlite", db="rasa.db")
    assert single.render_as_string(False) == rasa.render_as_string(False) == "sqlite:///rasa.db"
    env = {
        "POSTGRES_HOST": "db.internal",
        "POSTGRES_PORT": "6543",
        "POSTGRES_DB": "rasa",
        "POSTGRES_USER": "rasa",
        "POSTGRES_PASSWORD": "p@ss:w/rd",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    cluster = purge.endpoints_url(ROOT / "endpoints-cluster.yml")
    rasa = SQLTrackerStore.get_db_url(
        "postgresql", "db.internal", 6543, "rasa", "rasa", "p@ss:w/rd"
    )
    assert cluster.render_as_string(False) == rasa.render_as_string(False)
    assert cluster.password == "p@ss:w/rd"


def test_make_purge_runs_the_defaults():
    # Clean of the calling make's settings: `make test` runs this test too.
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE") and k != "MFLAGS"}
    done = subprocess.run(
        ["make", "--no-print-directory", "-n", "purge"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == ".venv/bin/python -m scripts.purge"


# PostgreSQL ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def postgres(tmp_path_factory):
    """A loopback PostgreSQL from scripts/cluster_stack.py (nothing else of the cluster)."""
    missing = [name for name in ("initdb", "postgres") if not cluster_stack.postgres_bin(name)]
    if missing:
        message = f"needs {', '.join(missing)}: apt-get install postgresql"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI installs it: never skip there silently
        pytest.skip(message)
    stack = cluster_stack.Cluster(tmp_path_factory.mktemp("postgres-logs"))
    # In /tmp like Cluster.start(): as root PostgreSQL runs as the postgres user.
    stack.data = pathlib.Path(tempfile.mkdtemp(prefix="vssid-purge-"))
    stack.data.chmod(0o755)
    try:
        stack.start_postgres()
    except BaseException:
        stack.stop()
        raise
    yield stack
    stack.stop()


def database(postgres, name) -> dict:
    """A fresh database on the loopback server; the POSTGRES_* variables naming it."""
    connection = postgres._connect("postgres")
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()
    return {**postgres.env, "POSTGRES_DB": name}


@pytest.fixture
def postgres_store(postgres, request):
    env = database(postgres, f"purge_{request.node.name.lower()}"[:60])
    store = SQLTrackerStore(
        DOMAIN,
        dialect="postgresql",
        host=env["POSTGRES_HOST"],
        port=int(env["POSTGRES_PORT"]),
        db=env["POSTGRES_DB"],
        username=env["POSTGRES_USER"],
        password=env["POSTGRES_PASSWORD"],
    )
    yield store, env
    store.engine.dispose()


def rows(postgres, env) -> dict[str, int]:
    connection = postgres._connect(env["POSTGRES_DB"])
    with connection.cursor() as cursor:
        cursor.execute("SELECT sender_id, COUNT(*) FROM events GROUP BY sender_id")
        counts = dict(cursor.fetchall())
    connection.close()
    return counts


def test_postgres_purge_deletes_idle_conversations_only(postgres, postgres_store, monkeypatch):
    store, env = postgres_store
    before = fill(store)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    url = purge.endpoints_url(ROOT / "endpoints-cluster.yml")  # the scale-out settings
    assert url.get_backend_name() == "postgresql" and url.database == env["POSTGRES_DB"]
    counted = purge.purge(url, days=30, dry_run=True)
    assert (counted.conversations, counted.events) == (
        len(IDLE),
        sum(len(before[sender]) for sender in IDLE),
    )
    assert sorted(rows(postgres, env)) == sorted(before)  # the dry run deleted nothing
    result = purge.purge(url, days=30)
    assert result.size_before is None  # sizes are reported for SQLite only
    assert_only_in_use_remain(store, before, result)
    assert rows(postgres, env) == {sender: len(before[sender]) for sender in IN_USE}
    assert_still_usable(store)


def test_postgres_cli(postgres, postgres_store):
    store, env = postgres_store
    before = fill(store)
    endpoints = ["--endpoints", "endpoints-cluster.yml"]
    dry = cli(*endpoints, "--dry-run", env=env, drop=["ACTION_SERVER_TOKEN"])
    assert dry.returncode == 0, dry.stderr
    assert "Dry run: would delete 2 conversations" in dry.stdout
    assert env["POSTGRES_PASSWORD"] not in dry.stdout
    assert sorted(rows(postgres, env)) == sorted(before)
    done = cli(*endpoints, env=env)
    assert done.returncode == 0, done.stderr
    assert "Deleted 2 conversations" in done.stdout and "VACUUM" not in done.stdout
    assert_only_in_use_remain(store, before)
    assert_still_usable(store, "new-today")
    url = sa.engine.URL.create(
        "postgresql", env["POSTGRES_USER"], "wrong-password", "127.0.0.1",
        int(env["POSTGRES_PORT"]), env["POSTGRES_DB"],
    )  # fmt: skip
    refused = cli("--db-url", url.render_as_string(False))
    assert refused.returncode == 2
    assert len(refused.stderr.strip().splitlines()) == 1
    assert "password authentication failed" in refused.stderr
    assert "wrong-password" not in refused.stderr
