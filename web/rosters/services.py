"""Roster operations behind the editor and `/api/rosters`: read a week, add, remove, swap, copy, rotate,
import and export — each one change with an audit entry, in the request's transaction.

Everything that decides what a roster may hold lives in `shifts`: new assignments go through
`parse_roster_csv` (the checks of `siaga roster import`, with each facility's own shift times), an
upload through `shifts.importing.check_import` (the command's own path), kabupaten bounds through
`shifts.scope.RosterBounds` (staff work in their own kabupaten; a supervisor writes only theirs), a swap
is a `shifts` swap exception, a month is filled by `rotate_month`, an export is
`shifts.export.roster_csv`. This module only adds what a click needs: one person, one shift, checked
against what is already stored.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from kernel.dataerrors import DataError
from shifts.export import roster_csv
from shifts.importing import check_import
from shifts.model import Assignment, Staff
from shifts.roster_csv import AssignmentRow, ParsedRoster, StaffRow, parse_roster_csv
from shifts.rotation import month_slots, rotate_month, rotating_staff
from shifts.scope import RosterBounds
from shifts.store import (
    add_swap,
    delete_assignments,
    exceptions_between,
    facility_templates,
    iter_assignments,
    known_staff,
    staff_busy,
    write_roster,
)
from shifts.templates import ShiftTemplate, shifts_for, zone_label
from web.audit import record
from web.errors import FieldError, InputError, NotFound
from web.places import Places

MAX_IMPORT_BYTES = 5_000_000
AUDIT_ROWS = 2_000  # an audit entry keeps at most this many assignments before and after

Templates = Mapping[str, Mapping[str, ShiftTemplate]]


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


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _aware_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC)


def _snapshot(a: Assignment) -> dict[str, object]:
    """An assignment as the audit log records it (UTC times, ISO strings)."""
    return {
        "id": a.id,
        "staff_id": a.staff_id,
        "facility_code": a.facility_code,
        "date": a.shift_date.isoformat(),
        "shift": a.shift,
        "start": _aware_utc(a.start_utc).isoformat(),
        "end": _aware_utc(a.end_utc).isoformat(),
    }


def _row_json(a: AssignmentRow) -> dict[str, object]:
    return {
        "staff_id": a.staff_id,
        "facility_code": a.facility_code,
        "date": a.shift_date.isoformat(),
        "shift": a.shift,
        "start": a.start.astimezone(UTC).isoformat(),
        "end": a.end.astimezone(UTC).isoformat(),
    }


def _staff_json(s: StaffRow) -> dict[str, object]:
    """A staff record as the audit log records it (the keys of the console's own staff edits)."""
    return {
        "staff_id": s.staff_id,
        "name": s.name,
        "role": s.role,
        "endpoint": s.endpoint,
        "facility": s.facility_code,
        "phone": s.phone or None,
    }


def _capped(items: list[dict[str, object]]) -> list[dict[str, object]] | None:
    if not items:
        return None
    if len(items) <= AUDIT_ROWS:
        return items
    return [*items[:AUDIT_ROWS], {"truncated": len(items) - AUDIT_ROWS}]


class RosterService:
    def __init__(self, places: Places) -> None:
        self.places = places
        self.zones = {code: f.timezone for code, f in places.facilities.items()}
        # Staff work in their own kabupaten, whoever plans the shift; `for_writer` narrows it to a
        # supervisor's kabupaten for an upload.
        self.bounds = RosterBounds(places.kabupaten_of, {a.code: a.name for a in places.kabupaten_list()})

    # -- reading ---------------------------------------------------------------------------------------

    def facility(self, code: str, field_name: str = "facility_code") -> str:
        if code not in self.places.facilities:
            raise InputError.one(field_name, f"unknown facility {code!r}")
        return code

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
            s.id: StaffLine(s.id, s.name, s.role, s.endpoint)
            for s in session.scalars(select(Staff).where(Staff.facility_code == facility_code))
        }
        visitors = {s.staff_id for s in slots} - set(staff)
        if visitors:
            for s in session.scalars(select(Staff).where(Staff.id.in_(visitors))):
                staff[s.id] = StaffLine(s.id, s.name, s.role, s.endpoint)
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
        query = (
            select(Assignment, Staff.name)
            .join(Staff, Staff.id == Assignment.staff_id)
            .where(
                Assignment.facility_code.in_(list(facilities)),
                Assignment.shift_date >= first,
                Assignment.shift_date < end,
            )
            .order_by(Assignment.start_utc, Assignment.staff_id)
        )
        rows = list(session.execute(query))
        if not rows:
            return []
        lo = min(_aware_utc(a.start_utc) for a, _ in rows)
        hi = max(_aware_utc(a.end_utc) for a, _ in rows)
        leaves, swaps = exceptions_between(session, lo, hi, {a.staff_id for a, _ in rows})
        found = []
        for a, name in rows:
            zone = ZoneInfo(a.timezone)
            start, end_ = _aware_utc(a.start_utc), _aware_utc(a.end_utc)
            cover = next(
                (s for s in swaps if s.staff_id == a.staff_id and s.start < end_ and start < s.end), None
            )
            worker = cover.replacement.staff_id if cover else a.staff_id
            on_leave = any(lv.staff_id == worker and lv.start < end_ and start < lv.end for lv in leaves)
            found.append(
                Slot(
                    a.id,
                    a.staff_id,
                    name,
                    a.facility_code,
                    a.shift_date,
                    a.shift,
                    start.astimezone(zone),
                    end_.astimezone(zone),
                    cover.replacement.name if cover else "",
                    on_leave,
                )
            )
        return found

    def assignment_facility(self, session: Session, assignment_id: int) -> str:
        a = session.get(Assignment, assignment_id)
        if a is None:
            raise NotFound(f"no assignment {assignment_id}")
        return a.facility_code

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

    # -- checks shared by every write -----------------------------------------------------------------

    def _parse(self, session: Session, lines: list[dict[str, str]], source: str) -> ParsedRoster:
        """Lines typed in a form, checked exactly as an imported file (the facility's shift times too)."""
        columns = ["facility_code", "staff_id", "date", "shift", "start", "end"]
        out = io.StringIO()
        writer = csv.DictWriter(out, columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(lines)
        try:
            parsed = parse_roster_csv(
                out.getvalue(),
                source,
                self.zones,
                known_staff(session),
                templates=facility_templates(session),
                bounds=self.bounds,
            )
        except DataError as exc:
            # A month's rotation repeats one person's problem on every shift: say it once.
            errors = dict.fromkeys(FieldError(e.field or "roster", e.message) for e in exc.errors)
            raise InputError(list(errors)) from exc
        # Line numbers of this synthetic file mean nothing to the person at the form.
        return ParsedRoster(parsed.staff, [dataclasses.replace(a, line=0) for a in parsed.assignments])

    def _busy(self, session: Session, rows: list[AssignmentRow]) -> list[FieldError]:
        """Rows that would put someone on two shifts at once, given what is already stored."""
        errors = []
        for row in rows:
            for duty in staff_busy(session, row.staff_id, row.start, row.end):
                zone = ZoneInfo(duty.timezone)
                errors.append(
                    FieldError(
                        "staff_id",
                        f"{row.staff_id} is already on duty at {duty.facility_code} "
                        f"({duty.shift} {duty.start.astimezone(zone):%Y-%m-%d %H:%M}–"
                        f"{duty.end.astimezone(zone):%H:%M})",
                        row.line or None,
                    )
                )
                break
        return errors

    def _write(self, session: Session, rows: list[AssignmentRow]) -> list[Assignment]:
        """Write checked rows; returns the new assignments (with their ids)."""
        write_roster(session, ParsedRoster([], rows))
        session.flush()
        return [
            session.scalars(
                select(Assignment).where(
                    Assignment.staff_id == row.staff_id,
                    Assignment.start_utc == row.start.astimezone(UTC).replace(tzinfo=None),
                )
            ).one()
            for row in rows
        ]

    def _delete(self, session: Session, assignments: list[Assignment]) -> None:
        delete_assignments(session, [a.id for a in assignments])

    # -- edits -----------------------------------------------------------------------------------------

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
    ) -> Slot:
        """Put one person on one shift (a named shift on a date, or explicit start and end)."""
        if day is not None and shift is not None:
            line = {"date": day.isoformat(), "shift": shift}
        elif start is not None and end is not None:
            line = {"start": start.isoformat(), "end": end.isoformat()}
        else:
            raise InputError.one("shift", "give date and shift, or start and end")
        parsed = self._parse(
            session, [{"facility_code": facility_code, "staff_id": staff_id, **line}], "form"
        )
        errors = self._busy(session, parsed.assignments)
        if errors:
            raise InputError(errors)
        (added,) = self._write(session, parsed.assignments)
        record(session, actor, "add", facility_code, f"{staff_id} on {_label(added)}", None, _snapshot(added))
        return self._slot(session, added)

    def remove(self, session: Session, actor: str, assignment_id: int) -> dict[str, object]:
        a = session.get(Assignment, assignment_id)
        if a is None:
            raise NotFound(f"no assignment {assignment_id}")
        before = _snapshot(a)
        self._delete(session, [a])
        record(session, actor, "remove", a.facility_code, f"{a.staff_id} off {_label(a)}", before, None)
        return before

    def swap(
        self, session: Session, actor: str, assignment_id: int, to_staff_id: str, reason: str = ""
    ) -> Slot:
        """Someone else works this shift (a sick nurse swapped out tonight): a swap exception, so the plan
        still shows who was rostered and the engine rings the replacement."""
        a = session.get(Assignment, assignment_id)
        if a is None:
            raise NotFound(f"no assignment {assignment_id}")
        other = session.get(Staff, to_staff_id)
        if other is None:
            raise InputError.one("staff_id", f"unknown staff {to_staff_id!r}")
        if to_staff_id == a.staff_id:
            raise InputError.one("staff_id", f"{to_staff_id} already has this shift")
        refusal = self.bounds.placement_refusal(to_staff_id, other.facility_code, a.facility_code)
        if refusal:
            raise InputError.one("staff_id", refusal)
        start, end = _aware_utc(a.start_utc), _aware_utc(a.end_utc)
        probe = AssignmentRow(0, to_staff_id, a.facility_code, a.shift_date, a.shift, start, end, a.timezone)
        errors = self._busy(session, [probe])
        if errors:
            raise InputError(errors)
        add_swap(
            session, a.staff_id, to_staff_id, start, end, reason or f"swapped in the web console by {actor}"
        )
        before = _snapshot(a)
        record(
            session,
            actor,
            "swap",
            a.facility_code,
            f"{a.staff_id} → {to_staff_id} on {_label(a)}",
            before,
            {**before, "worked_by": to_staff_id},
        )
        session.flush()
        return self._slot(session, a)

    def copy_week(self, session: Session, actor: str, facility_code: str, source: date, target: date) -> int:
        """Replace the target week's assignments of one facility with the source week's, moved in time."""
        self.facility(facility_code)
        source, target = monday(source), monday(target)
        if source == target:
            raise InputError.one("to_week", "is the same week as from_week")
        offset = target - source
        old = self._in_range(session, facility_code, target, target + timedelta(days=7))
        copied = self._in_range(session, facility_code, source, source + timedelta(days=7))
        if not copied:
            raise InputError.one("from_week", f"no assignments at {facility_code} in the week of {source}")
        names = {s.name for s in self.shifts(session, facility_code)}
        lines = [_line_of(a, names, offset) for a in copied]
        summary = f"week of {source} copied to week of {target}"
        return self._replace(session, actor, "copy-week", facility_code, old, lines, summary)

    def apply_rotation(
        self,
        session: Session,
        actor: str,
        facility_code: str,
        month: date,
        staff_ids: list[str] | None = None,
    ) -> tuple[int, int]:
        """Replace a month of one facility's roster with `shifts.rotation.rotate_month` (fair turns, rest
        between shifts kept). Returns (assignments written, shifts left unfilled)."""
        self.facility(facility_code)
        if staff_ids is None:  # as `siaga roster fill` chooses: the roles that answer there
            query = select(Staff.id, Staff.role).where(Staff.facility_code == facility_code)
            query = query.order_by(Staff.id)
            kind = self.places.facilities[facility_code].kind
            staff_ids = rotating_staff(kind, [(row.id, row.role) for row in session.execute(query)])
        if not staff_ids:
            raise InputError.one("staff_ids", f"{facility_code} has no staff to rotate")
        if len(set(staff_ids)) != len(staff_ids):
            raise InputError.one("staff_ids", "a person is listed twice")
        unknown = [s for s in staff_ids if session.get(Staff, s) is None]
        if unknown:
            raise InputError.one("staff_ids", f"unknown staff {', '.join(unknown)}")
        zone = ZoneInfo(self.zones[facility_code])
        templates = shifts_for(facility_code, facility_templates(session))
        rotation = rotate_month(staff_ids, month_slots(month.year, month.month, templates, zone))
        lines = [
            {"facility_code": facility_code, "staff_id": s, "date": d.isoformat(), "shift": sh}
            for s, d, sh in rotation.rows
        ]
        first = month.replace(day=1)
        end = (first + timedelta(days=32)).replace(day=1)
        old = self._in_range(session, facility_code, first, end)
        summary = (
            f"rotation for {first:%Y-%m} ({', '.join(staff_ids)}), {len(rotation.unfilled)} shift(s) unfilled"
        )
        written = self._replace(session, actor, "rotation", facility_code, old, lines, summary)
        return written, len(rotation.unfilled)

    def import_csv(
        self,
        session: Session,
        actor: str,
        text: str,
        source: str,
        writable: frozenset[str] | None,
        replace: bool,
    ) -> int:
        """Import a roster CSV, all or nothing; every bad line (and every line outside the user's kabupaten)
        is reported. With `replace`, each facility's assignments on the file's dates are replaced, as
        `siaga roster import --update` does.

        `writable` is the user's kabupaten (None: every one). It is checked by the importer itself on
        each parsed line — the facility the line writes and the staff record it creates or changes — so
        no second reading of the file (a header with a stray space, a column named twice) can differ
        from what is written. Staff records the file creates or changes are audited with the roster.
        """
        try:
            checked = check_import(
                session, text, source, self.zones, update=replace, bounds=self.bounds.for_writer(writable)
            )
        except DataError as exc:
            raise InputError(
                [FieldError(e.field or "file", _web_words(e.message), e.line or None) for e in exc.errors]
            ) from exc
        parsed, update = checked.parsed, checked.update
        if not parsed.assignments:
            raise InputError.one("file", "no assignments in the file")
        old = [
            a
            for code, (lo, hi) in (update or {}).items()
            for a in self._in_range(session, code, lo, hi + timedelta(days=1))
        ]
        before = [_snapshot(a) for a in old]
        write_roster(session, parsed, update=update)
        facilities = sorted({a.facility_code for a in parsed.assignments})
        record(
            session,
            actor,
            "import",
            facilities[0] if len(facilities) == 1 else None,
            f"{len(parsed.assignments)} assignment(s) from {source} for {', '.join(facilities)}"
            + (f", replacing {len(old)}" if replace else ""),
            _capped(before),
            _capped([_row_json(a) for a in parsed.assignments]),
        )
        if parsed.staff:
            homes = {s.facility_code for s in parsed.staff}
            home = next(iter(homes)) if len(homes) == 1 else None  # else national readers only
            changed = [
                checked.staff_before[s.staff_id] for s in parsed.staff if s.staff_id in checked.staff_before
            ]
            record(
                session,
                actor,
                "import-staff",
                home,
                f"{len(parsed.staff)} staff record(s) from {source}: "
                f"{len(parsed.staff) - len(changed)} new, {len(changed)} changed",
                _capped([_staff_json(s) for s in changed]),
                _capped([_staff_json(s) for s in parsed.staff]),
            )
        return len(parsed.assignments)

    def export_csv(self, session: Session, facilities: list[str], first: date, end: date) -> str:
        """The roster in the import format (`shifts.export`), safe to open in a spreadsheet."""
        records = iter_assignments(
            session, facility_codes=facilities, first=first, last=end - timedelta(days=1)
        )
        return roster_csv(records, facility_templates(session))

    # -- helpers ---------------------------------------------------------------------------------------

    def _in_range(self, session: Session, facility_code: str, first: date, end: date) -> list[Assignment]:
        return list(
            session.scalars(
                select(Assignment)
                .where(
                    Assignment.facility_code == facility_code,
                    Assignment.shift_date >= first,
                    Assignment.shift_date < end,
                )
                .order_by(Assignment.start_utc)
            )
        )

    def _replace(
        self,
        session: Session,
        actor: str,
        action: str,
        facility_code: str,
        old: list[Assignment],
        lines: list[dict[str, str]],
        summary: str,
    ) -> int:
        before = [_snapshot(a) for a in old]
        self._delete(session, old)
        parsed = self._parse(session, lines, action) if lines else ParsedRoster([], [])
        errors = self._busy(session, parsed.assignments)
        if errors:
            raise InputError(errors)
        write_roster(session, parsed)
        record(
            session,
            actor,
            action,
            facility_code,
            f"{summary}: {len(parsed.assignments)} assignment(s), replacing {len(old)}",
            _capped(before),
            _capped([_row_json(a) for a in parsed.assignments]),
        )
        return len(parsed.assignments)

    def _slot(self, session: Session, a: Assignment) -> Slot:
        start = a.shift_date
        found = [
            s
            for s in self.slots(session, [a.facility_code], start, start + timedelta(days=1))
            if s.id == a.id
        ]
        return found[0]


def _web_words(message: str) -> str:
    """`shifts` speaks to the command line; on the web the same choice is the 'replace' box."""
    return message.replace(
        "use --update to replace the same facilities and dates, or --replace", "tick 'replace'"
    )


def _label(a: Assignment) -> str:
    return f"{a.shift} {a.shift_date.isoformat()} at {a.facility_code}"


def _line_of(a: Assignment, named: set[str], offset: timedelta) -> dict[str, str]:
    """An assignment as an import line moved by whole days (a named shift keeps its name and template)."""
    line = {"facility_code": a.facility_code, "staff_id": a.staff_id}
    if a.shift in named:
        return line | {"date": (a.shift_date + offset).isoformat(), "shift": a.shift}
    zone = ZoneInfo(a.timezone)

    def moved(value: datetime) -> str:
        local = _aware_utc(value).astimezone(zone)
        return datetime.combine(
            local.date() + offset, time(local.hour, local.minute), tzinfo=zone
        ).isoformat()

    return line | {"start": moved(a.start_utc), "end": moved(a.end_utc)}
