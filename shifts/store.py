"""Reading and writing the roster in the database, and the refreshed snapshot the engine routes from.

Everything here is a thin edge around the pure code in `shifts.roster`: queries fetch rows into plain
`Duty`/`Leave`/`Swap` values and the decisions are made there. Writes happen in the caller's
transaction so an import is all or nothing.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from itertools import islice

from sqlalchemy import Engine, and_, delete, insert, select
from sqlalchemy import update as update_rows
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, aliased

from shifts.model import Assignment, FacilityShift, Leave, RosterRevision, Staff, Swap
from shifts.roster import Duty, OnDutySnapshot, Roster, StaffMember, build_snapshot
from shifts.roster import Leave as LeaveSpan
from shifts.roster import Swap as SwapSpan
from shifts.roster_csv import ParsedRoster, StaffRow
from shifts.templates import LONGEST_SHIFT, ShiftTemplate

log = logging.getLogger("siaga.shifts")

SNAPSHOT_WINDOW = timedelta(hours=24)  # a snapshot is re-read at least this often
_BATCH = 20_000


def utc_naive(value: datetime) -> datetime:
    """How times are stored: naive UTC, the same on SQLite and PostgreSQL."""
    return value.astimezone(UTC).replace(tzinfo=None)


def aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC)


# -- staff and facility shifts -------------------------------------------------------------------------


def known_staff(session: Session) -> dict[str, StaffRow]:
    query = select(Staff.id, Staff.name, Staff.role, Staff.endpoint, Staff.facility_code, Staff.phone)
    return {
        sid: StaffRow(sid, name, role, endpoint, facility, phone or "")
        for sid, name, role, endpoint, facility, phone in session.execute(query)
    }


def facility_templates(session: Session) -> dict[str, dict[str, ShiftTemplate]]:
    """Facilities with their own shift times; every other facility uses the national default."""
    found: dict[str, dict[str, ShiftTemplate]] = defaultdict(dict)
    for row in session.scalars(select(FacilityShift).order_by(FacilityShift.start_local)):
        found[row.facility_code][row.name] = ShiftTemplate(
            row.name, _hhmm(row.start_local), _hhmm(row.end_local)
        )
    return dict(found)


def set_facility_shifts(session: Session, facility_code: str, shifts: list[ShiftTemplate]) -> None:
    """Replace a facility's own shifts; an empty list returns it to the national default."""
    session.execute(delete(FacilityShift).where(FacilityShift.facility_code == facility_code))
    for shift in shifts:
        session.add(
            FacilityShift(
                facility_code=facility_code,
                name=shift.name,
                start_local=f"{shift.start:%H:%M}",
                end_local=f"{shift.end:%H:%M}",
            )
        )
    bump_revision(session)


def _hhmm(raw: str) -> clock_time:
    return clock_time.fromisoformat(raw)


# -- revision ------------------------------------------------------------------------------------------


def bump_revision(session: Session) -> None:
    row = session.get(RosterRevision, 1)
    if row is None:
        session.add(RosterRevision(id=1, revision=1))
    else:
        row.revision += 1


def current_revision(session: Session) -> int:
    revision = session.scalar(select(RosterRevision.revision).where(RosterRevision.id == 1))
    return revision or 0


# -- writing -------------------------------------------------------------------------------------------
# Every write of the roster's tables is here, with its revision bump: engines rebuild their on-duty
# snapshot when the revision moves, so a write that forgot it would ring yesterday's staff.


def delete_assignments(session: Session, ids: Iterable[int]) -> None:
    ids = list(ids)
    if ids:
        session.execute(delete(Assignment).where(Assignment.id.in_(ids)))
        session.flush()
        bump_revision(session)


def add_staff(
    session: Session, staff_id: str, name: str, role: str, endpoint: str, facility_code: str
) -> None:
    session.add(Staff(id=staff_id, name=name, role=role, endpoint=endpoint, facility_code=facility_code))
    bump_revision(session)


def update_staff(
    session: Session, staff: Staff, name: str, role: str, endpoint: str, facility_code: str
) -> None:
    """The engine's snapshot carries names, roles and endpoints: a change is a new revision."""
    staff.name, staff.role, staff.endpoint, staff.facility_code = name, role, endpoint, facility_code
    bump_revision(session)


def replace_scope(parsed: ParsedRoster) -> dict[str, tuple[date, date]]:
    """Per facility in a file, the first and last shift date it roster: what `--update` replaces."""
    scope: dict[str, tuple[date, date]] = {}
    for a in parsed.assignments:
        first, last = scope.get(a.facility_code, (a.shift_date, a.shift_date))
        scope[a.facility_code] = (min(first, a.shift_date), max(last, a.shift_date))
    return scope


