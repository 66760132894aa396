"""The roster's scheduled jobs on APScheduler 3: a thin edge around the job functions in `shifts.jobs`.

Two job stores, because two kinds of job:
- `shared` (`RecordedJobStore`): the coverage check and the daily summary. The jobs themselves live in
  memory, defined by this code at every start; only each job's next run time is kept in the database,
  as plain columns (`job_schedule`), so they survive a restart: a run missed while the engine was down
  runs once when it is back (within the job's grace time). Every engine on the database sees the same
  times; the executor claims each run in the `job_run` table first, so it happens in one engine only.
  (APScheduler's SQLAlchemy job store was used first: it keeps pickled jobs, and unpickling a row is
  running whatever anyone with write access to the shared database put there, inside the engine.)
- `local` (in memory): the shift-boundary job, which rebuilds *this* engine's snapshot and fires at
  the next start or end of any shift, read from the roster itself (`BoundaryTrigger`); and a watcher
  that re-plans it when the roster changes. Nothing to persist: the roster in the database is the
  plan.

The executor passes each job its context and scheduled time (`job(context, run_time)`), so job
functions hold no globals and a job carries only the placeholders `{context}` and `{run_time}` as its
arguments.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from functools import partial
from typing import Any

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.executors.base import BaseExecutor
from apscheduler.job import Job
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine, delete, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from complaints.service import ComplaintRules, review_job, rules_from_settings
from geo.store import load_facilities
from kernel.catalogue import SERVICES
from kernel.db import make_engine
from kernel.settings import Settings
from shifts.jobs import (
    CLAIMED_ELSEWHERE,
    CONTEXT,
    RUN_TIME,
    JobContext,
    claim,
    coverage_check,
    roster_summary,
    shift_boundary,
)
from shifts.model import JobSchedule
from shifts.store import RosterSource, aware, current_revision, next_boundary, utc_naive

log = logging.getLogger("siaga.shifts.scheduler")

SHARED, LOCAL = "shared", "local"
COMPLAINTS_JOB = "complaints-review"  # issue 12: new and overdue complaints per desk, every 8 hours
COVERAGE_JOB, SUMMARY_JOB, BOUNDARY_JOB, WATCH_JOB = (
    "coverage-check",
    "roster-summary",
    "shift-boundary",
    "roster-watch",
)


class ContextExecutor(BaseExecutor):
    """Runs a job in a small thread pool, handing it what its `CONTEXT` and `RUN_TIME` arguments stand for.

    Jobs hold those two placeholders as their arguments (APScheduler checks a job's arguments against
    its function when it is added), so a job never holds a live engine.

    With `claims` on, each run is first claimed in the database (see `shifts.jobs.claim`); a run another
    engine claimed is skipped and reported as executed with `CLAIMED_ELSEWHERE`.
    """

    def __init__(self, context: JobContext, *, claims: bool, jobstore: str, max_workers: int = 2) -> None:
        super().__init__()
        self._context = context
        self._claims = claims
        self._jobstore = jobstore
        self._max_workers = max_workers
        self._pool: ThreadPoolExecutor | None = None

    def start(self, scheduler: Any, alias: str) -> None:
        super().start(scheduler, alias)
        self._pool = ThreadPoolExecutor(self._max_workers, thread_name_prefix=f"siaga-{alias}")

    def shutdown(self, wait: bool = True) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait)

    def _do_submit_job(self, job: Job, run_times: list[datetime]) -> None:
        assert self._pool is not None, "executor not started"

        def done(future: Future[list[JobExecutionEvent]]) -> None:
            error = future.exception()
            if error is not None:
                self._run_job_error(job.id, error, error.__traceback__)
            else:
                self._run_job_success(job.id, future.result())

        self._pool.submit(self._run, job, run_times).add_done_callback(done)

    def _run(self, job: Job, run_times: list[datetime]) -> list[JobExecutionEvent]:
        events = []
        for run_time in run_times:
            late = datetime.now(UTC) - run_time
            if job.misfire_grace_time is not None and late > timedelta(seconds=job.misfire_grace_time):
                log.warning("job %s scheduled at %s missed by %s", job.id, run_time, late)
                events.append(JobExecutionEvent(EVENT_JOB_MISSED, job.id, self._jobstore, run_time))
                continue
            if self._claims and not claim(self._context.engine, job.id, run_time, self._context.owner):
                log.debug("job %s at %s: %s", job.id, run_time, CLAIMED_ELSEWHERE)
                events.append(
                    JobExecutionEvent(
                        EVENT_JOB_EXECUTED, job.id, self._jobstore, run_time, retval=CLAIMED_ELSEWHERE
                    )
                )
                continue
            try:
                args = [self._context if a == CONTEXT else run_time if a == RUN_TIME else a for a in job.args]
                result = job.func(*args, **job.kwargs)
            except Exception as exc:
                log.exception("job %s scheduled at %s failed", job.id, run_time)
                events.append(
                    JobExecutionEvent(
                        EVENT_JOB_ERROR, job.id, self._jobstore, run_time, exception=exc, traceback=None
                    )
                )
            else:
                events.append(
                    JobExecutionEvent(EVENT_JOB_EXECUTED, job.id, self._jobstore, run_time, retval=result)
                )
        return events


def describe_trigger(trigger: BaseTrigger) -> str:
    """What a stored run time was planned with; a different trigger (new settings) plans afresh."""
    zone = getattr(trigger, "timezone", "")
    return f"{type(trigger).__name__} {trigger}" + (f" {zone}" if zone else "")


class RecordedJobStore(MemoryJobStore):
    """Jobs in memory, as this engine's code defines them; each job's next run time written through to
    `job_schedule` in plain columns, and read back only as a time.

    A failing write is logged, not raised: the job keeps running in memory, and only a restart would
    plan from an older time.
    """

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self._engine = engine

    def add_job(self, job: Job) -> None:
        super().add_job(job)
        self._record(job)

    def update_job(self, job: Job) -> None:
        super().update_job(job)
        self._record(job)

    def remove_job(self, job_id: str) -> None:
        super().remove_job(job_id)
        with self._writing(job_id) as session:
            session.execute(delete(JobSchedule).where(JobSchedule.job_id == job_id))

    def planned(self, job_id: str, trigger: BaseTrigger) -> datetime | None:
        """The stored next run of `job_id`, if it was planned with this same trigger."""
        with Session(self._engine) as session:
            row = session.execute(
                select(JobSchedule.next_run_utc, JobSchedule.trigger).where(JobSchedule.job_id == job_id)
            ).first()
        if row is None or row.next_run_utc is None or row.trigger != describe_trigger(trigger):
            return None
        return aware(row.next_run_utc)

    def _record(self, job: Job) -> None:
        next_run = utc_naive(job.next_run_time) if job.next_run_time else None
        values = {
            "next_run_utc": next_run,
            "trigger": describe_trigger(job.trigger),
            "updated_at": utc_naive(datetime.now(UTC)),
        }
        with self._writing(job.id) as session:
            changed = session.execute(
                update(JobSchedule).where(JobSchedule.job_id == job.id).values(**values)
            ).rowcount
            if not changed:
                session.add(JobSchedule(job_id=job.id, **values))

    @contextmanager
    def _writing(self, job_id: str) -> Iterator[Session]:
        try:
            with Session(self._engine) as session, session.begin():
                yield session
        except IntegrityError:  # another engine inserted the same job's row first: same time, fine
            log.debug("job %s: schedule row written by another engine", job_id)
        except SQLAlchemyError:
            log.warning("job %s: could not record its next run time", job_id, exc_info=True)


class BoundaryTrigger(BaseTrigger):
    """Fires at every instant someone comes on or goes off duty, as the roster says at the time."""

    def __init__(self, next_after: Callable[[datetime], datetime | None]) -> None:
        self._next_after = next_after

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        return self._next_after(previous_fire_time or now)

    def __str__(self) -> str:
        return "shift boundaries"


@dataclass(frozen=True)
class Timing:
    coverage_every: timedelta = timedelta(hours=1)
    summary_at: time = time(6, 0, tzinfo=UTC)  # aware: the daily summary's wall-clock time and zone
    watch_every: timedelta = timedelta(seconds=30)


class RosterScheduler:
    """Owns one APScheduler `BackgroundScheduler` with the roster's jobs; `start()`, `shutdown()`."""

    def __init__(
        self,
        context: JobContext,
        timing: Timing | None = None,
        complaint_rules: ComplaintRules | None = None,
    ) -> None:
        self.context = context
        self.timing = timing or Timing()
        self.complaint_rules = complaint_rules
        self.schedule = RecordedJobStore(context.engine)
        self.scheduler = BackgroundScheduler(
            jobstores={SHARED: self.schedule, LOCAL: MemoryJobStore()},
            executors={
                SHARED: ContextExecutor(context, claims=True, jobstore=SHARED),
                LOCAL: ContextExecutor(context, claims=False, jobstore=LOCAL),
            },
            job_defaults={"coalesce": True, "max_instances": 1},
            timezone=UTC,
        )
        self._planned_revision: int | None = None

    def start(self) -> None:
        """Start paused, make sure the shared jobs exist (keeping their stored next run), then run."""
        self.scheduler.start(paused=True)
        self._ensure(
            COVERAGE_JOB,
            coverage_check,
            IntervalTrigger(seconds=self.timing.coverage_every.total_seconds(), timezone=UTC),
            grace=self.timing.coverage_every,
            run_at_once=True,
        )
        at = self.timing.summary_at
        self._ensure(
            SUMMARY_JOB,
            roster_summary,
            CronTrigger(hour=at.hour, minute=at.minute, timezone=at.tzinfo or UTC),
            grace=timedelta(hours=6),
        )
        if self.complaint_rules is not None:
            every = self.complaint_rules.review_every
            self._ensure(
                COMPLAINTS_JOB,
                partial(_complaints_review, self.complaint_rules),
                IntervalTrigger(seconds=every.total_seconds(), timezone=UTC),
                grace=every,
                run_at_once=True,
            )
        self.plan_boundaries()
        self.scheduler.add_job(
            self._watch,
            IntervalTrigger(seconds=self.timing.watch_every.total_seconds(), timezone=UTC),
            args=(CONTEXT, RUN_TIME),
            id=WATCH_JOB,
            jobstore=LOCAL,
            executor=LOCAL,
            replace_existing=True,
        )
        self.scheduler.resume()
        log.info(
            "roster scheduler started: %s",
            ", ".join(f"{j.id} next {j.next_run_time}" for j in self.scheduler.get_jobs()),
        )

    def shutdown(self, wait: bool = True) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=wait)

    def _ensure(
        self,
        job_id: str,
        func: Callable[[JobContext, datetime], object],
        trigger: BaseTrigger,
        grace: timedelta,
        *,
        run_at_once: bool = False,
    ) -> None:
        """Add a shared job, at its stored next run if one was planned with the same trigger: planning
        afresh would drop a run missed while the engine was down.

        `run_at_once`: a job new to the database runs now rather than one interval from now (a fresh
        engine should not wait an hour to warn about a gap starting in ten minutes).
        """
        planned = self.schedule.planned(job_id, trigger)
        if planned is not None:
            first = {"next_run_time": planned}
        else:
            first = {"next_run_time": datetime.now(UTC)} if run_at_once else {}
        self.scheduler.add_job(
            func,
            trigger,
            args=(CONTEXT, RUN_TIME),
            id=job_id,
            name=job_id,
            jobstore=SHARED,
            executor=SHARED,
            misfire_grace_time=int(grace.total_seconds()),
            replace_existing=True,
            **first,
        )

    def plan_boundaries(self) -> None:
        """(Re)plan the boundary job from the roster as it is now."""
        with Session(self.context.engine) as session:
            self._planned_revision = current_revision(session)
        self.scheduler.add_job(
            shift_boundary,
            BoundaryTrigger(self._next_boundary),
            args=(CONTEXT, RUN_TIME),
            id=BOUNDARY_JOB,
            name=BOUNDARY_JOB,
            jobstore=LOCAL,
            executor=LOCAL,
            misfire_grace_time=None,
            replace_existing=True,
        )

    def _next_boundary(self, after: datetime) -> datetime | None:
        with Session(self.context.engine) as session:
            return next_boundary(session, after)

    def _watch(self, context: JobContext, run_time: datetime) -> None:
        with Session(context.engine) as session:
            revision = current_revision(session)
        if revision != self._planned_revision or self.scheduler.get_job(BOUNDARY_JOB, jobstore=LOCAL) is None:
            log.info("roster revision %s: re-planning shift boundaries", revision)
            self.plan_boundaries()


