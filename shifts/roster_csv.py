"""Parsing a roster CSV into checked assignments, without touching the database.

Columns: `facility_code,staff_id,date,shift` or `facility_code,staff_id,start,end` (ISO times with
offsets); optional `staff_name,role,endpoint,phone` create or update the staff member; optional `unit`
puts the person on that ambulance unit for the shift (a driver or a medic, rostered at the unit's base;
checked against the stored units when the caller passes them). Every bad line is
reported; the caller imports nothing unless the whole file is good. A leading UTF-8 byte order mark (what a
spreadsheet's "CSV UTF-8" writes) is dropped; a column named twice is refused, since the two copies could
say different things.

Kabupaten bounds (`shifts.scope.RosterBounds`) are checked here, on the values each line will write, so no
other reading of the file can disagree with what is imported.

Offsets. Indonesia's zones have no daylight saving, so a facility has exactly one offset: WIB +07:00,
WITA +08:00, WIT +09:00. A time is accepted with that offset (the wall clock the staff read) or in UTC
(`Z` / `+00:00`, what machines write). Any other offset is refused rather than converted: a WITA
puskesmas's shift written `08:00+07:00` is almost always a planner in Jakarta typing Makassar's wall
clock with their own offset, and reading it as 09:00 WITA would silently move the shift by an hour.
The error says both readings so the planner can pick one.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from kernel.catalogue import DRIVER_ROLES, MEDIC_ROLES, ROLES
from kernel.dataerrors import DataError, RowError
from kernel.messages import N_, Message
from shifts.endpoints import endpoint_problem
from shifts.scope import RosterBounds
from shifts.templates import LONGEST_SHIFT, MAX_SHIFT, ShiftTemplate, shifts_for, zone_label

if TYPE_CHECKING:
    import _csv

COLUMNS = (
    "facility_code",
    "staff_id",
    "date",
    "shift",
    "start",
    "end",
    "staff_name",
    "role",
    "endpoint",
    "phone",
)
# The ambulance unit crewed; `roster export` writes it last (shifts/export.py writes READ_COLUMNS).
UNIT_COLUMN = "unit"
READ_COLUMNS = (*COLUMNS, UNIT_COLUMN)
CREW_ROLES = frozenset(DRIVER_ROLES + MEDIC_ROLES)
_UNIT_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
# A leading quote in front of these is how `roster export` defuses a spreadsheet formula; drop it on the
# way back in so an exported file imports unchanged.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_PHONE = re.compile(r"^\+?[0-9]{6,15}$")
_SHIFT_NAME = re.compile(r"^[a-z][a-z0-9_]{0,19}$")
UTC_ZERO = timedelta(0)

Report = Callable[[str, str], None]  # (field, message)


@dataclass(frozen=True)
class StaffRow:
    staff_id: str
    name: str
    role: str
    endpoint: str
    facility_code: str | None
    phone: str = ""
    # The import line that created or changed them (0: as stored); not part of who they are.
    line: int = dataclasses.field(default=0, compare=False)


@dataclass(frozen=True)
class AssignmentRow:
    line: int
    staff_id: str
    facility_code: str
    shift_date: date
    shift: str
    start: datetime  # aware
    end: datetime
    timezone: str
    unit: str | None = None  # the ambulance unit crewed on this shift


@dataclass(frozen=True)
class ParsedRoster:
    staff: list[StaffRow]
    assignments: list[AssignmentRow]


def parse_roster_csv(
    text: str,
    source: str,
    facility_zones: Mapping[str, str],
    known_staff: Mapping[str, StaffRow],
    *,
    templates: Mapping[str, Mapping[str, ShiftTemplate]] | None = None,
    max_shift: timedelta = MAX_SHIFT,
    bounds: RosterBounds | None = None,
    units: Mapping[str, str] | None = None,
) -> ParsedRoster:
    """Check every line; raise `DataError` naming each bad one, else return what to write.

    `templates` holds the facilities that override the default shifts; `max_shift` is the longest
    shift accepted (at most `LONGEST_SHIFT`); `bounds` (when given) refuses lines outside the writer's
    kabupaten and people rostered outside their own kabupaten; `units` (unit code → base facility, when
    given) refuses a `unit` that is not stored or is based elsewhere than the line's facility.
    """
    if max_shift > LONGEST_SHIFT:
        raise ValueError(f"the longest shift allowed is {LONGEST_SHIFT}, not {max_shift}")
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")))
    try:
        columns = [c.strip() for c in next(reader, [])]
    except csv.Error as exc:
        raise DataError(
            [RowError(source, 1, None, Message("not readable CSV: {error}", error=str(exc)))]
        ) from exc
    present = set(columns)
    header_errors = []
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        header_errors.append(
            Message("column(s) named twice: {columns} (keep one of each)", columns=", ".join(repeated))
        )
    if not {"facility_code", "staff_id"} <= present or not (
        {"date", "shift"} <= present or {"start", "end"} <= present
    ):
        header_errors.append(N_("need columns facility_code,staff_id and either date,shift or start,end"))
    unknown = [c for c in columns if c not in READ_COLUMNS]
    if unknown:
        header_errors.append(
            Message(
                "unknown column(s) {columns} (known: {known})",
                columns=", ".join(unknown),
                known=", ".join(READ_COLUMNS),
            )
        )
    if header_errors:
        raise DataError([RowError(source, 1, None, message) for message in header_errors])
    # Where each of our columns is in this file (-1: absent), read in READ_COLUMNS order for every line.
    where = [columns.index(c) if c in present else -1 for c in READ_COLUMNS]

    errors: list[RowError] = []
    staff: dict[str, StaffRow] = dict(known_staff)
    endpoints = {s.endpoint: s.staff_id for s in known_staff.values()}
    new_staff: dict[str, StaffRow] = {}
    rows: list[AssignmentRow] = []
    zones: dict[str, ZoneInfo] = {}
    for row in _readable_rows(reader, source, errors):
        if not row:
            continue
        line = reader.line_num
        before = len(errors)

        def bad(field: str, message: str, line: int = line) -> None:
            errors.append(RowError(source, line, field, message))

        facility, staff_id, raw_day, shift_name, raw_start, raw_end, name, role, endpoint, phone, unit = (
            row[i].strip() if 0 <= i < len(row) else "" for i in where
        )
        zone_name = facility_zones.get(facility)
        if zone_name is None:
            bad(
                "facility_code",
                Message("unknown facility {facility!r}", facility=facility) if facility else N_("missing"),
            )
        elif bounds is not None and (refusal := bounds.facility_refusal(facility)):
            bad("facility_code", refusal)
        if not staff_id:
            bad("staff_id", N_("missing"))
        if staff_id and (name or role or endpoint or phone):
            old = staff.get(staff_id)
            candidate = StaffRow(
                staff_id,
                _defused(name) or (old.name if old else ""),
                role or (old.role if old else ""),
                endpoint or (old.endpoint if old else ""),
                facility or (old.facility_code if old else None),
                _defused(phone).replace(" ", "").replace("-", "") or (old.phone if old else ""),
                line,
            )
            if candidate != old:  # a roster repeats a person's details on every line: check them once
                problems = _staff_problems(candidate)
                owner = endpoints.get(candidate.endpoint)
                if owner not in (None, staff_id):
                    problems.append(
                        (
                            "endpoint",
                            Message(
                                "{endpoint!r} already belongs to {owner!r}",
                                endpoint=candidate.endpoint,
                                owner=owner,
                            ),
                        )
                    )
                if bounds is not None:
                    stored = known_staff.get(staff_id)
                    homes = (stored.facility_code,) if stored else ()
                    refusal = bounds.staff_refusal(staff_id, (*homes, candidate.facility_code))
                    if refusal:
                        problems.append(("staff_id", refusal))
                for field, message in problems:
                    bad(field, message)
                if not problems:
                    if old is not None and old.endpoint != candidate.endpoint:
                        endpoints.pop(old.endpoint, None)
                    endpoints[candidate.endpoint] = staff_id
                    staff[staff_id] = new_staff[staff_id] = candidate
        elif staff_id and staff_id not in staff:
            bad(
                "staff_id",
                Message(
                    "unknown staff {staff_id!r} (add staff_name, role and endpoint to create them)",
                    staff_id=staff_id,
                ),
            )
        if bounds is not None and zone_name is not None and len(errors) == before and staff_id in staff:
            refusal = bounds.placement_refusal(staff_id, staff[staff_id].facility_code, facility)
            if refusal:
                bad("staff_id", refusal)

        if unit and len(errors) == before:
            for message in _unit_problems(unit, facility, staff.get(staff_id), units):
                bad("unit", message)

        if zone_name is None or len(errors) > before:
            continue
        zone = zones.get(zone_name) or zones.setdefault(zone_name, ZoneInfo(zone_name))
        if raw_start or raw_end:
            times = _explicit_times(raw_start, raw_end, raw_day, facility, zone_name, zone, shift_name, bad)
            if times is None:
                continue
            start, end, day = times
            shift_name = shift_name or "custom"
        else:
            try:
                day = date.fromisoformat(raw_day)
            except ValueError:
                bad(
                    "date",
                    Message("{day!r} is not a real date (YYYY-MM-DD)", day=raw_day)
                    if raw_day
                    else N_("missing"),
                )
                continue
            if not shift_name:
                bad("shift", N_("missing (or give start and end)"))
                continue
            template = shifts_for(facility, templates).get(shift_name)
            if template is None:
                known = ", ".join(shifts_for(facility, templates))
                bad(
                    "shift",
                    Message(
                        "{shift!r} is not a shift of {facility} ({known})",
                        shift=shift_name,
                        facility=facility,
                        known=known,
                    ),
                )
                continue
            start, end = template.window(day, zone)
        if end - start > max_shift:
            bad(
                "end",
                Message(
                    "shift of {length} is longer than the maximum {maximum}",
                    length=str(end - start),
                    maximum=str(max_shift),
                ),
            )
            continue
        rows.append(
            AssignmentRow(line, staff_id, facility, day, shift_name, start, end, zone_name, unit or None)
        )

    errors.extend(overlaps_within(rows, source))
    if errors:
        raise DataError(sorted(errors, key=lambda e: e.line))
    return ParsedRoster(list(new_staff.values()), rows)


def overlaps_within(rows: list[AssignmentRow], source: str) -> list[RowError]:
    """A person on two overlapping shifts in the same file, reported on the later line."""
    by_person: dict[str, list[AssignmentRow]] = {}
    for assignment in rows:
        by_person.setdefault(assignment.staff_id, []).append(assignment)
    errors = []
    for assignments in by_person.values():
        assignments.sort(key=lambda a: (a.start, a.line))
        latest = assignments[0]
        for later in assignments[1:]:
            if later.start < latest.end:
                errors.append(
                    RowError(
                        source,
                        max(later.line, latest.line),
                        "start",
                        f"{later.staff_id} is already on duty until "
                        f"{_local(latest.end, latest.timezone)} (line {min(later.line, latest.line)})",
                    )
                )
            if later.end > latest.end:
                latest = later
    return errors


def overlaps_with_existing(
    rows: list[AssignmentRow], existing: Mapping[str, list[tuple[datetime, datetime, str]]], source: str
) -> list[RowError]:
    """A line overlapping a shift already in the database: (start, end, description) per staff id."""
    errors = []
    for assignment in rows:
        spans = existing.get(assignment.staff_id, ())
        for start, end, description in spans:
            if assignment.start < end and start < assignment.end:
                errors.append(
                    RowError(
                        source,
                        assignment.line,
                        "start",
                        f"{assignment.staff_id} is already rostered {description} "
                        "(use --update to replace the same facilities and dates, or --replace)",
                    )
                )
                break
    return errors


def _explicit_times(
    raw_start: str,
    raw_end: str,
    raw_day: str,
    facility: str,
    zone_name: str,
    zone: ZoneInfo,
    shift_name: str,
    report: Report,
) -> tuple[datetime, datetime, date] | None:
    found: dict[str, datetime] = {}
    for field, raw in (("start", raw_start), ("end", raw_end)):
        try:
            found[field] = _aware(raw, field)
        except ValueError as exc:
            report(field, str(exc))
            continue
        problem = _offset_problem(found[field], raw, facility, zone_name, zone)
        if problem:
            report(field, problem)
            del found[field]
    if len(found) < 2:
        return None
    start, end = found["start"], found["end"]
    if end <= start:
        report(
            "end",
            Message("end {end} is not after start {start}", end=end.isoformat(), start=start.isoformat()),
        )
        return None
    day = start.astimezone(zone).date()
    if raw_day:
        try:
            given = date.fromisoformat(raw_day)
        except ValueError:
            report("date", Message("{day!r} is not a date (YYYY-MM-DD)", day=raw_day))
            return None
        if given != day:
            report("date", f"{raw_day} is not the local date of start {_local(start, zone_name)}")
            return None
    if shift_name and not _SHIFT_NAME.match(shift_name):
        report(
            "shift",
            Message("{shift!r} is not a shift name (lower-case letters, digits, _)", shift=shift_name),
        )
        return None
    return start, end, day


def _offset_problem(value: datetime, raw: str, facility: str, zone_name: str, zone: ZoneInfo) -> str | None:
    offset = value.utcoffset()
    local = value.astimezone(zone)
    if offset == UTC_ZERO or offset == local.utcoffset():
        return None
    return (
        f"{raw} has offset {_offset(offset)} but {facility} keeps {zone_label(zone_name)} "
        f"({_offset(local.utcoffset())}); as written it is {local:%H:%M} {zone_label(zone_name)} there. "
        f"Write {value:%Y-%m-%dT%H:%M}{_offset(local.utcoffset())} if {value:%H:%M} is the local time "
        "meant, or give the time in UTC (Z)"
    )


def _offset(delta: timedelta | None) -> str:
    minutes = int((delta or UTC_ZERO).total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _local(value: datetime, zone_name: str) -> str:
    local = value.astimezone(ZoneInfo(zone_name))
    return f"{local:%Y-%m-%d %H:%M} {zone_label(zone_name)}"


def _readable_rows(reader: _csv.Reader, source: str, errors: list[RowError]) -> Iterator[list[str]]:
    """The reader's rows; a csv.Error (a cell past the csv module's 128 KB limit) is that line's error,
    listed with the others, so the import is refused with every bad line named instead of a traceback."""
    stuck_at = -1
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            line = reader.line_num
            if line == stuck_at:
                return  # the reader did not move past the last bad line: nothing more can be read
            stuck_at = line
            errors.append(RowError(source, line, None, Message("not readable CSV: {error}", error=str(exc))))


def _unit_problems(
    unit: str, facility: str, person: StaffRow | None, units: Mapping[str, str] | None
) -> list[str]:
    """Why this line cannot put its person on `unit`: a crew is drivers and medics, at the unit's base."""
    if not _UNIT_CODE.match(unit):
        return [f"{unit!r} is not a unit code (letters, digits, '.', '_', '-')"]
    problems = []
    if person is not None and person.role not in CREW_ROLES:
        problems.append(f"a {person.role} does not crew a unit (roles: {', '.join(sorted(CREW_ROLES))})")
    if units is not None:
        base = units.get(unit)
        if base is None:
            problems.append(Message("unknown unit {unit!r} (siaga import units first)", unit=unit))
        elif base != facility:
            problems.append(f"unit {unit} is based at {base}, not {facility}")
    return problems


