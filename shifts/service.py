"""The roster's application service: every edit of a roster — add, remove, swap, leave, copy a week,
rotate a month, import — and the export, for `siaga roster`, the console and the jobs alike.

Each edit runs its checks, writes through `shifts.store` (which bumps the roster revision, so the engines
rebuild their snapshot) and records one audit entry (`kernel.audit`: who, what, before and after), all in
the caller's transaction: a refused edit raises and leaves nothing behind, a done one leaves the roster,
its revision and its audit entry together.

What decides what a roster may hold is the rest of `shifts`, used the same way by every front-end: lines
typed in a form are checked as an imported file (`parse_roster_csv`, with each facility's own shift
times), an upload or a generated month through `shifts.importing.check_import`, kabupaten bounds through
`shifts.scope.RosterBounds`, a month by `shifts.rotation` (who rotates: `rotating_staff`).

Errors: a bad request raises `InputError` (each problem a `FieldError` naming the field); a bad file
raises `DataError` (each bad line with its number), which the command line prints as it always has and
the console turns into its list of fields; an unknown assignment raises `NotFound`. The messages are the
command line's own words: a front-end that names its options (`--to`) prints only the reasons.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kernel.audit import record
from kernel.dataerrors import DataError, FieldError, InputError, NotFound
from shifts.export import defuse, roster_csv
from shifts.importing import ImportResult, check_import
from shifts.model import Assignment, Staff
from shifts.roster import Duty
from shifts.roster_csv import AssignmentRow, ParsedRoster, StaffRow, parse_roster_csv
from shifts.rotation import MIN_REST, Rotation, month_slots, rotate_month, rotating_staff
from shifts.scope import RosterBounds
from shifts.store import (
    add_leave,
    add_swap,
    delete_assignments,
    facility_templates,
    iter_assignments,
    known_staff,
    staff_busy,
    staff_of,
    write_roster,
)
from shifts.templates import MAX_SHIFT, ShiftTemplate, shifts_for

UnitBases = Callable[[Session], Mapping[str, str]]

AUDIT_ROWS = 2_000  # an audit entry keeps at most this many assignments before and after
AUDIT_FACILITIES = 20  # an import's summary names at most this many facilities

Templates = Mapping[str, Mapping[str, ShiftTemplate]]


@dataclass(frozen=True)
class MonthRotation:
    """A month's rotation as a roster CSV (`facility_code,staff_id,date,shift,staff_name,role`)."""

    year: int
    month: int
    text: str
    rows: int
    facilities: int  # facilities with staff of their own, rotated or not
    unfilled: list[str]  # "pkm-x 2026-12-03 malam: 1 person(s) short"

    @property
    def label(self) -> str:
        return f"{self.year}-{self.month:02d}"


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


