"""Faults on the real chain, under load: after each, every call reached a human and has its record.

The engine killed, hung and restarted; its record writer, AstDB report collector and roster scheduler
killed (the engine's supervisor restarts them as it does its AGI workers); the database locked, removed
and put back; Asterisk restarted with reports waiting in AstDB; a phone vanishing while it rings.
"Reached a human" here: answered by a phone (a facility's or, when the engine could not plan, the
dispatcher's, which the dialplan rings without the engine).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

from lab.loadlab import LoadResult
from tests.load.conftest import Load

RATE = 10
CALLS = 80


def under_load(
    load: Load, fault: Callable[[], None], *, after_s: float = 3.0, calls: int = CALLS
) -> LoadResult:
    """`calls` at RATE/s with `fault()` run `after_s` into them; the verdict once records are in."""
    batch = load.calls(calls)
    done = threading.Event()
    errors: list[BaseException] = []

    def inject() -> None:
        time.sleep(after_s)
        try:
            fault()
        except BaseException as exc:  # reported by the test, not lost in a thread
            errors.append(exc)
        finally:
            done.set()

    thread = threading.Thread(target=inject, daemon=True)
    thread.start()
    result = load.run(batch, RATE, timeout_s=60)
    thread.join(30)
    assert not errors, errors
    return result


def assert_every_call_answered_and_recorded(result: LoadResult) -> None:
    not_answered = [p for p in result.problems if "answered at" not in p]
    assert not_answered == [], not_answered
    assert result.sipp_failed == 0
    assert result.answered == result.calls
    assert result.records == result.calls, "one call record per call"


def test_engine_killed_and_restarted(load: Load) -> None:
    def fault() -> None:
        engine = load.lab.engine
        assert engine.process is not None
        os.killpg(engine.process.pid, signal.SIGKILL)
        engine.process.wait()
        time.sleep(2)
        engine.start()

    assert_every_call_answered_and_recorded(under_load(load, fault))


def test_engine_hung_for_four_seconds(load: Load) -> None:
    def fault() -> None:
        engine = load.lab.engine
        assert engine.process is not None
        os.killpg(engine.process.pid, signal.SIGSTOP)
        time.sleep(4)
        os.killpg(engine.process.pid, signal.SIGCONT)

    result = under_load(load, fault)
    assert_every_call_answered_and_recorded(result)


def _kill_helper(load: Load, name: str) -> Callable[[], None]:
    def fault() -> None:
        before = load.helper_pid(name)
        os.kill(before, signal.SIGKILL)
        load.wait_until(lambda: load.helper_pid(name) != before, 10, f"{name} restarted")

    return fault


def test_record_writer_killed_is_restarted(load: Load) -> None:
    before = load.helper_pid("call-record-writer")
    result = under_load(load, _kill_helper(load, "call-record-writer"))
    assert_every_call_answered_and_recorded(result)
    assert result.as_expected == result.calls
    assert load.helper_pid("call-record-writer") != before


def test_report_collector_and_roster_scheduler_killed_are_restarted(load: Load) -> None:
    def fault() -> None:
        _kill_helper(load, "AstDB-report-collector")()
        _kill_helper(load, "roster-scheduler")()

    result = under_load(load, fault)
    assert_every_call_answered_and_recorded(result)
    assert result.as_expected == result.calls


def test_database_locked_for_five_seconds(load: Load) -> None:
    def fault() -> None:
        db = sqlite3.connect(str(load.settings.data_dir / "siaga.db"), timeout=10)
        db.execute("BEGIN EXCLUSIVE")
        time.sleep(5)
        db.rollback()
        db.close()

    assert_every_call_answered_and_recorded(under_load(load, fault))


def test_database_removed_and_put_back(load: Load) -> None:
    path = load.settings.data_dir / "siaga.db"
    aside = Path(f"{path}.aside")

    def fault() -> None:
        for suffix in ("", "-wal", "-shm"):
            if Path(f"{path}{suffix}").exists():
                os.rename(f"{path}{suffix}", f"{aside}{suffix}")
        time.sleep(4)
        for suffix in ("", "-wal", "-shm"):
            if Path(f"{aside}{suffix}").exists():
                os.replace(f"{aside}{suffix}", f"{path}{suffix}")

    assert_every_call_answered_and_recorded(under_load(load, fault))


def test_asterisk_restarted_with_reports_waiting_in_astdb(load: Load) -> None:
    """The engine is away while calls end, so their reports wait in AstDB; Asterisk restarts (AstDB is
    on disk); the engine comes back and collects every report without another call arriving."""
    engine = load.lab.engine
    engine.stop()
    batch = load.calls(30)
    sipp_run_since = __import__("lab.loadlab", fromlist=["now_utc"]).now_utc()
    sipp = load.lab.place(batch, RATE)
    waiting = load.pending_reports()
    assert "30 results found" in waiting, waiting
    load.lab.asterisk.stop()
    load.lab.asterisk.start()
    engine.start()
    result = load.lab.judge(batch, sipp, sipp_run_since, timeout_s=30)
    assert_every_call_answered_and_recorded(result)
    load.wait_until(lambda: "0 results found" in load.pending_reports(), 10, "AstDB drained")


def test_phone_vanishing_while_it_rings(load: Load) -> None:
    """The phone of the facility most callers expect rings and never answers; it is killed while ringing.
    Its callers are moved on to the next target when its ring time runs out, before and after the kill."""
    batch = load.calls(40, to_ringing_phone=True)
    expecting = [c for c in batch if c.expected_endpoint == load.ringing_endpoint]
    assert expecting, "the lab sends some callers to the phone that vanishes"
    done = threading.Timer(2.0, load.kill_ringing_phone)
    done.start()
    try:
        result = load.run(batch, RATE, timeout_s=60)
    finally:
        done.join()
        load.start_ringing_phone()
    assert_every_call_answered_and_recorded(result)
