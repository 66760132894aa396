"""The roster's scheduled jobs on a real APScheduler with its SQLAlchemy job store, on real clocks.

Times are a second or two ahead of now, so each test takes a few seconds; every scheduler started is
shut down in a `finally`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from kernel.catalogue import SERVICES
from kernel.db import make_engine
from shifts.jobs import CLAIMED_ELSEWHERE, JobContext, claim, coverage_check, roster_summary
from shifts.model import JobRun
from shifts.store import RosterSource, add_leave
from siaga.scheduler import COVERAGE_JOB, RosterScheduler, Timing, stored_jobs
from tests.shifts.builders import FACILITIES, load, roster_db

SOON = timedelta(seconds=1.5)


def iso(moment: datetime) -> str:
    return moment.isoformat()


def context(engine: Engine, **options: object) -> JobContext:
    return JobContext(engine, RosterSource(engine, refresh_s=3600), lambda: FACILITIES, SERVICES, **options)  # type: ignore[arg-type]


class Events:
    """Every job event of one scheduler, and a way to wait for one."""

    def __init__(self, scheduler: RosterScheduler) -> None:
        self.seen: list[JobExecutionEvent] = []
        self._changed = threading.Condition()
        scheduler.scheduler.add_listener(self._add, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)

    def _add(self, event: JobExecutionEvent) -> None:
        with self._changed:
            self.seen.append(event)
            self._changed.notify_all()

    def wait_for(self, job_id: str, count: int = 1, timeout: float = 8.0) -> list[JobExecutionEvent]:
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self.of(job_id)) < count:
                left = deadline - time.monotonic()
                assert left > 0, f"{job_id} ran {len(self.of(job_id))} of {count} time(s): {self.seen}"
                self._changed.wait(left)
        return self.of(job_id)

    def of(self, job_id: str) -> list[JobExecutionEvent]:
        return [e for e in self.seen if e.job_id == job_id]


@pytest.fixture
def schedulers() -> Iterator[list[RosterScheduler]]:
    started: list[RosterScheduler] = []
    yield started
    for scheduler in started:
        scheduler.shutdown(wait=True)


def claims(engine: Engine, job_id: str) -> list[datetime]:
    with Session(engine) as session:
        return [
            t.replace(tzinfo=UTC)
            for t in session.scalars(select(JobRun.run_time).where(JobRun.job_id == job_id))
        ]


def test_the_boundary_job_fires_at_a_shift_start_rebuilds_the_snapshot_and_logs_the_handover(
    tmp_path: Path, schedulers: list[RosterScheduler], caplog: pytest.LogCaptureFixture
) -> None:
    engine = roster_db(tmp_path)
    start = (datetime.now(UTC) + SOON).replace(microsecond=0) + timedelta(seconds=1)
    load(
        engine,
        f"facility_code,staff_id,start,end\npkm-a,sri,{iso(start)},{iso(start + timedelta(hours=7))}\n",
    )
    ctx = context(engine)
    assert ctx.roster.snapshot(datetime.now(UTC)).staff_at("pkm-a") == ()
    scheduler = RosterScheduler(ctx, Timing(coverage_every=timedelta(hours=1)))
    events = Events(scheduler)
    schedulers.append(scheduler)
    caplog.set_level(logging.INFO, logger="siaga.shifts")
    scheduler.start()
    assert scheduler.scheduler.get_job("shift-boundary").next_run_time == start
    (event,) = events.wait_for("shift-boundary")
    assert event.scheduled_run_time == start and event.exception is None
    current = ctx.roster.current
    assert current is not None and current.at >= start
    assert [d.staff_id for d in current.staff_at("pkm-a")] == ["sri"]
    assert "handover pkm-a at" in caplog.text and "Sri Wahyuni (operator) on" in caplog.text
    assert claims(engine, "handover") == [start]
    # and the next boundary is planned: the end of that shift
    assert scheduler.scheduler.get_job("shift-boundary").next_run_time == start + timedelta(hours=7)


def test_a_new_roster_re_plans_the_boundary_job(tmp_path: Path, schedulers: list[RosterScheduler]) -> None:
    engine = roster_db(tmp_path)
    later = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=3)
    load(
        engine,
        f"facility_code,staff_id,start,end\npkm-a,sri,{iso(later)},{iso(later + timedelta(hours=7))}\n",
    )
    scheduler = RosterScheduler(context(engine), Timing(watch_every=timedelta(seconds=0.5)))
    schedulers.append(scheduler)
    scheduler.start()
    assert scheduler.scheduler.get_job("shift-boundary").next_run_time == later
    sooner = later - timedelta(hours=1)
    load(
        engine,
        f"facility_code,staff_id,start,end\npkm-b,ani,{iso(sooner)},{iso(sooner + timedelta(hours=2))}\n",
    )
    deadline = time.monotonic() + 5
    while scheduler.scheduler.get_job("shift-boundary").next_run_time != sooner:
        assert time.monotonic() < deadline, "the watcher did not re-plan the boundary job"
        time.sleep(0.1)


def test_the_coverage_check_warns_ahead_once_per_gap(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    engine = roster_db(tmp_path)
    now = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 08:00 WIB
    load(engine, "facility_code,staff_id,date,shift\npkm-a,sri,2026-11-23,pagi\npkm-b,ani,2026-11-23,pagi\n")
    ctx = context(engine, warn_ahead=timedelta(hours=12))
    caplog.set_level(logging.WARNING, logger="siaga.shifts")
    first = coverage_check(ctx, now)
    warned = {(g.scope, g.code) for g in first.new}
    assert ("facility", "pkm-a") in warned and ("kecamatan", "33.74.01") in warned
    kecamatan = next(g for g in first.new if g.code == "33.74.01")
    assert (kecamatan.start, kecamatan.end) == (
        datetime(2026, 11, 23, 7, 0, tzinfo=UTC),
        now + timedelta(hours=12),
    )
    assert (
        "coverage gap ahead: kecamatan 33.74.01 (pkm-a, pkm-b): no emergency staff on duty "
        "2026-11-23 14:00 WIB – 2026-11-23 20:00 WIB (6.0 h)" in caplog.text
    )
    # An hour later the same gaps are still ahead (and longer): nothing new to warn about.
    again = coverage_check(ctx, now + timedelta(hours=1))
    assert again.gaps and again.new == []
    # Leave that opens a new gap (ani off 11:00–12:00 WIB at pkm-b) is warned about; pkm-a still covers
    # the kecamatan then.
    with Session(engine) as session, session.begin():
        add_leave(
            session, "ani", datetime(2026, 11, 23, 4, 0, tzinfo=UTC), datetime(2026, 11, 23, 5, 0, tzinfo=UTC)
        )
    third = coverage_check(ctx, now + timedelta(hours=2))
    assert [(g.scope, g.code, g.start.hour, g.end.hour) for g in third.new] == [("facility", "pkm-b", 4, 5)]


def test_the_daily_summary_counts_the_next_day(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    engine = roster_db(tmp_path)
    load(
        engine, "facility_code,staff_id,date,shift\npkm-a,sri,2026-11-23,pagi\npkm-a,budi,2026-11-23,siang\n"
    )
    caplog.set_level(logging.INFO, logger="siaga.shifts")
    summary = roster_summary(context(engine), datetime(2026, 11, 22, 23, 0, tzinfo=UTC))  # 06:00 WIB
    assert (summary.shifts, summary.people, summary.facilities) == (2, 2, 1)
    assert {g.code for g in summary.gaps if g.scope == "facility"} == {"pkm-a", "pkm-b", "pkm-mks", "pkm-jpr"}
    assert "2 shifts by 2 people at 1 facilities" in caplog.text


def test_of_two_engines_claiming_the_same_run_at_the_same_moment_exactly_one_wins(tmp_path: Path) -> None:
    path = f"sqlite:///{roster_db(tmp_path).url.database}"
    run_time = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
    barrier = threading.Barrier(4)
    won: list[bool] = []

    def try_claim(owner: str) -> None:
        engine = make_engine(path)
        barrier.wait()
        won.append(claim(engine, COVERAGE_JOB, run_time, owner))

    threads = [threading.Thread(target=try_claim, args=(f"engine-{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert sorted(won) == [False, False, False, True]
    assert claims(make_engine(path), COVERAGE_JOB) == [run_time]


def test_two_schedulers_on_one_database_run_each_coverage_check_once(
    tmp_path: Path, schedulers: list[RosterScheduler]
) -> None:
    path = f"sqlite:///{roster_db(tmp_path).url.database}"
    timing = Timing(coverage_every=timedelta(seconds=1))
    pair = [RosterScheduler(context(make_engine(path), owner=f"engine-{n}"), timing) for n in (1, 2)]
    events = [Events(s) for s in pair]
    schedulers.extend(pair)
    for scheduler in pair:
        scheduler.start()
    time.sleep(3.6)
    for scheduler in pair:
        scheduler.shutdown(wait=True)
    runs = [e for log in events for e in log.of(COVERAGE_JOB) if e.retval != CLAIMED_ELSEWHERE]
    skipped = [e for log in events for e in log.of(COVERAGE_JOB) if e.retval == CLAIMED_ELSEWHERE]
    assert skipped, "both schedulers wake at the same stored time: one of them must have lost a claim"
    times = [e.scheduled_run_time for e in runs]
    assert len(times) >= 2, runs
    assert len(set(times)) == len(times), "a coverage check ran twice for the same scheduled time"
    assert sorted(claims(make_engine(path), COVERAGE_JOB)) == sorted(times)
    assert all(e.exception is None for log in events for e in log.seen)


def test_the_shared_jobs_survive_a_restart_and_a_missed_run_runs_once_after_it(
    tmp_path: Path, schedulers: list[RosterScheduler]
) -> None:
    engine = roster_db(tmp_path)
    timing = Timing(coverage_every=timedelta(seconds=2))
    first = RosterScheduler(context(engine), timing)
    first.start()
    first.shutdown(wait=True)  # "down" before its first coverage check
    stored = {job_id: next_run for job_id, next_run, _ in stored_jobs(engine)}
    assert set(stored) == {"coverage-check", "roster-summary"}
    missed = stored["coverage-check"]
    assert missed is not None
    time.sleep(max(0.0, (missed - datetime.now(UTC)).total_seconds()) + 0.5)  # it passes while we are down
    second = RosterScheduler(context(make_engine(str(engine.url))), timing)
    events = Events(second)
    schedulers.append(second)
    second.start()
    late = events.wait_for(COVERAGE_JOB)[0]
    assert late.scheduled_run_time == missed  # the stored run, not a fresh schedule
    assert missed in claims(engine, COVERAGE_JOB)
    assert {job_id for job_id, _, _ in stored_jobs(engine)} == {"coverage-check", "roster-summary"}


class _Planted:
    """What a writer of the shared database could store as a job: unpickling it runs `open(path, "w")`."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (str(self.path), "w"))


