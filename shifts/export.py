"""Writing a roster back out as the same CSV `roster import` reads, safe to open in a spreadsheet.

A name like `=HYPERLINK(…)` or `@SUM(…)` typed into a roster would run as a formula in the supervisor's
spreadsheet. Every text cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets a
leading `'` (OWASP's advice), which spreadsheets show as text; the importer drops that quote again,
so an exported file re-imports unchanged.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

from shifts.roster_csv import FORMULA_STARTS, READ_COLUMNS
from shifts.store import AssignmentRecord
from shifts.templates import ShiftTemplate, shifts_for


def defuse(value: str) -> str:
    """A cell a spreadsheet will show as text, never evaluate."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def local_iso(value: datetime, zone: ZoneInfo) -> str:
    local = value.astimezone(zone)
    return local.isoformat(timespec="minutes" if local.second == 0 and local.microsecond == 0 else "seconds")


def roster_csv(
    records: Iterable[AssignmentRecord],
    templates: Mapping[str, Mapping[str, ShiftTemplate]] | None = None,
) -> str:
    """CSV text with the import's columns (the ambulance `unit` last): a shift matching its template is
    written as date and shift, anything else with explicit local start and end, so a re-import gives the
    same times and crews."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(READ_COLUMNS)
    zones: dict[str, ZoneInfo] = {}
    for r in records:
        zone = zones.setdefault(r.timezone, ZoneInfo(r.timezone))
        template = shifts_for(r.facility_code, templates).get(r.shift)
        templated = template is not None and template.window(r.shift_date, zone) == (r.start, r.end)
        writer.writerow(
            [
                defuse(r.facility_code),
                defuse(r.staff_id),
                r.shift_date.isoformat(),
                defuse(r.shift),
                "" if templated else local_iso(r.start, zone),
                "" if templated else local_iso(r.end, zone),
                defuse(r.staff_name),
                defuse(r.role),
                defuse(r.endpoint),
                defuse(r.phone),
                defuse(r.unit),
            ]
        )
    return out.getvalue()
