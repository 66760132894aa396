"""Reading what the staffing table needs: a desk's call records, its shifts and its duties.

A thin edge around `staffing.report`: rows become plain `DeskCall`s and `Duty`s and the decisions are made
there. Only the desk's own rows of the period are read: calls through the `desk` index, duties through
`shifts.store.load_roster` for the one facility (leave and swaps applied, as the engine sees them).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from desks.config import is_desk, not_a_desk
from geo.facilities import Facility
from geo.store import read_facilities
from kernel.messages import Message
from routing.records.model import CallRecord
from shifts.roster import Duty
from shifts.store import facility_templates, load_roster, utc_naive
from shifts.templates import ShiftTemplate, shifts_for
from staffing.report import (
    DeskCall,
    Period,
    StaffingInputError,
    StaffingTable,
    Target,
    desk_today,
    handle_time,
    resolve_period,
    span,
    staffing_table,
)


def find_desk(facilities: Iterable[Facility], code: str) -> Facility:
    """The desk facility `code`; an unknown code or a facility that is not a desk names the option."""
    known = {f.code: f for f in facilities}
    facility = known.get(code)
    if facility is None:
        desks = sorted(c for c, f in known.items() if is_desk(f))
        listed = ", ".join(desks[:10]) + (" …" if len(desks) > 10 else "")
        hint = Message(" (desks: {desks})", desks=listed) if desks else ""
        raise StaffingInputError("desk", Message("no facility {code!r}{hint}", code=code, hint=hint))
    if not is_desk(facility):
        raise StaffingInputError("desk", not_a_desk(facility))
    return facility


def read_desk(session: Session, code: str) -> Facility:
    return find_desk(read_facilities(session), code)


def desk_shifts(session: Session, code: str) -> dict[str, ShiftTemplate]:
    """The desk's own shift times if it has any, else the national pagi/siang/malam."""
    return dict(shifts_for(code, facility_templates(session)))


def read_desk_calls(session: Session, code: str, start: datetime, end: datetime) -> list[DeskCall]:
    """The desk's calls that started in [start, end)."""
    query = select(
        CallRecord.started_at,
        CallRecord.ended_at,
        CallRecord.outcome,
        CallRecord.time_to_answer_s,
    ).where(
        CallRecord.desk == code,
        CallRecord.started_at >= utc_naive(start),
        CallRecord.started_at < utc_naive(end),
    )
    calls = []
    for started, ended, outcome, answer_s in session.execute(query):
        started_at = started.replace(tzinfo=UTC)
        ended_at = ended.replace(tzinfo=UTC) if ended is not None else None
        handle_s = handle_time(started_at, ended_at, answer_s) if outcome == "answered" else None
        calls.append(DeskCall(started_at, outcome, answer_s, handle_s))
    return calls


def read_desk_duties(session: Session, code: str, start: datetime, end: datetime) -> list[Duty]:
    """The desk's duties as worked (leave and swaps applied) overlapping [start, end)."""
    return [
        d for d in load_roster(session, start, end, facility_code=code).resolved() if d.facility_code == code
    ]


def desk_staffing(
    session: Session,
    desk: Facility,
    target: Target,
    now: datetime,
    first: date | None = None,
    last: date | None = None,
) -> StaffingTable:
    """The staffing table of one desk over the period asked for (default: the four weeks to yesterday)."""
    period: Period = resolve_period(first, last, desk_today(now, desk))
    shifts = desk_shifts(session, desk.code)
    start, end = span(shifts, period, desk.timezone)
    calls = read_desk_calls(session, desk.code, start, end)
    duties = read_desk_duties(session, desk.code, start, end)
    return staffing_table(desk, shifts, period, target, calls, duties)