def test_the_scheduler_never_unpickles_what_is_in_the_database(
    tmp_path: Path, schedulers: list[RosterScheduler]
) -> None:
    """A job row is code: APScheduler's SQLAlchemy store unpickles it. The jobs are defined here, in the
    engine's own code; the database holds only when each runs next, as plain columns."""
    import pickle

    from sqlalchemy import Column, Float, LargeBinary, MetaData, Table, Unicode, insert

    engine = roster_db(tmp_path)
    ran = tmp_path / "planted-code-ran"
    jobs = Table(
        "apscheduler_jobs",
        MetaData(),
        Column("id", Unicode(191), primary_key=True),
        Column("next_run_time", Float(25), index=True),
        Column("job_state", LargeBinary, nullable=False),
    )
    jobs.create(engine, checkfirst=True)
    with engine.begin() as connection:
        for job_id in (COVERAGE_JOB, "roster-summary", "planted"):
            connection.execute(
                insert(jobs).values(id=job_id, next_run_time=0.0, job_state=pickle.dumps(_Planted(ran)))
            )
    scheduler = RosterScheduler(context(engine), Timing(coverage_every=timedelta(seconds=1)))
    events = Events(scheduler)
    schedulers.append(scheduler)
    scheduler.start()
    assert events.wait_for(COVERAGE_JOB)[0].exception is None
    assert not ran.exists(), "the scheduler ran code it read from the database"
    assert {job_id for job_id, _, _ in stored_jobs(engine)} == {"coverage-check", "roster-summary"}