class RosterService:
    """Built once per process from plain data: each facility's time zone and kind, and the kabupaten
    bounds (staff work in their own kabupaten; `writable` narrows an upload to a supervisor's). The
    actor of each edit is given per call: a console user's name, or `cli:<login>`."""

    def __init__(
        self,
        zones: Mapping[str, str],
        kinds: Mapping[str, str],
        bounds: RosterBounds,
        max_shift: timedelta = MAX_SHIFT,
        units: UnitBases | None = None,
    ) -> None:
        self.zones = dict(zones)
        self.kinds = dict(kinds)
        self.bounds = bounds
        self.max_shift = max_shift
        # The ambulance units a roster line's `unit` may name (code → base facility), read per edit. They
        # are dispatch's table, above this package: the front-ends hand in `dispatch.store.unit_bases`.
        self.units = units

    def facility(self, code: str, field_name: str = "facility_code") -> str:
        if code not in self.zones:
            raise InputError.one(field_name, f"unknown facility {code!r}")
        return code

    # -- one shift ------------------------------------------------------------------------------------

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
    ) -> Assignment:
        """Put one person on one shift (a named shift on a date, or explicit start and end), optionally
        on an ambulance unit (checked as the import's `unit` column is)."""
        if day is not None and shift is not None:
            line = {"date": day.isoformat(), "shift": shift}
        elif start is not None and end is not None:
            line = {"start": start.isoformat(), "end": end.isoformat()}
        else:
            raise InputError.one("shift", "give date and shift, or start and end")
        if unit:
            line["unit"] = unit
        parsed = self._parse(
            session, [{"facility_code": facility_code, "staff_id": staff_id, **line}], "form"
        )
        errors = self._busy(session, parsed.assignments)
        if errors:
            raise InputError(errors)
        (added,) = self._write(session, parsed.assignments)
        record(session, actor, "add", facility_code, f"{staff_id} on {_label(added)}", None, _snapshot(added))
        return added

    def remove(self, session: Session, actor: str, assignment_id: int) -> dict[str, object]:
        """Take one assignment off the roster; returns it as the audit log records it."""
        a = self.assignment(session, assignment_id)
        before = _snapshot(a)
        delete_assignments(session, [a.id])
        record(session, actor, "remove", a.facility_code, f"{a.staff_id} off {_label(a)}", before, None)
        return before

    def swap(
        self, session: Session, actor: str, assignment_id: int, to_staff_id: str, reason: str = ""
    ) -> Assignment:
        """Someone else works this shift (a sick nurse swapped out tonight): a swap exception, so the plan
        still shows who was rostered and the engine rings the replacement."""
        a = self.assignment(session, assignment_id)
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
        add_swap(session, a.staff_id, to_staff_id, start, end, reason or f"swapped by {actor}")
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
        return a

    def assignment(self, session: Session, assignment_id: int) -> Assignment:
        a = session.get(Assignment, assignment_id)
        if a is None:
            raise NotFound(f"no assignment {assignment_id}")
        return a

    # -- a person over a span -------------------------------------------------------------------------

    def swap_span(
        self,
        session: Session,
        actor: str,
        staff_id: str,
        replacement_id: str,
        start: datetime,
        end: datetime,
        reason: str = "",
    ) -> list[Duty]:
        """`replacement_id` works every shift of `staff_id` in [start, end) (tukar jaga); returns those
        shifts. Refused if the replacement may not work there or is on duty at the same time."""
        if end <= start:
            raise InputError.one("end", "must be after the start")
        if staff_id == replacement_id:
            raise InputError.one("replacement", "a swap needs two different people")
        people = {}
        for field_name, who in (("staff_id", staff_id), ("replacement", replacement_id)):
            person = session.get(Staff, who)
            if person is None:
                raise InputError.one(field_name, f"unknown staff {who!r}")
            people[who] = person
        shifts = staff_busy(session, staff_id, start, end)
        if not shifts:
            raise InputError.one(
                "staff_id", f"{staff_id} has no shift between {start.isoformat()} and {end.isoformat()}"
            )
        home = people[replacement_id].facility_code
        for duty in shifts:
            refusal = self.bounds.placement_refusal(replacement_id, home, duty.facility_code)
            if refusal:
                raise InputError.one(
                    "replacement", f"{replacement_id} cannot work {staff_id}'s shifts: {refusal}"
                )
            clash = staff_busy(session, replacement_id, max(duty.start, start), min(duty.end, end))
            if clash:
                raise InputError.one(
                    "replacement",
                    f"{replacement_id} is already on duty at {clash[0].facility_code} "
                    f"({clash[0].shift_date} {clash[0].shift}) during {staff_id}'s {duty.shift} shift",
                )
        add_swap(session, staff_id, replacement_id, start, end, reason)
        before = [_duty_json(d) for d in shifts]
        record(
            session,
            actor,
            "swap",
            _one_facility(d.facility_code for d in shifts),
            f"{replacement_id} works {len(shifts)} shift(s) of {staff_id} "
            f"between {_utc(start)} and {_utc(end)}",
            _capped(before),
            _capped([{**d, "worked_by": replacement_id} for d in before]),
        )
        return shifts

    def leave(
        self, session: Session, actor: str, staff_id: str, start: datetime, end: datetime, reason: str = ""
    ) -> list[Duty]:
        """Take a person off every shift in [start, end) (sick, cuti, training); returns the shifts it
        touches, which the coverage check will now show as gaps if no one else is on."""
        if end <= start:
            raise InputError.one("end", "must be after the start")
        person = session.get(Staff, staff_id)
        if person is None:
            raise InputError.one("staff_id", f"unknown staff {staff_id!r}")
        add_leave(session, staff_id, start, end, reason)
        affected = staff_busy(session, staff_id, start, end)
        record(
            session,
            actor,
            "leave",
            person.facility_code,
            f"{staff_id} on leave {_utc(start)} – {_utc(end)}: {len(affected)} shift(s) affected",
            None,
            {
                "staff_id": staff_id,
                "start": _utc(start),
                "end": _utc(end),
                "reason": reason or None,
                "shifts": _capped([_duty_json(d) for d in affected]),
            },
        )
        return affected

    # -- a week, a month ------------------------------------------------------------------------------

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
        names = set(shifts_for(facility_code, facility_templates(session)))
        lines = [_line_of(a, names, offset) for a in copied]
        summary = f"week of {source} copied to week of {target}"
        return self._replace(session, actor, "copy-week", facility_code, old, lines, summary)

    def rotate(
        self,
        session: Session,
        actor: str,
        facility_code: str,
        month: date,
        staff_ids: list[str] | None = None,
    ) -> tuple[int, int]:
        """Replace a month of one facility's roster with its rotation (`shifts.rotation.rotate_month`: fair
        turns, rest between shifts kept). Without `staff_ids`, those `siaga roster fill` would rotate.
        Returns (assignments written, shifts left unfilled)."""
        self.facility(facility_code)
        if staff_ids is None:
            home = staff_of(session, [facility_code]).get(facility_code, [])
            staff_ids = self._rotating(facility_code, home)
        if not staff_ids:
            raise InputError.one("staff_ids", f"{facility_code} has no staff to rotate")
        if len(set(staff_ids)) != len(staff_ids):
            raise InputError.one("staff_ids", "a person is listed twice")
        unknown = [s for s in staff_ids if session.get(Staff, s) is None]
        if unknown:
            raise InputError.one("staff_ids", f"unknown staff {', '.join(unknown)}")
        rotation = self._rotation(
            facility_code, staff_ids, month.year, month.month, facility_templates(session)
        )
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

    def month_rotation(
        self,
        session: Session,
        year: int,
        month: int,
        facilities: Sequence[str] | None = None,
        per_shift: int = 1,
        min_rest: timedelta = MIN_REST,
    ) -> MonthRotation:
        """Each facility's own staff (those whose role answers there) rotated through a month, as a roster
        CSV to edit and import; writes nothing."""
        for code in facilities or ():
            self.facility(code, "facility")
        staff = staff_of(session, list(facilities) if facilities else None)
        templates = facility_templates(session)
        lines = ["facility_code,staff_id,date,shift,staff_name,role"]
        unfilled: list[str] = []
        for code in sorted(staff):
            if code not in self.zones:
                continue
            chosen = set(self._rotating(code, staff[code]))
            people = {s.staff_id: s for s in staff[code] if s.staff_id in chosen}
            if not people:
                continue
            rotation = self._rotation(code, list(people), year, month, templates, per_shift, min_rest)
            for staff_id, day, shift in rotation.rows:
                person = people[staff_id]
                lines.append(
                    f"{code},{staff_id},{day.isoformat()},{shift},{_csv_cell(person.name)},{person.role}"
                )
            unfilled += [
                f"{code} {day} {shift}: {missing} person(s) short"
                for day, shift, missing in rotation.unfilled
            ]
        if len(lines) == 1:
            raise InputError.one(
                "facility",
                "no staff with a home facility to rotate (import staff with a facility_code first)",
            )
        return MonthRotation(year, month, "\n".join(lines) + "\n", len(lines) - 1, len(staff), unfilled)

    def fill(
        self, session: Session, actor: str, rotation: MonthRotation, update: bool = False
    ) -> ImportResult:
        """Import a `month_rotation` through the import's checks (`update`: replacing what those facilities
        already have that month); audited as a fill."""
        return self.import_csv(
            session, actor, rotation.text, f"roster fill {rotation.label}", update=update, action="fill"
        )

    # -- files ----------------------------------------------------------------------------------------

    def import_csv(
        self,
        session: Session,
        actor: str,
        text: str,
        source: str,
        *,
        replace: bool = False,
        update: bool = False,
        dry_run: bool = False,
        writable: frozenset[str] | None = None,
        empty_ok: bool = True,
        action: str = "import",
    ) -> ImportResult:
        """Import a roster CSV, all or nothing: `DataError` names every bad line (and every line outside the
        writer's kabupaten, `writable`; None: every one). `replace` replaces the whole roster; `update` each
        facility's assignments on the file's dates (a corrected month). A dry run checks and writes
        nothing. Staff records the file creates or changes get an audit entry of their own."""
        checked = check_import(
            session,
            text,
            source,
            self.zones,
            replace=replace,
            update=update,
            max_shift=self.max_shift,
            bounds=self.bounds.for_writer(writable),
            units=self.units(session) if self.units else None,
        )
        parsed, scope = checked.parsed, checked.update
        if not parsed.assignments and not empty_ok:
            raise InputError.one("file", "no assignments in the file")
        if dry_run:
            return ImportResult(len(parsed.assignments), len(parsed.staff), len(scope or {}), False)
        replaced, before = self._replaced(session, scope, replace)
        count = write_roster(session, parsed, replace=replace, update=scope)
        facilities = sorted({a.facility_code for a in parsed.assignments})
        named = ", ".join(facilities[:AUDIT_FACILITIES])
        if len(facilities) > AUDIT_FACILITIES:
            named += f" and {len(facilities) - AUDIT_FACILITIES} more"
        record(
            session,
            actor,
            action,
            facilities[0] if len(facilities) == 1 else None,
            f"{count} assignment(s) from {source} for {named or 'no facility'}"
            + (f", replacing {replaced}" if replace or update else ""),
            before or None,
            _capped([_row_json(a) for a in parsed.assignments[:AUDIT_ROWS]], len(parsed.assignments)),
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
        return ImportResult(count, len(parsed.staff), len(scope or {}), True)

    def export_csv(
        self,
        session: Session,
        facilities: Sequence[str] | None = None,
        first: date | None = None,
        last: date | None = None,
    ) -> str:
        """The roster in the import format (`shifts.export`), safe to open in a spreadsheet; shift dates
        from `first` to `last`, both included."""
        records = iter_assignments(
            session, facility_codes=list(facilities) if facilities else None, first=first, last=last
        )
        return roster_csv(records, facility_templates(session))

    # -- checks shared by the edits -------------------------------------------------------------------

    def _parse(self, session: Session, lines: list[dict[str, str]], source: str) -> ParsedRoster:
        """Lines typed in a form, checked exactly as an imported file (the facility's shift times too)."""
        columns = ["facility_code", "staff_id", "date", "shift", "start", "end", "unit"]
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
                max_shift=self.max_shift,
                bounds=self.bounds,
                units=self.units(session) if self.units else None,
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

    def _rotating(self, facility_code: str, staff: list[StaffRow]) -> list[str]:
        return rotating_staff(self.kinds.get(facility_code, ""), [(s.staff_id, s.role) for s in staff])

    def _rotation(
        self,
        facility_code: str,
        staff_ids: list[str],
        year: int,
        month: int,
        templates: Templates,
        per_shift: int = 1,
        min_rest: timedelta = MIN_REST,
    ) -> Rotation:
        zone = ZoneInfo(self.zones[facility_code])
        slots = month_slots(year, month, shifts_for(facility_code, templates), zone)
        return rotate_month(staff_ids, slots, per_shift, min_rest)

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

    def _replaced(
        self, session: Session, scope: Mapping[str, tuple[date, date]] | None, replace: bool
    ) -> tuple[int, list[dict[str, object]] | None]:
        """What an import is about to replace: how many assignments, and the first `AUDIT_ROWS` of them
        for the audit entry (a national month is a million: they are counted, not loaded)."""
        if replace:
            ranges = [select(Assignment).order_by(Assignment.facility_code, Assignment.start_utc)]
        elif scope:
            ranges = [
                select(Assignment)
                .where(
                    Assignment.facility_code == code,
                    Assignment.shift_date >= lo,
                    Assignment.shift_date <= hi,
                )
                .order_by(Assignment.start_utc)
                for code, (lo, hi) in sorted(scope.items())
            ]
        else:
            return 0, None
        total, kept = 0, []
        for query in ranges:
            total += session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
            room = AUDIT_ROWS - len(kept)
            if room > 0:
                kept += [_snapshot(a) for a in session.scalars(query.limit(room))]
        return total, _capped(kept, total)

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
        delete_assignments(session, [a.id for a in old])
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


# -- what the audit log records ------------------------------------------------------------------------


def _aware_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC)


