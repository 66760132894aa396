"""Call records: the dialplan's report read strictly, events applied in any order, words for a supervisor,
and a writer that loses nothing while the database is locked or down."""

from __future__ import annotations

import os
import sqlite3
import time
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from kernel.db import connect, make_engine
from routing.plan import CallContext, Location
from routing.records.explain import explain
from routing.records.report import ReportError, outcome_event, parse_report, plan_event
from routing.records.store import apply_event, find_call
from routing.records.writer import RecordKeeper, RecordSpool, RecordWriter, records_engine
from routing.router import Router, RoutingPolicy
from tests.routing.builders import FACILITIES, toy_tables
from tests.unit.builders import FixedRoster, at, duty, toy_region

START = 1795396110.5
CALL = f"v1|{START}|{START + 12.0}|emergency|119|0247000003|ok"
ATTEMPTS = (
    f"1|PJSIP/mid-op|{START + 0.1}|{START + 4.2}|NOANSWER||;"
    f"2|PJSIP/far-op|{START + 4.3}|{START + 12.0}|ANSWER|7700|6500;"
)


def plan():  # type: ignore[no-untyped-def]
    duties = [duty(f, "malam", "2026-11-22") for f in ("mid", "far")]
    router = Router(toy_region(FACILITIES), FixedRoster(duties), RoutingPolicy("dispatch-desk"), toy_tables())
    ctx = CallContext("siaga-1795396110.4", "0247000003", "119", "emergency", at("2026-11-23T02:00+07:00"))
    return router.decide(ctx, Location(-7.0, 110.37, "directory", None, "test house"))


def test_report_reads_attempts_and_ring_times() -> None:
    report = parse_report("siaga-1.2", CALL, ATTEMPTS)
    first, second = report.attempts
    assert (first.endpoint, first.outcome, first.ring_s) == ("mid-op", "no answer", 4.1)
    assert (second.endpoint, second.outcome, second.ring_s, second.answered) == (
        "far-op",
        "answered",
        1.2,
        True,
    )
    assert report.route_status == "ok"


@pytest.mark.parametrize(
    ("call", "attempts", "field"),
    [
        ("v2|1|2|emergency|119|0|ok", "", "call"),
        (f"v1|{START}|{START}|emergency|119|024;EXEC|ok", "", "caller"),
        (f"v1|{START}|{START}|emergency|119|0247|maybe", "", "route"),
        (f"v1|yesterday|{START}|emergency|119|0247|ok", "", "start"),
        (CALL, f"1|Local/x@ctx|{START}|{START}|ANSWER||;", "dial"),
        (CALL, f"1|PJSIP/a|{START}|{START}|ANSWER|12x|;", "DIALEDTIME_MS"),
        (CALL, f"99|PJSIP/a|{START}|{START}|ANSWER||;", "n"),
    ],
)
def test_report_fields_are_checked_by_name(call: str, attempts: str, field: str) -> None:
    with pytest.raises(ReportError, match=field):
        parse_report("siaga-1.2", call, attempts)


@pytest.mark.parametrize("order", ["plan first", "outcome first"])
def test_events_apply_in_either_order(db_url: str, tmp_path: Path, order: str) -> None:
    engine = make_engine(db_url)
    the_plan = plan()
    events = [
        plan_event(the_plan, START),
        outcome_event(parse_report(the_plan.call_id, CALL, ATTEMPTS), "dispatch-desk"),
    ]
    if order == "outcome first":
        events.reverse()
    for event in events:
        with Session(engine) as session, session.begin():
            apply_event(session, event)
    with Session(engine) as session:
        record = find_call(session, the_plan.call_id)
        assert record is not None
        assert (record.location_source, record.area_code, record.route_status) == (
            "directory",
            "33.74.01",
            "ok",
        )
        assert [(a.n, a.facility, a.outcome) for a in record.attempts] == [
            (1, "mid", "no answer"),
            (2, "far", "answered"),
        ]
        assert (record.answered_by, record.answered_attempt, record.time_to_answer_s) == ("far-op", 2, 5.5)
        text = explain(record, ZoneInfo("Asia/Jakarta"))
    assert "Answered by Puskesmas far (far-op) 5.5 s after the call arrived, on the second attempt" in text
    assert "because Puskesmas mid did not answer" in text
    assert "from the caller directory" in text


