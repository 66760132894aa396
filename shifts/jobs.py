"""What the scheduler runs: the shift-boundary handover, the coverage warning and the daily summary.

Each job is a plain function `job(context, run_time)`: the scheduler's executor hands in the context
(database, this engine's roster source, facilities, services) and the time the run was scheduled for,
so `siaga roster jobs` and the tests call exactly the same functions with any time they like.

Several engines may share one database. A job whose effect is shared (a warning, a summary, the
handover log) first claims its run with `claim()`: the `job_run` row's primary key is (job, scheduled
time), so exactly one engine's insert succeeds and the others skip. Rebuilding the snapshot is
per engine (each routes from its own memory) and is never claimed.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kernel.messages import N_, Message, plain_number, untranslated
from shifts.coverage import FacilityLike, Gap, ServiceLike, coverage_gaps
from shifts.model import CoverageAlert, JobRun
from shifts.roster import Handover, build_snapshot, handovers
from shifts.store import RosterSource, load_roster, utc_naive
from shifts.templates import zone_label

log = logging.getLogger("siaga.shifts.jobs")

CLAIMED_ELSEWHERE = "claimed by another engine"
# What a stored job's arguments stand for; the scheduler's executor puts in the real things.
CONTEXT, RUN_TIME = "{context}", "{run_time}"
KEEP_CLAIMS = timedelta(days=35)
_JUST_BEFORE = timedelta(microseconds=1)


def engine_owner() -> str:
    """Who claimed a run, as an operator would look for it: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class JobContext:
    engine: Engine
    roster: RosterSource  # this engine's snapshot, rebuilt at every boundary
    facilities: Callable[[], Sequence[FacilityLike]]
    services: Mapping[str, ServiceLike]
    warn_ahead: timedelta = timedelta(hours=12)
    owner: str = field(default_factory=engine_owner)
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))


def claim(engine: Engine, job_id: str, run_time: datetime, owner: str) -> bool:
    """Take the run of `job_id` scheduled at `run_time`; False if another engine already has it."""
    try:
        with Session(engine) as session, session.begin():
            session.add(
                JobRun(
                    job_id=job_id,
                    run_time=utc_naive(run_time),
                    owner=owner,
                    claimed_at=utc_naive(datetime.now(UTC)),
                )
            )
    except IntegrityError:
        return False
    return True


# -- shift boundary ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BoundaryReport:
    at: datetime
    on_duty: int  # facilities with someone on duty after the boundary
    handovers: list[Handover] | None  # None: another engine logged this handover


def shift_boundary(ctx: JobContext, run_time: datetime) -> BoundaryReport:
    """Rebuild this engine's snapshot; the engine that claims the boundary logs the handover."""
    now = max(run_time, ctx.clock())
    snapshot = ctx.roster.rebuild(now)
    changes = None
    if claim(ctx.engine, "handover", run_time, ctx.owner):
        with Session(ctx.engine) as session:
            roster = load_roster(session, run_time - _JUST_BEFORE, run_time + _JUST_BEFORE)
        duties = roster.resolved()
        before = build_snapshot(duties, run_time - _JUST_BEFORE, run_time)
        after = build_snapshot(duties, run_time, run_time + _JUST_BEFORE)
        changes = handovers(before, after)
        _log_handovers(run_time, changes)
    return BoundaryReport(now, len(snapshot.by_facility), changes)


def _log_handovers(at: datetime, changes: list[Handover]) -> None:
    empty = [h for h in changes if h.left_empty]
    log.info(
        "shift boundary %s: %d facilities hand over, %d left with no one on duty",
        f"{at:%Y-%m-%d %H:%M} UTC",
        len(changes),
        len(empty),
    )
    for h in changes:
        zone = ZoneInfo((h.on or h.off or h.staying)[0].timezone)
        people = "; ".join(
            [
                *(f"{d.staff_name} ({d.role}) off" for d in h.off),
                *(f"{d.staff_name} ({d.role}) on" for d in h.on),
            ]
        )
        # A national boundary hands over at thousands of facilities: those go to the debug log, the
        # summary line and every facility left empty stay visible.
        level = logging.WARNING if h.left_empty else logging.INFO if len(changes) <= 50 else logging.DEBUG
        log.log(level, "handover %s at %s: %s", h.facility_code, _clock(at, zone), people)


# -- coverage ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CoverageReport:
    start: datetime
    end: datetime
    gaps: list[Gap]
    new: list[Gap]  # not warned about before


def coverage_check(ctx: JobContext, run_time: datetime, *, remember: bool = True) -> CoverageReport:
    """Warn about every facility or kecamatan that will have no one on duty within `warn_ahead`.

    A gap is warned once: later runs that see the same gap (overlapping one already warned, for the
    same place and service) only extend the stored one. A run by hand (`remember=False`) reports
    every gap and stores nothing, so it cannot silence the scheduled warning.
    """
    start, end = run_time, run_time + ctx.warn_ahead
    with Session(ctx.engine) as session:
        duties = load_roster(session, start, end).resolved()
    gaps = coverage_gaps(duties, ctx.facilities(), ctx.services, start, end)
    if not remember:
        return CoverageReport(start, end, gaps, gaps)
    with Session(ctx.engine) as session, session.begin():
        new = record_alerts(session, gaps, ctx.clock())
    for gap in new:
        log.warning("coverage gap ahead: %s", describe_gap(gap))
    return CoverageReport(start, end, gaps, new)