def existing_spans(
    session: Session, parsed: ParsedRoster, *, excluding: Mapping[str, tuple[date, date]] | None = None
) -> dict[str, list[tuple[datetime, datetime, str]]]:
    """Shifts already in the database of the people in `parsed`, around the file's time span.

    Assignments that `--update` is about to replace (`excluding`) are left out.
    """
    if not parsed.assignments:
        return {}
    people = {a.staff_id for a in parsed.assignments}
    first = min(a.start for a in parsed.assignments)
    last = max(a.end for a in parsed.assignments)
    query = select(
        Assignment.staff_id,
        Assignment.facility_code,
        Assignment.shift_date,
        Assignment.shift,
        Assignment.start_utc,
        Assignment.end_utc,
    ).where(
        Assignment.start_utc >= utc_naive(first - LONGEST_SHIFT),
        Assignment.start_utc < utc_naive(last),
        Assignment.end_utc > utc_naive(first),
    )
    spans: dict[str, list[tuple[datetime, datetime, str]]] = defaultdict(list)
    for staff_id, facility, day, shift, start, end in session.execute(query):
        if staff_id not in people:
            continue
        replaced = (excluding or {}).get(facility)
        if replaced is not None and replaced[0] <= day <= replaced[1]:
            continue
        spans[staff_id].append((aware(start), aware(end), f"at {facility} on {day} ({shift})"))
    return spans


def write_roster(
    session: Session,
    parsed: ParsedRoster,
    *,
    replace: bool = False,
    update: Mapping[str, tuple[date, date]] | None = None,
) -> int:
    """Write staff and assignments in the caller's transaction; returns the number of assignments.

    `replace` deletes every assignment first; `update` deletes those of the given facilities between
    the given shift dates (a corrected month re-imported). Bulk statements, not one ORM object per
    row: a national month is close to a million assignments.
    """
    existing = set(session.scalars(select(Staff.id))) if parsed.staff else set()
    new = (_staff_values(s) for s in parsed.staff if s.staff_id not in existing)
    changed = [s for s in parsed.staff if s.staff_id in existing]
    connection = session.connection()
    for chunk in _chunks(new):
        connection.execute(insert(Staff.__table__), chunk)
    for chunk in _chunks({k: v for k, v in _staff_values(s).items() if v is not None} for s in changed):
        session.execute(update_rows(Staff), chunk)
    if replace:
        session.execute(delete(Assignment))
    elif update:
        for facility, (first, last) in update.items():
            session.execute(
                delete(Assignment).where(
                    Assignment.facility_code == facility,
                    Assignment.shift_date >= first,
                    Assignment.shift_date <= last,
                )
            )
    values = (
        {
            "staff_id": a.staff_id,
            "facility_code": a.facility_code,
            "shift_date": a.shift_date,
            "shift": a.shift,
            "start_utc": utc_naive(a.start),
            "end_utc": utc_naive(a.end),
            "timezone": a.timezone,
            "unit": a.unit,
        }
        for a in parsed.assignments
    )
    for chunk in _chunks(values):
        connection.execute(insert(Assignment.__table__), chunk)
    bump_revision(session)
    return len(parsed.assignments)


def _staff_values(s: StaffRow) -> dict[str, object]:
    return {
        "id": s.staff_id,
        "name": s.name,
        "role": s.role,
        "endpoint": s.endpoint,
        "facility_code": s.facility_code,
        "phone": s.phone or None,
    }


def _chunks(values: Iterable[dict[str, object]]) -> Iterator[list[dict[str, object]]]:
    """Batches for executemany, built as they are sent: a million rows never sit in memory as dicts."""
    iterator = iter(values)
    while chunk := list(islice(iterator, _BATCH)):
        yield chunk


def add_leave(session: Session, staff_id: str, start: datetime, end: datetime, reason: str = "") -> None:
    session.add(Leave(staff_id=staff_id, start_utc=utc_naive(start), end_utc=utc_naive(end), reason=reason))
    bump_revision(session)


def add_swap(
    session: Session, staff_id: str, replacement_id: str, start: datetime, end: datetime, reason: str = ""
) -> None:
    session.add(
        Swap(
            staff_id=staff_id,
            replacement_id=replacement_id,
            start_utc=utc_naive(start),
            end_utc=utc_naive(end),
            reason=reason,
        )
    )
    bump_revision(session)


# -- reading -------------------------------------------------------------------------------------------