def test_a_call_the_engine_never_saw_still_gets_a_record(db_url: str, tmp_path: Path) -> None:
    engine = make_engine(db_url)
    call = f"v1|{START}|{START + 3}|emergency|119|0247000006|failed"
    attempts = f"1|PJSIP/dispatch-desk|{START + 0.1}|{START + 3}|ANSWER|2900|2000;"
    with Session(engine) as session, session.begin():
        apply_event(session, outcome_event(parse_report("siaga-9.9", call, attempts), "dispatch-desk"))
    with Session(engine) as session:
        record = find_call(session, "siaga-9.9")
        assert record is not None
        assert (record.route_status, record.caller, record.answered_facility) == (
            "engine unreachable",
            "0247000006",
            "dispatcher",
        )
        assert "could not be reached" in explain(record, ZoneInfo("Asia/Jakarta"))


def _events(n: int) -> list[dict]:  # type: ignore[type-arg]
    base = plan()
    return [
        outcome_event(
            parse_report(f"siaga-{i}.1", CALL.replace("0247000003", f"02470000{i:02d}"), ATTEMPTS), "d"
        )
        for i in range(n)
    ] + [plan_event(base, START)]


def _count(url: str) -> int:
    engine = connect(url)  # the schema as it is: no engine of ours made it yet in some tests
    try:
        with engine.connect() as conn:
            return int(conn.exec_driver_sql("select count(*) from call_record").scalar_one())
    finally:
        engine.dispose()


