"""Reading and writing the roster in the database, and the refreshed snapshot the engine routes from."""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from shifts.model import Assignment, RosterRevision, Staff
from shifts.roster import Duty, OnDutySnapshot, build_snapshot
from shifts.roster_csv import ParsedRoster, StaffRow

log = logging.getLogger("siaga.shifts")

SNAPSHOT_WINDOW = timedelta(hours=24)


def _utc_naive(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None)


def known_staff(session: Session) -> dict[str, StaffRow]:
    return {
        s.id: StaffRow(s.id, s.name, s.role, s.endpoint, s.facility_code)
        for s in session.scalars(select(Staff))
    }


def bump_revision(session: Session) -> None:
    row = session.get(RosterRevision, 1)
    if row is None:
        session.add(RosterRevision(id=1, revision=1))
    else:
        row.revision += 1


def write_roster(session: Session, parsed: ParsedRoster, *, replace: bool = False) -> int:
    """Write staff and assignments in the caller's transaction; returns the number of assignments."""
    for staff in parsed.staff:
        row = session.get(Staff, staff.staff_id)
        if row is None:
            session.add(
                Staff(
                    id=staff.staff_id,
                    name=staff.name,
                    role=staff.role,
                    endpoint=staff.endpoint,
                    facility_code=staff.facility_code,
                )
            )
        else:
            row.name, row.role, row.endpoint = staff.name, staff.role, staff.endpoint
            row.facility_code = staff.facility_code or row.facility_code
    session.flush()
    if replace:
        session.execute(delete(Assignment))
    for a in parsed.assignments:
        session.add(
            Assignment(
                staff_id=a.staff_id,
                facility_code=a.facility_code,
                shift_date=a.shift_date,
                shift=a.shift,
                start_utc=_utc_naive(a.start),
                end_utc=_utc_naive(a.end),
                timezone=a.timezone,
            )
        )
    bump_revision(session)
    return len(parsed.assignments)


def current_revision(session: Session) -> int:
    row = session.get(RosterRevision, 1)
    return row.revision if row else 0


def load_duties(session: Session, start: datetime, end: datetime) -> list[Duty]:
    """Every assignment overlapping [start, end), joined with its staff member."""
    query = (
        select(Assignment, Staff)
        .join(Staff, Staff.id == Assignment.staff_id)
        .where(Assignment.end_utc > _utc_naive(start), Assignment.start_utc < _utc_naive(end))
    )
    return [
        Duty(
            staff_id=s.id,
            staff_name=s.name,
            role=s.role,
            endpoint=s.endpoint,
            facility_code=a.facility_code,
            shift=a.shift,
            start=a.start_utc.replace(tzinfo=UTC),
            end=a.end_utc.replace(tzinfo=UTC),
        )
        for a, s in session.execute(query)
    ]


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

    def after_fork(self) -> None:
        """A forked worker must not share its parent's database connections."""
        self._engine.dispose(close=False)

    def snapshot(self, now: datetime) -> OnDutySnapshot:
        with self._lock:
            fresh = self._snapshot is not None and self._snapshot.is_valid(now)
            if fresh and time.monotonic() - self._checked < self._refresh_s:
                return self._snapshot  # type: ignore[return-value]
            with Session(self._engine) as session:
                revision = current_revision(session)
                self._checked = time.monotonic()
                if fresh and revision == self._revision:
                    return self._snapshot  # type: ignore[return-value]
                duties = load_duties(session, now - SNAPSHOT_WINDOW, now + SNAPSHOT_WINDOW)
            self._snapshot = build_snapshot(duties, now, now + SNAPSHOT_WINDOW)
            if revision != self._revision:
                log.info("roster snapshot rebuilt: revision %d, %d duties loaded", revision, len(duties))
            self._revision = revision
            return self._snapshot