_DUTY_COLUMNS = (
    Assignment.staff_id,
    Staff.name,
    Staff.role,
    Staff.endpoint,
    Assignment.facility_code,
    Assignment.shift,
    Assignment.start_utc,
    Assignment.end_utc,
    Assignment.timezone,
    Assignment.shift_date,
    Staff.phone,
)


def _duty(row: tuple) -> Duty:  # type: ignore[type-arg]
    staff_id, name, role, endpoint, facility, shift, start, end, zone, day, phone = row
    return Duty(
        staff_id,
        name,
        role,
        endpoint,
        facility,
        shift,
        start.replace(tzinfo=UTC),
        end.replace(tzinfo=UTC),
        zone,
        day,
        phone or "",
    )


def load_roster(
    session: Session, start: datetime, end: datetime, *, facility_code: str | None = None
) -> Roster:
    """Assignments overlapping [start, end) with the leave and swaps that touch them."""
    query = (
        select(*_DUTY_COLUMNS)
        .join(Staff, Staff.id == Assignment.staff_id)
        .where(
            Assignment.start_utc >= utc_naive(start - LONGEST_SHIFT),
            Assignment.start_utc < utc_naive(end) if end > start else Assignment.start_utc <= utc_naive(end),
            Assignment.end_utc > utc_naive(start),
        )
    )
    if facility_code is not None:
        query = query.where(Assignment.facility_code == facility_code)
    duties = tuple(_duty(row) for row in session.execute(query))
    return Roster(duties, *_exceptions(session, start - LONGEST_SHIFT, end + LONGEST_SHIFT))


def _exceptions(
    session: Session, start: datetime, end: datetime
) -> tuple[tuple[LeaveSpan, ...], tuple[SwapSpan, ...]]:
    lo, hi = utc_naive(start), utc_naive(end)
    leaves = tuple(
        LeaveSpan(staff_id, aware(s), aware(e), reason or "")
        for staff_id, s, e, reason in session.execute(
            select(Leave.staff_id, Leave.start_utc, Leave.end_utc, Leave.reason).where(
                Leave.start_utc < hi, Leave.end_utc > lo
            )
        )
    )
    other = aliased(Staff)
    swaps = tuple(
        SwapSpan(
            staff_id, StaffMember(rid, name, role, endpoint, phone or ""), aware(s), aware(e), reason or ""
        )
        for staff_id, rid, name, role, endpoint, phone, s, e, reason in session.execute(
            select(
                Swap.staff_id,
                other.id,
                other.name,
                other.role,
                other.endpoint,
                other.phone,
                Swap.start_utc,
                Swap.end_utc,
                Swap.reason,
            )
            .join(other, other.id == Swap.replacement_id)
            .where(Swap.start_utc < hi, Swap.end_utc > lo)
        )
    )
    return leaves, swaps


def load_duties(session: Session, start: datetime, end: datetime) -> list[Duty]:
    """Every duty as it will be worked (leave and swaps applied) overlapping [start, end)."""
    return load_roster(session, start, end).resolved()


def next_boundary(session: Session, after: datetime) -> datetime | None:
    """The first instant after `after` at which anyone comes on or goes off duty, from the indexes."""
    bound = utc_naive(after)
    candidates = []
    for column in (
        Assignment.start_utc,
        Assignment.end_utc,
        Leave.start_utc,
        Leave.end_utc,
        Swap.start_utc,
        Swap.end_utc,
    ):
        found = session.scalar(select(column).where(column > bound).order_by(column).limit(1))
        if found is not None:
            candidates.append(found)
    return aware(min(candidates)) if candidates else None


