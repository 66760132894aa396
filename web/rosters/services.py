"""What the roster editor and `/api/rosters` show: a facility's week as a grid of slots, its shifts, the
shift running now, and the JSON shapes of each.

Every edit (add, remove, swap, copy a week, rotate a month, import) is `shifts.service.RosterService`'s,
the same service `siaga roster` calls: it checks, writes through `shifts.store` (revision bump) and
records the audit entry. This module only hands it the console's user and renders what comes back; the
roster's tables are read through `shifts.store`, never queried here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from dispatch.store import unit_bases
from kernel.dataerrors import DataError
from shifts.scope import RosterBounds
from shifts.service import RosterService as RosterEdits
from shifts.service import monday
from shifts.store import (
    StoredAssignment,
    assignment_facility,
    assignments_between,
    exceptions_between,
    facility_templates,
    staff_rows,
)
from shifts.templates import ShiftTemplate, shifts_for, zone_label
from web.errors import FieldError, InputError, NotFound
from web.places import Places

__all__ = ["MAX_IMPORT_BYTES", "RosterService", "Slot", "StaffLine", "WeekGrid", "monday"]

MAX_IMPORT_BYTES = 5_000_000


@dataclass(frozen=True)
class Slot:
    """One assignment as the editor shows it, in the facility's local time, with its exceptions."""

    id: int
    staff_id: str
    staff_name: str
    facility_code: str
    date: date
    shift: str
    start: datetime  # local, aware
    end: datetime
    covered_by: str = ""  # name of who works it through a swap
    on_leave: bool = False

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "staff_id": self.staff_id,
            "staff_name": self.staff_name,
            "facility_code": self.facility_code,
            "date": self.date.isoformat(),
            "shift": self.shift,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "covered_by": self.covered_by or None,
            "on_leave": self.on_leave,
        }


@dataclass(frozen=True)
class StaffLine:
    staff_id: str
    name: str
    role: str
    endpoint: str


@dataclass
class WeekGrid:
    facility_code: str
    timezone: str
    week_start: date
    days: list[date]
    shifts: list[ShiftTemplate]
    staff: list[StaffLine]
    slots: list[Slot]
    cells: dict[tuple[str, date], list[Slot]] = field(default_factory=dict)

    @property
    def shift_names(self) -> list[str]:
        return [s.name for s in self.shifts]

    @property
    def zone_label(self) -> str:
        return zone_label(self.timezone)

    def cell(self, staff_id: str, day: date) -> list[Slot]:
        return self.cells.get((staff_id, day), [])

    def has(self, staff_id: str, day: date, shift: str) -> Slot | None:
        return next((s for s in self.cell(staff_id, day) if s.shift == shift), None)

    def uncovered(self, day: date, shift: str) -> bool:
        """Nobody will work this shift: unrostered, or everyone rostered is on leave."""
        return not any(s.date == day and s.shift == shift and not s.on_leave for s in self.slots)

    def to_json(self) -> dict[str, object]:
        return {
            "facility_code": self.facility_code,
            "timezone": self.timezone,
            "week_start": self.week_start.isoformat(),
            "days": [d.isoformat() for d in self.days],
            "shifts": [
                {"name": s.name, "start": f"{s.start:%H:%M}", "end": f"{s.end:%H:%M}"} for s in self.shifts
            ],
            "staff": [dataclasses.asdict(s) for s in self.staff],
            "assignments": [s.to_json() for s in self.slots],
        }


