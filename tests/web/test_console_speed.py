"""What the console's speed rests on (issue 16, point 6) keeps its meaning: the session check outside the
request's transaction still sees a logout at once (no per-worker cache), the transaction that ends in
the event loop still commits and rolls back, the national answer-time sums made in SQL equal the ones
made row by row, and a burst of requests makes them once."""

from __future__ import annotations

import threading
import time
from datetime import date, datetime
from types import SimpleNamespace

import pytest
from anyio import to_thread
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from kernel.db import make_engine
from kernel.settings import Settings
from siaga.console import WORKER_THREADS, with_worker_threads
from tests.web.conftest import PASSWORDS, no_asterisk
from tests.web.test_api_calls import DAY, calls  # noqa: F401  (fixture)
from web.access import SessionReader, add_user
from web.app import build_services, create_app
from web.calls.services import CallFilter, CallsService, ShiftFigures
from web.deps import Db
from web.directory.services import Registrations
from web.model import WebUser


def _app(settings: Settings) -> FastAPI:
    return create_app(settings, build_services(settings, registrations=Registrations(no_asterisk)))


def test_a_logout_on_one_worker_is_seen_by_another_at_once(settings: Settings) -> None:
    """Two apps on one database stand for two `siaga web` workers: each checks the session itself."""
    first, second = TestClient(_app(settings)), TestClient(_app(settings))
    answer = first.post("/api/login", json={"name": "kota", "password": PASSWORDS["kota"]})
    token = first.cookies.get("siaga_session")
    assert answer.status_code == 200 and token
    second.cookies.set("siaga_session", token)
    assert second.get("/api/me").json()["name"] == "kota"
    out = first.post("/api/logout", headers={"X-CSRF-Token": answer.json()["csrf_token"]})
    assert out.status_code == 204
    assert second.get("/api/me").status_code == 401


def test_the_session_reader_reconnects_after_losing_its_connection(settings: Settings) -> None:
    engine = make_engine(settings.db_url)
    reader = SessionReader()
    assert reader.principal(engine, "no-such-token") is None
    reader._connection.close()  # type: ignore[union-attr]  # as a server restart would leave it
    assert reader.principal(engine, "no-such-token") is None
    reader.close()


def test_the_request_transaction_commits_a_write_and_rolls_back_a_failure(settings: Settings) -> None:
    engine = make_engine(settings.db_url)
    app = FastAPI()
    app.state.services = SimpleNamespace(engine=engine)
    known = {"33.74"}

    @app.post("/ok")
    def ok(db: Db) -> dict:
        add_user(db, "written", "viewer", [], "password-123", known)
        return {}

    @app.post("/fails")
    def fails(db: Db) -> dict:
        add_user(db, "not-written", "viewer", [], "password-123", known)
        db.flush()
        raise RuntimeError("the handler failed after writing")

    @app.get("/reads")
    def reads(db: Db) -> dict:
        return {"users": len(db.scalars(select(WebUser)).all())}

    client = TestClient(app, raise_server_exceptions=False)
    assert client.post("/ok").status_code == 200
    assert client.post("/fails").status_code == 500
    assert client.get("/reads").status_code == 200
    with Session(engine) as session:
        names = set(session.scalars(select(WebUser.name)))
    assert "written" in names and "not-written" not in names


def test_national_figures_summed_in_sql_equal_the_kabupaten_rows(login, calls: Settings) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    """Every recorded call is in Kota Semarang: the country's sums (one SQL statement) and the
    kabupaten's (rows read through two index branches, summed in Python) must agree."""
    national = login("viewer").get("/api/calls/figures", params={"date": DAY.isoformat()}).json()
    kota = login("kota").get("/api/calls/figures", params={"date": DAY.isoformat()}).json()
    assert national == kota
    pagi = next(s for s in national["shifts"] if s["shift"] == "pagi")
    assert (pagi["calls"], pagi["answered"], pagi["within_15s"], pagi["within_20s"]) == (3, 2, 1, 2)
    assert pagi["mean_answer_s"] == pytest.approx(14.0, abs=0.05)


class _SlowCounts(CallsService):
    """The real sums, slowed down and counted, to see how many requests make them."""

    counted = 0

    def _count_figures(self, session: Session, f: CallFilter, day: date, now: datetime) -> list[ShiftFigures]:
        type(self).counted += 1
        time.sleep(0.3)
        return super()._count_figures(session, f, day, now)


def test_a_burst_of_requests_counts_the_figures_once(calls: Settings) -> None:  # noqa: F811
    services = build_services(calls)
    counting = _SlowCounts(services.places)
    _SlowCounts.counted = 0
    engine = make_engine(calls.db_url)
    f = CallFilter(day=DAY)
    answers: list[list[ShiftFigures]] = []

    def ask() -> None:
        with Session(engine) as session:
            answers.append(counting.figures(session, f, datetime.now().astimezone()))

    threads = [threading.Thread(target=ask) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(answers) == 6 and _SlowCounts.counted == 1
    assert all(a is answers[0] for a in answers)
    assert sum(s.calls for s in answers[0]) == 4


def test_the_console_serves_with_its_own_thread_pool_size() -> None:
    app = FastAPI()

    @app.get("/threads")
    async def threads() -> dict:
        return {"threads": to_thread.current_default_thread_limiter().total_tokens}

    with TestClient(with_worker_threads(app)) as client:  # `with`: the app's lifespan runs
        assert client.get("/threads").json()["threads"] == WORKER_THREADS < 40


def test_old_figures_are_answered_at_once_while_new_ones_are_counted_apart(calls: Settings) -> None:  # noqa: F811
    counting = _SlowCounts(build_services(calls).places, figures_ttl_s=0.05)
    _SlowCounts.counted = 0
    engine = make_engine(calls.db_url)
    f = CallFilter(day=DAY)
    with Session(engine) as session:
        first = counting.figures(session, f, datetime.now().astimezone())  # the first count is waited for
        time.sleep(0.1)  # now older than figures_ttl_s
        asked = time.monotonic()
        again = counting.figures(session, f, datetime.now().astimezone())
        assert again is first and time.monotonic() - asked < 0.2  # not the 0.3 s of a count
        deadline = time.monotonic() + 10
        while counting.figures(session, f, datetime.now().astimezone()) is first:
            assert time.monotonic() < deadline, "the figures were never counted again"
            time.sleep(0.05)
    assert _SlowCounts.counted >= 2
