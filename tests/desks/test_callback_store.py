"""The callback tables (desks/callback_store.py) on a real SQLite database: a request stored once, its
tries recorded, its status moved on, and the call record's callback columns kept in step even when the
record is written after the request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from desks.callback_store import CallbackStore
from desks.callbacks import ANSWERED, FAILED, PENDING
from kernel.db import make_engine
from routing.records.model import CallRecord
from routing.records.store import apply_callbacks
from siaga.commands.routing import list_entry

T0 = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
DESK = "konter-semarang"


def _store(url: str) -> CallbackStore:
    return CallbackStore(lambda: make_engine(url))


def _add(store: CallbackStore, call_id: str, at: datetime) -> bool:
    return store.add_request(
        call_id=call_id,
        desk=DESK,
        queue=f"{DESK}--apotek",
        number="081240000050",
        now=at,
        entered_at=at - timedelta(seconds=40),
        position=3,
    )


def test_a_call_asks_once_and_its_tries_move_it_to_answered(db_url: str) -> None:
    store = _store(db_url)
    assert _add(store, "siaga-1.1", T0)
    assert not _add(store, "siaga-1.1", T0 + timedelta(seconds=5)), "a second 1 keeps the first request"
    [open_callback] = store.open_callbacks(set())
    assert (open_callback.desk, open_callback.tries, open_callback.last_try_at) == (DESK, 0, None)
    assert open_callback.entered_at == T0 - timedelta(seconds=40)

    n = store.start_try(open_callback.id, T0 + timedelta(seconds=60))
    assert store.open_callbacks({open_callback.id})[0].placing
    status = store.finish_try(
        open_callback.id,
        n,
        answered=False,
        detail="Originate failed",
        now=T0 + timedelta(seconds=90),
        max_tries=3,
    )
    assert (n, status) == (1, PENDING)
    assert store.open_callbacks(set())[0].last_try_at == T0 + timedelta(seconds=90), (
        "spacing counts from the end"
    )

    n = store.start_try(open_callback.id, T0 + timedelta(seconds=300))
    status = store.finish_try(
        open_callback.id, n, answered=True, detail="", now=T0 + timedelta(seconds=305), max_tries=3
    )
    assert (n, status) == (2, ANSWERED)
    assert store.open_callbacks(set()) == [], "an answered callback is not placed again"
    assert [(t.n, t.outcome) for t in store.tries(open_callback.id)] == [(1, "no answer"), (2, "answered")]


def test_the_last_unanswered_try_fails_the_request(db_url: str) -> None:
    store = _store(db_url)
    _add(store, "siaga-2.1", T0)
    [callback] = store.open_callbacks(set())
    for k in range(3):
        n = store.start_try(callback.id, T0 + timedelta(minutes=k))
        status = store.finish_try(
            callback.id, n, answered=False, detail="", now=T0 + timedelta(minutes=k), max_tries=3
        )
    assert status == FAILED and store.open_callbacks(set()) == []


def test_the_call_record_follows_once_it_exists(db_url: str) -> None:
    store = _store(db_url)
    _add(store, "siaga-3.1", T0)
    [callback] = store.open_callbacks(set())
    n = store.start_try(callback.id, T0 + timedelta(seconds=60))
    store.finish_try(callback.id, n, answered=True, detail="", now=T0 + timedelta(seconds=64), max_tries=3)

    def sync() -> int:
        with Session(store.engine) as session, session.begin():
            done = apply_callbacks(session, store.unsynced())
        return store.mark_synced(done)

    assert sync() == 0, "no call record yet: tried again next round"
    with Session(store.engine) as session, session.begin():
        session.add(CallRecord(call_id="siaga-3.1", caller="081240000050", outcome="callback"))
    assert sync() == 1
    assert store.unsynced() == [], "in step: nothing more to do"
    with Session(store.engine) as session:
        entry = list_entry(session.scalars(select(CallRecord).where(CallRecord.call_id == "siaga-3.1")).one())
    assert entry["callback_requested"] == T0.isoformat()
    assert entry["callback_placed"] == (T0 + timedelta(seconds=60)).isoformat()
    assert entry["callback_answered"] == (T0 + timedelta(seconds=64)).isoformat()
    assert entry["callback_tries"] == 1 and entry["outcome"] == "callback"


def test_a_try_made_while_the_record_was_being_updated_is_synced_again(db_url: str) -> None:
    store = _store(db_url)
    _add(store, "siaga-4.1", T0)
    with Session(store.engine) as session, session.begin():
        session.add(CallRecord(call_id="siaga-4.1", caller="081240000050", outcome="callback"))
    [callback] = store.open_callbacks(set())
    read = store.unsynced()
    store.start_try(callback.id, T0 + timedelta(seconds=60))  # between reading and marking
    with Session(store.engine) as session, session.begin():
        done = apply_callbacks(session, read)
    assert store.mark_synced(done) == 0, "the record shows no try yet: not in step"
    [again] = store.unsynced()
    assert again.tries == 1 and again.placed_at == (T0 + timedelta(seconds=60)).replace(tzinfo=None)