class RosterService:
    """The editor's reads, and every edit handed to `shifts.service.RosterService` with the user's name."""

    def __init__(self, places: Places) -> None:
        self.places = places
        self.zones = {code: f.timezone for code, f in places.facilities.items()}
        # Staff work in their own kabupaten, whoever plans the shift; an upload narrows it to the
        # supervisor's kabupaten (`writable`).
        self.edits = RosterEdits(
            self.zones,
            {code: f.kind for code, f in places.facilities.items()},
            RosterBounds(places.kabupaten_of, {a.code: a.name for a in places.kabupaten_list()}),
            units=unit_bases,
        )

    # -- reading ---------------------------------------------------------------------------------------

    def facility(self, code: str, field_name: str = "facility_code") -> str:
        return self.edits.facility(code, field_name)

    def shifts(self, session: Session, facility_code: str) -> list[ShiftTemplate]:
        """The facility's own shifts, or the national pagi/siang/malam."""
        return list(shifts_for(facility_code, facility_templates(session)).values())

    def week(self, session: Session, facility_code: str, week_start: date) -> WeekGrid:
        """The facility's week from Monday: its own staff plus anyone rostered there that week."""
        self.facility(facility_code)
        first = monday(week_start)
        days = [first + timedelta(days=i) for i in range(7)]
        slots = self.slots(session, [facility_code], first, first + timedelta(days=7))
        staff = {
            s.staff_id: StaffLine(s.staff_id, s.name, s.role, s.endpoint)
            for s in staff_rows(session, facility_code=facility_code)
        }
        visitors = {s.staff_id for s in slots} - set(staff)
        if visitors:
            for s in staff_rows(session, ids=visitors):
                staff[s.staff_id] = StaffLine(s.staff_id, s.name, s.role, s.endpoint)
        grid = WeekGrid(
            facility_code,
            self.zones[facility_code],
            first,
            days,
            self.shifts(session, facility_code),
            sorted(staff.values(), key=lambda s: s.staff_id),
            slots,
        )
        for slot in slots:
            grid.cells.setdefault((slot.staff_id, slot.date), []).append(slot)
        return grid

    def slots(self, session: Session, facilities: Iterable[str], first: date, end: date) -> list[Slot]:
        """Assignments whose shift date is in [first, end), marked with the swaps and leave over them."""
        rows = assignments_between(session, facilities, first, end)
        if not rows:
            return []
        lo = min(a.start for a in rows)
        hi = max(a.end for a in rows)
        leaves, swaps = exceptions_between(session, lo, hi, {a.staff_id for a in rows})
        found = []
        for a in rows:
            cover = next(
                (s for s in swaps if s.staff_id == a.staff_id and s.start < a.end and a.start < s.end), None
            )
            worker = cover.replacement.staff_id if cover else a.staff_id
            on_leave = any(lv.staff_id == worker and lv.start < a.end and a.start < lv.end for lv in leaves)
            found.append(_slot_of(a, cover.replacement.name if cover else "", on_leave))
        return found

    def assignment_facility(self, session: Session, assignment_id: int) -> str:
        facility = assignment_facility(session, assignment_id)
        if facility is None:
            raise NotFound(f"no assignment {assignment_id}")
        return facility

    def current_shift(self, session: Session, facility_code: str, now: datetime) -> tuple[date, str]:
        """The shift running at `now` in the facility's zone (a night shift belongs to its start date);
        with shift times that leave a hole, the next one to start."""
        zone = ZoneInfo(self.zones[facility_code])
        local = now.astimezone(zone)
        templates = self.shifts(session, facility_code)
        for day in (local.date(), local.date() - timedelta(days=1)):
            for template in templates:
                start, end = template.window(day, zone)
                if start <= local < end:
                    return day, template.name
        starts = [
            (t.window(local.date() + timedelta(days=k), zone)[0], local.date() + timedelta(days=k), t.name)
            for t in templates
            for k in (0, 1)
        ]
        _, day, name = min(x for x in starts if x[0] > local)
        return day, name

    # -- edits: `shifts.service` does them; the console renders the result ------------------------------

    def add(
        self,
        session: Session,
        actor: str,
        facility_code: str,
        staff_id: str,
        day: date | None = None,
        shift: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        unit: str | None = None,
    ) -> Slot:
        """Put one person on one shift (a named shift on a date, or explicit start and end), optionally on
        an ambulance unit based at that facility."""
        added = self.edits.add(session, actor, facility_code, staff_id, day, shift, start, end, unit or None)
        return self._slot(session, added.facility_code, added.shift_date, added.id)

    def remove(self, session: Session, actor: str, assignment_id: int) -> dict[str, object]:
        return self.edits.remove(session, actor, assignment_id)

    def swap(
        self, session: Session, actor: str, assignment_id: int, to_staff_id: str, reason: str = ""
    ) -> Slot:
        """Someone else works this shift: a swap exception, so the plan still shows who was rostered."""
        a = self.edits.swap(
            session, actor, assignment_id, to_staff_id, reason or f"swapped in the web console by {actor}"
        )
        return self._slot(session, a.facility_code, a.shift_date, a.id)

    def copy_week(self, session: Session, actor: str, facility_code: str, source: date, target: date) -> int:
        return self.edits.copy_week(session, actor, facility_code, source, target)

    def apply_rotation(
        self,
        session: Session,
        actor: str,
        facility_code: str,
        month: date,
        staff_ids: list[str] | None = None,
    ) -> tuple[int, int]:
        """(assignments written, shifts left unfilled); without `staff_ids`, as `siaga roster fill`
        chooses."""
        return self.edits.rotate(session, actor, facility_code, month, staff_ids)

    def import_csv(
        self,
        session: Session,
        actor: str,
        text: str,
        source: str,
        writable: frozenset[str] | None,
        replace: bool,
    ) -> int:
        """Import a roster CSV, all or nothing, every bad line (and every line outside the user's
        kabupaten, `writable`) listed. The console's 'replace' is the command's `--update`: each
        facility's assignments on the file's dates are replaced."""
        try:
            result = self.edits.import_csv(
                session, actor, text, source, update=replace, writable=writable, empty_ok=False
            )
        except DataError as exc:
            raise InputError(
                [FieldError(e.field or "file", _web_words(e.message), e.line or None) for e in exc.errors]
            ) from exc
        return result.assignments

    def export_csv(self, session: Session, facilities: list[str], first: date, end: date) -> str:
        """The roster in the import format, shift dates in [first, end)."""
        return self.edits.export_csv(session, facilities, first, end - timedelta(days=1))

    def _slot(self, session: Session, facility_code: str, day: date, assignment_id: int) -> Slot:
        (found,) = [
            s
            for s in self.slots(session, [facility_code], day, day + timedelta(days=1))
            if s.id == assignment_id
        ]
        return found


def _slot_of(a: StoredAssignment, covered_by: str, on_leave: bool) -> Slot:
    zone = ZoneInfo(a.timezone)
    return Slot(
        a.id,
        a.staff_id,
        a.staff_name,
        a.facility_code,
        a.shift_date,
        a.shift,
        a.start.astimezone(zone),
        a.end.astimezone(zone),
        covered_by,
        on_leave,
    )


def _web_words(message: str) -> str:
    """`shifts` speaks to the command line; on the web the same choice is the 'replace' box."""
    return message.replace(
        "use --update to replace the same facilities and dates, or --replace", "tick 'replace'"
    )