def load_snapshot(session: Session, now: datetime) -> tuple[OnDutySnapshot, int]:
    """The snapshot at `now` from the few rows that matter: shifts running now and the next boundary.

    Only assignments covering `now` are read (an index range of at most `LONGEST_SHIFT` of starts), not
    a window of a day or two: a national roster has ~10,000 of those against ~60,000 in ±24 h.
    """
    at = utc_naive(now)
    query = (
        select(*_DUTY_COLUMNS)
        .join(Staff, Staff.id == Assignment.staff_id)
        .where(
            Assignment.start_utc >= utc_naive(now - LONGEST_SHIFT),
            Assignment.start_utc <= at,
            Assignment.end_utc > at,
        )
    )
    with _collector_paused():
        duties = tuple([_duty(row) for row in session.execute(query).all()])
        leaves, swaps = _exceptions(session, now - LONGEST_SHIFT, now + LONGEST_SHIFT)
        upcoming = next_boundary(session, now)
        horizon = now + SNAPSHOT_WINDOW
        if upcoming is not None and upcoming < horizon:
            horizon = upcoming
        return build_snapshot(Roster(duties, leaves, swaps), now, horizon), len(duties)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """A national rebuild allocates some 100,000 objects and no reference cycles; letting the garbage
    collector scan the heap meanwhile was a third of the rebuild time (measured: 150 → 98 ms CPU)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@dataclass(frozen=True)
class AssignmentRecord:
    """One stored assignment with its person, as `roster export` writes it."""

    facility_code: str
    staff_id: str
    shift_date: date
    shift: str
    start: datetime
    end: datetime
    timezone: str
    staff_name: str
    role: str
    endpoint: str
    phone: str
    unit: str = ""  # the ambulance unit crewed on this shift (empty: none)


def iter_assignments(
    session: Session,
    *,
    facility_codes: list[str] | None = None,
    first: date | None = None,
    last: date | None = None,
) -> Iterator[AssignmentRecord]:
    query = (
        select(
            Assignment.facility_code,
            Assignment.staff_id,
            Assignment.shift_date,
            Assignment.shift,
            Assignment.start_utc,
            Assignment.end_utc,
            Assignment.timezone,
            Staff.name,
            Staff.role,
            Staff.endpoint,
            Staff.phone,
            Assignment.unit,
        )
        .join(Staff, Staff.id == Assignment.staff_id)
        .order_by(Assignment.facility_code, Assignment.start_utc, Assignment.staff_id)
    )
    conditions = []
    if facility_codes:
        conditions.append(Assignment.facility_code.in_(facility_codes))
    if first is not None:
        conditions.append(Assignment.shift_date >= first)
    if last is not None:
        conditions.append(Assignment.shift_date <= last)
    if conditions:
        query = query.where(and_(*conditions))
    for row in session.execute(query).yield_per(5000):
        facility, staff_id, day, shift, start, end, zone, name, role, endpoint, phone, unit = row
        yield AssignmentRecord(
            facility,
            staff_id,
            day,
            shift,
            aware(start),
            aware(end),
            zone,
            name,
            role,
            endpoint,
            phone or "",
            unit or "",
        )


def exceptions_between(
    session: Session, start: datetime, end: datetime, staff_ids: set[str] | None = None
) -> tuple[list[LeaveSpan], list[SwapSpan]]:
    """Leave and swaps overlapping [start, end), optionally of some people only (either side of a swap)."""
    leaves, swaps = _exceptions(session, start, end)
    if staff_ids is None:
        return list(leaves), list(swaps)
    return (
        [leave for leave in leaves if leave.staff_id in staff_ids],
        [s for s in swaps if s.staff_id in staff_ids or s.replacement.staff_id in staff_ids],
    )


def staff_busy(session: Session, staff_id: str, start: datetime, end: datetime) -> list[Duty]:
    """A person's own assignments overlapping [start, end), for checking a swap does not double-book."""
    query = (
        select(*_DUTY_COLUMNS)
        .join(Staff, Staff.id == Assignment.staff_id)
        .where(
            Assignment.staff_id == staff_id,
            Assignment.start_utc < utc_naive(end),
            Assignment.end_utc > utc_naive(start),
        )
    )
    return [_duty(row) for row in session.execute(query)]


def staff_of(session: Session, facility_codes: list[str] | None = None) -> dict[str, list[StaffRow]]:
    """Staff by their home facility, for filling a rotation."""
    query = select(Staff.id, Staff.name, Staff.role, Staff.endpoint, Staff.facility_code, Staff.phone).where(
        Staff.facility_code.is_not(None)
    )
    if facility_codes:
        query = query.where(Staff.facility_code.in_(facility_codes))
    found: dict[str, list[StaffRow]] = defaultdict(list)
    for sid, name, role, endpoint, facility, phone in session.execute(query.order_by(Staff.id)):
        found[facility].append(StaffRow(sid, name, role, endpoint, facility, phone or ""))
    return dict(found)


