"""Parsing a roster CSV into checked assignments, without touching the database.

Columns: `facility_code,staff_id,date,shift` or `facility_code,staff_id,start,end` (ISO times with
offsets); optional `staff_name,role,endpoint` create or update the staff member. Every bad line is
reported; the caller imports nothing unless the whole file is good.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from shifts.model import ROLES
from shifts.templates import DEFAULT_SHIFTS
from siaga.dataerrors import DataError, RowError

MAX_SHIFT = timedelta(hours=16)


@dataclass(frozen=True)
class StaffRow:
    staff_id: str
    name: str
    role: str
    endpoint: str
    facility_code: str | None


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


@dataclass(frozen=True)
class ParsedRoster:
    staff: list[StaffRow]
    assignments: list[AssignmentRow]


def parse_roster_csv(
    text: str,
    source: str,
    facility_zones: Mapping[str, str],
    known_staff: Mapping[str, StaffRow],
) -> ParsedRoster:
    """Check every line; raise `DataError` naming each bad one, else return what to write."""
    reader = csv.DictReader(io.StringIO(text))
    columns = set(reader.fieldnames or [])
    by_shift = {"date", "shift"} <= columns
    by_times = {"start", "end"} <= columns
    if not {"facility_code", "staff_id"} <= columns or not (by_shift or by_times):
        raise DataError(
            [
                RowError(
                    source, 1, None, "need columns facility_code,staff_id and either date,shift or start,end"
                )
            ]
        )
    errors: list[RowError] = []
    staff: dict[str, StaffRow] = dict(known_staff)
    new_staff: dict[str, StaffRow] = {}
    rows: list[AssignmentRow] = []
    for row in reader:
        line = reader.line_num
        before = len(errors)

        def bad(field: str, message: str, line: int = line) -> None:
            errors.append(RowError(source, line, field, message))

        facility = (row.get("facility_code") or "").strip()
        staff_id = (row.get("staff_id") or "").strip()
        zone_name = facility_zones.get(facility)
        if zone_name is None:
            bad("facility_code", f"unknown facility {facility!r}")
        if not staff_id:
            bad("staff_id", "missing")
        name = (row.get("staff_name") or "").strip()
        role = (row.get("role") or "").strip()
        endpoint = (row.get("endpoint") or "").strip()
        if staff_id and (name or role or endpoint):
            old = staff.get(staff_id)
            candidate = StaffRow(
                staff_id,
                name or (old.name if old else ""),
                role or (old.role if old else ""),
                endpoint or (old.endpoint if old else ""),
                facility or None,
            )
            problems = _staff_problems(candidate)
            for field, message in problems:
                bad(field, message)
            if not problems:
                staff[staff_id] = new_staff[staff_id] = candidate
        elif staff_id and staff_id not in staff:
            bad("staff_id", f"unknown staff {staff_id!r} (add staff_name, role and endpoint to create them)")

        if zone_name is None or len(errors) > before:
            continue
        zone = ZoneInfo(zone_name)
        if by_shift and (row.get("date") or row.get("shift")):
            shift_name = (row.get("shift") or "").strip()
            try:
                day = date.fromisoformat((row.get("date") or "").strip())
            except ValueError:
                bad("date", f"{row.get('date')!r} is not a date (YYYY-MM-DD)")
                continue
            template = DEFAULT_SHIFTS.get(shift_name)
            if template is None:
                bad("shift", f"{shift_name!r} is not one of {', '.join(DEFAULT_SHIFTS)}")
                continue
            start, end = template.window(day, zone)
        else:
            try:
                start = _aware((row.get("start") or "").strip(), "start")
                end = _aware((row.get("end") or "").strip(), "end")
            except ValueError as exc:
                bad("start/end", str(exc))
                continue
            if end <= start:
                bad("end", f"end {end.isoformat()} is not after start {start.isoformat()}")
                continue
            if end - start > MAX_SHIFT:
                bad("end", f"shift of {end - start} is longer than the maximum {MAX_SHIFT}")
                continue
            shift_name, day = "custom", start.astimezone(zone).date()
        rows.append(AssignmentRow(line, staff_id, facility, day, shift_name, start, end, zone_name))

    by_person: dict[str, list[AssignmentRow]] = {}
    for assignment in rows:
        by_person.setdefault(assignment.staff_id, []).append(assignment)
    for assignments in by_person.values():
        assignments.sort(key=lambda a: a.start)
        for earlier, later in pairwise(assignments):
            if later.start < earlier.end:
                errors.append(
                    RowError(
                        source,
                        later.line,
                        "start",
                        f"{later.staff_id} is already on duty until "
                        f"{earlier.end.isoformat()} (line {earlier.line})",
                    )
                )
    if errors:
        raise DataError(sorted(errors, key=lambda e: e.line))
    return ParsedRoster(list(new_staff.values()), rows)


def _staff_problems(staff: StaffRow) -> list[tuple[str, str]]:
    problems = []
    if not staff.name:
        problems.append(("staff_name", "missing for a new staff member"))
    if staff.role not in ROLES:
        problems.append(("role", f"{staff.role!r} is not one of {', '.join(ROLES)}"))
    if not staff.endpoint or not staff.endpoint.replace("-", "").replace("_", "").isalnum():
        problems.append(("endpoint", f"{staff.endpoint!r} must be letters, digits, '-' or '_'"))
    return problems


def _aware(raw: str, field: str) -> datetime:
    try:
        value = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise ValueError(f"{field} {raw!r} is not an ISO time") from exc
    if value.tzinfo is None:
        raise ValueError(f"{field} {raw!r} has no UTC offset (write e.g. 2026-11-23T21:00+07:00)")
    return value