def _utc(value: datetime) -> str:
    return value.astimezone(UTC).isoformat()


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


def _duty_json(d: Duty) -> dict[str, object]:
    return {
        "staff_id": d.staff_id,
        "facility_code": d.facility_code,
        "date": d.shift_date.isoformat() if d.shift_date else None,
        "shift": d.shift,
        "start": _utc(d.start),
        "end": _utc(d.end),
    }


def _row_json(a: AssignmentRow) -> dict[str, object]:
    return {
        "staff_id": a.staff_id,
        "facility_code": a.facility_code,
        "date": a.shift_date.isoformat(),
        "shift": a.shift,
        "start": _utc(a.start),
        "end": _utc(a.end),
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


def _capped(items: list[dict[str, object]], total: int | None = None) -> list[dict[str, object]] | None:
    """At most `AUDIT_ROWS` items, and how many were left out; `total` when `items` is already a prefix."""
    total = len(items) if total is None else total
    if not items:
        return None
    if total <= AUDIT_ROWS:
        return items
    return [*items[:AUDIT_ROWS], {"truncated": total - AUDIT_ROWS}]


def _one_facility(codes: Iterable[str]) -> str | None:
    """The facility an entry is about, if just one: it decides which kabupaten's readers see it."""
    found = set(codes)
    return next(iter(found)) if len(found) == 1 else None


def _label(a: Assignment) -> str:
    return f"{a.shift} {a.shift_date.isoformat()} at {a.facility_code}"


def _csv_cell(value: str) -> str:
    value = defuse(value)
    return '"' + value.replace('"', '""') + '"' if any(c in value for c in ',"\n') else value


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