def _complaints_review(rules: ComplaintRules, context: JobContext, run_time: datetime) -> object:
    return review_job(rules, context.engine, run_time)


def parse_summary_at(raw: str) -> time:
    """`06:00+07:00` → an aware time; without an offset the summary would follow the server's clock."""
    value = time.fromisoformat(raw)
    if value.tzinfo is None:
        raise ValueError(f"roster_summary_at {raw!r} needs a UTC offset, e.g. 06:00+07:00")
    return value


def scheduler_for(settings: Settings, roster: RosterSource) -> RosterScheduler:
    """The scheduler `siaga serve` runs, from settings: its own database engine, this engine's roster."""
    context = JobContext(
        make_engine(settings.db_url),
        roster,
        lambda: load_facilities(settings),
        SERVICES,
        timedelta(hours=settings.coverage_warn_hours),
    )
    timing = Timing(
        coverage_every=timedelta(minutes=settings.coverage_check_minutes),
        summary_at=parse_summary_at(settings.roster_summary_at),
    )
    try:
        complaint_rules: ComplaintRules | None = rules_from_settings(settings)
    except ValueError:
        log.exception("complaint settings unusable: no scheduled complaints review")
        complaint_rules = None
    return RosterScheduler(context, timing, complaint_rules)


def stored_jobs(engine: Engine) -> list[tuple[str, datetime | None, str]]:
    """(id, next run, trigger) of every shared job as the engines recorded it, without a scheduler."""
    with Session(engine) as session:
        rows = session.execute(
            select(JobSchedule.job_id, JobSchedule.next_run_utc, JobSchedule.trigger).order_by(
                JobSchedule.job_id
            )
        ).all()
    return [(job_id, aware(at) if at else None, trigger) for job_id, at, trigger in rows]


def start_scheduler(settings: Settings, roster: RosterSource) -> RosterScheduler | None:
    """Start the roster jobs for `siaga serve`; a failure is logged and the engine serves calls anyway.

    Calls matter more than warnings: a database that refuses the job tables must not keep the AGI
    server from answering.
    """
    try:
        scheduler = scheduler_for(settings, roster)
        scheduler.start()
    except Exception:
        log.exception("roster scheduler did not start; routing goes on without scheduled roster jobs")
        return None
    return scheduler
