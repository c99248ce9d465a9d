"""CachedSQLTrackerStore: answers from memory, never diverges from the database."""

import asyncio
import pathlib

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered

from addons.tracker_store import CachedSQLTrackerStore, StrictSQLTrackerStore

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOMAIN = Domain.load(str(ROOT / "domain.yml"))


def run(coroutine):
    return asyncio.run(coroutine)


def turn(tracker, text="xin chào"):
    tracker.update(UserUttered(text, {"name": "greet", "confidence": 1.0}))
    tracker.update(ActionExecuted("utter_greet"))
    tracker.update(BotUttered("Chào bạn"))
    tracker.update(ActionExecuted("action_listen"))


def new_session(tracker):
    tracker.update(ActionExecuted("action_session_start"))
    tracker.update(SessionStarted())
    tracker.update(ActionExecuted("action_listen"))


@pytest.fixture
def db(tmp_path):
    return str(tmp_path / "rasa.db")


def stored(db, sender="u"):
    """What a fresh, uncached process would load: the database's truth."""
    fresh = StrictSQLTrackerStore(DOMAIN, dialect="sqlite", db=db)
    return [e.as_dict() for e in run(fresh.retrieve_full_tracker(sender)).events]


def test_saved_tracker_is_served_from_memory_and_matches_the_database(db):
    store = CachedSQLTrackerStore(DOMAIN, dialect="sqlite", db=db)
    tracker = run(store.get_or_create_tracker("u"))
    new_session(tracker)
    turn(tracker)
    run(store.save(tracker))  # started a session: not cached
    loaded = run(store.retrieve("u"))
    assert loaded is not tracker
    turn(loaded, "đổi mật khẩu")
    run(store.save(loaded))
    assert run(store.retrieve("u")) is loaded  # from memory
    turn(loaded, "tiếp")  # saved over a cached entry: its row count is derived, not counted
    run(store.save(loaded))
    assert run(store.retrieve("u")) is loaded
    assert [e.as_dict() for e in loaded.events] == stored(db)[-len(loaded.events) :]


def test_unsaved_changes_are_not_served(db):
    store = CachedSQLTrackerStore(DOMAIN, dialect="sqlite", db=db)
    tracker = run(store.get_or_create_tracker("u"))
    run(store.save(tracker))
    cached = run(store.retrieve("u"))
    assert cached is tracker
    turn(cached)  # a turn that failed before its save
    again = run(store.retrieve("u"))
    assert again is not cached and len(again.events) == len(stored(db))


def test_new_session_does_not_duplicate_events(db):
    store = CachedSQLTrackerStore(DOMAIN, dialect="sqlite", db=db)
    tracker = run(store.get_or_create_tracker("u"))
    new_session(tracker)
    turn(tracker)
    run(store.save(tracker))
    tracker = run(store.retrieve("u"))
    turn(tracker)
    run(store.save(tracker))
    tracker = run(store.retrieve("u"))  # cached; now the session expires
    new_session(tracker)
    turn(tracker, "tiếp")
    run(store.save(tracker))
    reloaded = run(store.retrieve("u"))  # only the new session, from the database
    assert reloaded is not tracker and len(reloaded.events) < len(tracker.events)
    tracker = reloaded
    turn(tracker, "nhắc lại")
    run(store.save(tracker))
    texts = [e["text"] for e in stored(db) if e["event"] == "user"]
    assert texts == ["xin chào", "xin chào", "tiếp", "nhắc lại"]


def test_cache_is_bounded(db):
    store = CachedSQLTrackerStore(DOMAIN, dialect="sqlite", db=db, cache_size=2)
    for sender in "abc":
        run(store.save(run(store.get_or_create_tracker(sender))))
    assert list(store._cache) == ["b", "c"]
    assert run(store.retrieve("a")).sender_id == "a"  # still in the database


def test_a_conversation_deleted_behind_the_cache_is_never_written_back(db):
    import sqlite3

    store = CachedSQLTrackerStore(DOMAIN, dialect="sqlite", db=db)
    tracker = run(store.get_or_create_tracker("u"))
    new_session(tracker)
    turn(tracker, "mã số bhxh 7932200150")
    run(store.save(tracker))
    tracker = run(store.retrieve("u"))
    turn(tracker)
    run(store.save(tracker))  # now cached
    with sqlite3.connect(db) as connection:  # make purge / an erasure on request
        connection.execute("DELETE FROM events WHERE sender_id = 'u'")
    tracker = run(store.retrieve("u"))
    assert tracker is None or not any(
        getattr(e, "text", None) == "mã số bhxh 7932200150" for e in tracker.events
    )
    tracker = run(store.get_or_create_tracker("u"))
    turn(tracker, "xin chào lại")
    run(store.save(tracker))
    assert "mã số bhxh 7932200150" not in str(stored(db))