def _defused(value: str) -> str:
    if len(value) > 1 and value[0] == "'" and value[1] in FORMULA_STARTS:
        return value[1:]
    return value


def _staff_problems(staff: StaffRow) -> list[tuple[str, str]]:
    problems = []
    if not staff.name:
        problems.append(("staff_name", N_("missing for a new staff member")))
    elif _CONTROL.search(staff.name):
        problems.append(("staff_name", f"{staff.name!r} contains control characters"))
    if staff.role not in ROLES:
        problems.append(
            ("role", Message("{role!r} is not one of {roles}", role=staff.role, roles=", ".join(ROLES)))
        )
    endpoint = endpoint_problem(staff.endpoint)
    if endpoint:
        problems.append(("endpoint", endpoint))
    if staff.phone and not _PHONE.match(staff.phone):
        problems.append(
            (
                "phone",
                Message("{phone!r} is not a phone number (digits, optional leading +)", phone=staff.phone),
            )
        )
    return problems


def _aware(raw: str, field: str) -> datetime:
    if not raw:
        raise ValueError(f"{field} missing")
    try:
        value = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise ValueError(f"{field} {raw!r} is not an ISO time or that day does not exist") from exc
    if value.tzinfo is None:
        raise ValueError(f"{field} {raw!r} has no UTC offset (write e.g. 2026-11-23T21:00+07:00)")
    return value