def _wait_written(writer: RecordWriter, timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not writer.pending() and writer.failures == 0:
            return True
        time.sleep(0.05)
    return False


def test_records_wait_while_the_database_is_locked_and_land_after(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'r.db'}"
    make_engine(url).dispose()
    spool = RecordSpool(tmp_path / "spool")
    writer = RecordWriter(spool.directory, lambda: records_engine(url, 0.2), retry_s=0.1, max_retry_s=0.3)
    locker = sqlite3.connect(tmp_path / "r.db", isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    writer.start_thread()
    try:
        started = time.monotonic()
        for event in _events(5):
            spool.append(event)
        assert time.monotonic() - started < 0.05, "appending must never wait for the database"
        time.sleep(1.0)
        assert writer.failures > 0
        assert writer.pending(), "the events are still in the spool"
        locker.execute("ROLLBACK")
        assert _wait_written(writer)
        assert _count(url) == 6
    finally:
        locker.close()
        writer.stop()


def test_records_wait_while_the_database_is_down_and_land_after(tmp_path: Path) -> None:
    blocker = tmp_path / "db"
    blocker.write_text("not a directory")  # the database's folder cannot be created: "down"
    url = f"sqlite:///{blocker / 'r.db'}"
    spool = RecordSpool(tmp_path / "spool")
    writer = RecordWriter(spool.directory, lambda: records_engine(url), retry_s=0.1, max_retry_s=0.3)
    writer.start_thread()
    try:
        for event in _events(3):
            spool.append(event)
        time.sleep(0.6)
        assert writer.failures > 0
        blocker.unlink()  # the database comes back
        assert _wait_written(writer)
        assert _count(url) == 4
    finally:
        writer.stop()


def test_a_dead_workers_spool_is_finished_and_removed(db_url: str, tmp_path: Path) -> None:
    url = db_url
    spool_dir = tmp_path / "spool"
    pid = os.fork()
    if pid == 0:  # a worker that spools its events and dies before any writer runs
        keeper = RecordKeeper(spool_dir, lambda: make_engine(url))
        for event in _events(1):
            keeper.append(event)
        os._exit(0)
    os.waitpid(pid, 0)
    assert len(list(spool_dir.glob("spool-*.jsonl"))) == 1
    writer = RecordWriter(spool_dir, lambda: records_engine(url))
    assert writer.drain_once()
    assert _count(url) == 2
    assert list(spool_dir.glob("spool-*.jsonl")) == []


def test_a_live_spool_is_read_as_it_grows_and_rotated_files_are_removed(db_url: str, tmp_path: Path) -> None:
    url = db_url
    spool = RecordSpool(tmp_path / "spool", max_bytes=1000)
    writer = RecordWriter(spool.directory, lambda: records_engine(url))
    events = _events(4)
    spool.append(events[0])
    assert writer.drain_once() and _count(url) == 1
    assert len(list(spool.directory.glob("*.jsonl"))) == 1, "the live file stays"
    for item in events[1:]:
        spool.append(item)
    writer.drain_once()
    assert _count(url) == 5
    assert spool.path is not None and not spool.path.name.endswith("-1.jsonl"), "the spool rotated"
    assert len(list(spool.directory.glob("*.jsonl"))) <= 1, "rotated files are deleted once read"


def test_the_writer_process_writes_and_stops(db_url: str, tmp_path: Path) -> None:
    url = db_url
    keeper = RecordKeeper(tmp_path / "spool", lambda: records_engine(url), retry_s=0.1)
    keeper.start_writer()
    try:
        for item in _events(2):
            keeper.append(item)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and _count_or_zero(url) < 3:
            time.sleep(0.05)
        assert _count_or_zero(url) == 3
    finally:
        keeper.stop_writer()
    assert keeper.writer_pid is None


def _count_or_zero(url: str) -> int:
    try:
        return _count(url)
    except DBAPIError:
        return 0


def test_a_call_record_keeps_the_earlier_plan_when_the_ivr_replanned(db_url: str, tmp_path: Path) -> None:
    engine = make_engine(db_url)
    first = plan()
    later = plan()
    later.targets.pop(0)
    for the_plan in (first, later):
        with Session(engine) as session, session.begin():
            apply_event(session, plan_event(the_plan, START))
    with Session(engine) as session:
        record = find_call(session, first.call_id)
        assert record is not None and '"earlier"' in record.plan_json


def test_time_to_answer_counts_from_arrival() -> None:
    report = parse_report("siaga-1.2", CALL, ATTEMPTS)
    answered = report.attempts[1]
    assert answered.started + (answered.ring_s or 0) - report.started == pytest.approx(5.5)
    assert timedelta(seconds=5.5).total_seconds() == 5.5


def test_a_writer_pass_while_a_spool_file_is_being_opened_loses_nothing(db_url: str,
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A writer pass can run between a worker creating its spool file and locking it. Before the fix the
    writer found the new file unlocked and empty, took it for abandoned and deleted it; the worker then
    appended its records to a file that was gone."""
    import fcntl

    from routing.records import writer as writer_module

    url = db_url
    spool = RecordSpool(tmp_path / "spool")
    writer = RecordWriter(spool.directory, lambda: records_engine(url))
    real_flock = fcntl.flock
    raced: list[bool] = []

    def flock_after_a_writer_pass(fd: int, operation: int) -> None:
        if not raced:
            raced.append(writer.drain_once())  # the writer's pass lands in the window
        real_flock(fd, operation)

    monkeypatch.setattr(writer_module.fcntl, "flock", flock_after_a_writer_pass)
    for event in _events(3):
        spool.append(event)
    monkeypatch.setattr(writer_module.fcntl, "flock", real_flock)
    spool.close()
    assert raced, "the race was exercised"
    writer.drain_once()
    assert _count(url) == 4


def test_each_database_has_its_own_spool_folder(tmp_path: Path) -> None:
    """Records spooled for one database and left at `siaga down` must never be written into another."""
    from kernel.settings import Settings

    first = Settings(data_dir=tmp_path)
    second = Settings(data_dir=tmp_path, db=f"sqlite:///{tmp_path / 'other.db'}")
    assert first.records_spool != second.records_spool
    assert first.records_spool == Settings(data_dir=tmp_path).records_spool
    assert first.records_spool.parent == second.records_spool.parent