def record_alerts(session: Session, gaps: list[Gap], now: datetime) -> list[Gap]:
    """Store gaps not yet warned about and return them; extend those already known."""
    if not gaps:
        return []
    earliest = utc_naive(min(g.start for g in gaps))
    known: dict[tuple[str, str, str], list[CoverageAlert]] = {}
    for alert in session.scalars(select(CoverageAlert).where(CoverageAlert.end_utc >= earliest)):
        known.setdefault((alert.scope, alert.code, alert.service), []).append(alert)
    new = []
    for gap in gaps:
        start, end = utc_naive(gap.start), utc_naive(gap.end)
        same = [
            a
            for a in known.get((gap.scope, gap.code, gap.service), [])
            if a.start_utc <= end and start <= a.end_utc
        ]
        if same:
            for alert in same:
                alert.end_utc = max(alert.end_utc, end)
            continue
        alert = CoverageAlert(
            scope=gap.scope,
            code=gap.code,
            service=gap.service,
            start_utc=start,
            end_utc=end,
            warned_at=utc_naive(now),
        )
        session.add(alert)
        known.setdefault((gap.scope, gap.code, gap.service), []).append(alert)
        new.append(gap)
    return new


def describe_gap(
    gap: Gap,
    translate: Callable[[str], str] = untranslated,
    number: Callable[[float, int], str] = plain_number,
) -> str:
    """A coverage gap in one line: English for the log (the defaults), the reader's language for the CLI
    (`translate`: `tr`, `number`: `web.i18n.format_number`)."""
    zone = ZoneInfo(gap.timezone)
    hours = gap.length.total_seconds() / 3600
    where = (
        translate(
            Message("kecamatan {code} ({facilities})", code=gap.code, facilities=", ".join(gap.facilities))
        )
        if gap.scope == "kecamatan"
        else gap.code
    )
    return translate(
        Message(
            "{where}: no {service} staff on duty {start} – {end} ({hours} h)",
            where=where,
            service=gap.service,
            start=_clock(gap.start, zone),
            end=_clock(gap.end, zone),
            hours=number(hours, 1),
        )
    )


# -- daily summary -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RosterSummary:
    start: datetime
    end: datetime
    shifts: int
    people: int
    facilities: int  # facilities with at least one shift
    leaves: int
    swaps: int
    gaps: list[Gap]


def roster_summary(ctx: JobContext, run_time: datetime) -> RosterSummary:
    """The next 24 hours at a glance, logged once a day; also forgets run claims older than a month."""
    start, end = run_time, run_time + timedelta(hours=24)
    with Session(ctx.engine) as session:
        roster = load_roster(session, start, end)
    duties = [d for d in roster.resolved() if d.start < end and start < d.end]
    gaps = coverage_gaps(duties, ctx.facilities(), ctx.services, start, end)
    summary = RosterSummary(
        start,
        end,
        len(duties),
        len({d.staff_id for d in duties}),
        len({d.facility_code for d in duties}),
        sum(1 for leave in roster.leaves if leave.start < end and start < leave.end),
        sum(1 for swap in roster.swaps if swap.start < end and start < swap.end),
        gaps,
    )
    log.info("%s", describe_summary(summary))
    with Session(ctx.engine) as session, session.begin():
        session.execute(delete(JobRun).where(JobRun.run_time < utc_naive(run_time - KEEP_CLAIMS)))
    return summary


def describe_summary(
    s: RosterSummary,
    translate: Callable[[str], str] = untranslated,
    number: Callable[[float, int], str] = plain_number,
) -> str:
    """The next day at a glance: English for the log (the defaults), the reader's language for the CLI."""
    t = translate
    facility_gaps = sorted({g.code for g in s.gaps if g.scope == "facility"})
    kecamatan_gaps = sorted({g.code for g in s.gaps if g.scope == "kecamatan"})
    gaps = t(N_("no coverage gaps"))
    if s.gaps:
        shown = ", ".join(facility_gaps[:10]) + (" …" if len(facility_gaps) > 10 else "")
        gaps = t(
            Message(
                "coverage gaps at {facilities} facilities ({shown}) and {kecamatan} kecamatan",
                facilities=number(len(facility_gaps), 0),
                shown=shown,
                kecamatan=number(len(kecamatan_gaps), 0),
            )
        )
    return t(
        Message(
            "roster {start} UTC + 24 h: {shifts} shifts by {people} people at {facilities} facilities; "
            "{leaves} on leave, {swaps} swaps; {gaps}",
            start=f"{s.start:%Y-%m-%d %H:%M}",
            shifts=number(s.shifts, 0),
            people=number(s.people, 0),
            facilities=number(s.facilities, 0),
            leaves=number(s.leaves, 0),
            swaps=number(s.swaps, 0),
            gaps=gaps,
        )
    )


def _clock(value: datetime, zone: ZoneInfo) -> str:
    local = value.astimezone(zone)
    return f"{local:%Y-%m-%d %H:%M} {zone_label(str(zone.key))}"