class RosterSource:
    """Hands the hot path an in-memory snapshot; touches the database at most every `refresh_s`.

    The snapshot is rebuilt when the roster revision changes or the next shift boundary passes, so a
    call never waits on a query it does not need.
    """

    def __init__(self, engine: Engine, refresh_s: float = 2.0) -> None:
        self._engine = engine
        self._refresh_s = refresh_s
        self._lock = threading.Lock()
        self._snapshot: OnDutySnapshot | None = None
        self._revision = -1
        self._checked = float("-inf")
        self._read_failures = 0

    def after_fork(self) -> None:
        """A forked worker must not share its parent's database connections.

        The parent may fork while its scheduler thread holds the lock (a boundary rebuild), and a
        forked copy of a held lock is never released: the worker gets a fresh one.
        """
        self._lock = threading.Lock()
        self._engine.dispose(close=False)

    @property
    def current(self) -> OnDutySnapshot | None:
        """The snapshot in memory, without touching the database."""
        return self._snapshot

    def snapshot(self, now: datetime) -> OnDutySnapshot:
        """The snapshot for `now`. A database that cannot be read costs nothing while the snapshot in
        memory is still valid (until the next shift boundary): calls keep their plans, and the database
        is asked again after `refresh_s`. Past a boundary an old snapshot would ring people whose shift
        ended, so then the error goes up and the dialplan's fallback takes the call."""
        with self._lock:
            fresh = self._snapshot is not None and self._snapshot.is_valid(now)
            if fresh and time.monotonic() - self._checked < self._refresh_s:
                return self._snapshot  # type: ignore[return-value]
            try:
                with Session(self._engine) as session:
                    revision = current_revision(session)
                    self._checked = time.monotonic()
                    if fresh and revision == self._revision:
                        return self._snapshot  # type: ignore[return-value]
                    return self._rebuild(session, now, revision)
            except SQLAlchemyError as exc:
                if not fresh:
                    log.error("roster snapshot cannot be rebuilt, the database is unreadable: %s", exc)
                    raise
                self._checked = time.monotonic()
                self._read_failures += 1
                if self._read_failures == 1 or self._read_failures % 100 == 0:
                    log.warning(
                        "roster database unreadable (%s); routing on the snapshot in memory, valid until %s",
                        str(getattr(exc, "orig", exc))[:120],
                        self._snapshot.valid_until if self._snapshot is not None else "?",
                    )
                return self._snapshot  # type: ignore[return-value]

    def rebuild(self, now: datetime) -> OnDutySnapshot:
        """Rebuild now, whatever the cache says: the scheduler calls this at every shift boundary."""
        with self._lock, Session(self._engine) as session:
            self._checked = time.monotonic()
            return self._rebuild(session, now, current_revision(session))

    def _rebuild(self, session: Session, now: datetime, revision: int) -> OnDutySnapshot:
        self._snapshot, count = load_snapshot(session, now)
        if revision != self._revision:
            log.info("roster snapshot rebuilt: revision %d, %d duties on now", revision, count)
        self._revision = revision
        return self._snapshot


# -- reading for the roster editor ---------------------------------------------------------------------


@dataclass(frozen=True)
class StoredAssignment:
    """One stored assignment with its id and its person's name, as the console's week grid shows it."""

    id: int
    staff_id: str
    staff_name: str
    facility_code: str
    shift_date: date
    shift: str
    start: datetime  # aware, UTC
    end: datetime
    timezone: str


def assignments_between(
    session: Session, facility_codes: Iterable[str], first: date, end: date
) -> list[StoredAssignment]:
    """Assignments of these facilities whose shift date is in [first, end), by start time."""
    query = (
        select(
            Assignment.id,
            Assignment.staff_id,
            Staff.name,
            Assignment.facility_code,
            Assignment.shift_date,
            Assignment.shift,
            Assignment.start_utc,
            Assignment.end_utc,
            Assignment.timezone,
        )
        .join(Staff, Staff.id == Assignment.staff_id)
        .where(
            Assignment.facility_code.in_(list(facility_codes)),
            Assignment.shift_date >= first,
            Assignment.shift_date < end,
        )
        .order_by(Assignment.start_utc, Assignment.staff_id)
    )
    return [
        StoredAssignment(aid, sid, name, facility, day, shift, aware(start), aware(stop), zone)
        for aid, sid, name, facility, day, shift, start, stop, zone in session.execute(query)
    ]


def assignment_facility(session: Session, assignment_id: int) -> str | None:
    """The facility of one assignment (None: no such assignment)."""
    return session.scalar(select(Assignment.facility_code).where(Assignment.id == assignment_id))


def staff_rows(
    session: Session, *, facility_code: str | None = None, ids: Iterable[str] | None = None
) -> list[StaffRow]:
    """Staff whose home is `facility_code`, or with these ids, by id (not the whole country's staff)."""
    query = select(Staff.id, Staff.name, Staff.role, Staff.endpoint, Staff.facility_code, Staff.phone)
    if facility_code is not None:
        query = query.where(Staff.facility_code == facility_code)
    if ids is not None:
        query = query.where(Staff.id.in_(sorted(set(ids))))
    return [
        StaffRow(sid, name, role, endpoint, facility, phone or "")
        for sid, name, role, endpoint, facility, phone in session.execute(query.order_by(Staff.id))
    ]
