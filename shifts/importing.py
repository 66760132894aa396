"""One roster import, all or nothing: the file's own checks, then the checks against the database.

`siaga roster import`, `siaga roster fill` and the console's upload (all through `shifts.service`, which
adds the audit entry) and the benchmark (through `import_roster`) all go through `check_import`, so the
supervisor's command, the web upload, the generated month and the measured figures are the same checks —
kabupaten bounds included, checked on the parsed rows that will be written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.orm import Session

from kernel.dataerrors import DataError
from shifts.roster_csv import ParsedRoster, StaffRow, overlaps_with_existing, parse_roster_csv
from shifts.scope import RosterBounds
from shifts.store import existing_spans, facility_templates, known_staff, replace_scope, write_roster
from shifts.templates import MAX_SHIFT


@dataclass(frozen=True)
class ImportResult:
    assignments: int
    staff: int
    replaced_facilities: int  # facilities whose dates were replaced (`update`), 0 otherwise
    written: bool  # False for a dry run


@dataclass(frozen=True)
class CheckedImport:
    """A file that passed every check: what to write, and what it replaces (for an audit log)."""

    parsed: ParsedRoster
    update: dict[str, tuple[date, date]] | None  # facility → first and last shift date replaced
    staff_before: dict[str, StaffRow]  # the stored records of the staff the file creates or changes


def check_import(
    session: Session,
    text: str,
    source: str,
    facility_zones: dict[str, str],
    *,
    replace: bool = False,
    update: bool = False,
    max_shift: timedelta = MAX_SHIFT,
    bounds: RosterBounds | None = None,
    units: Mapping[str, str] | None = None,
) -> CheckedImport:
    """Check `text` completely against the file's rules, `bounds` and the stored roster; raise
    `DataError` naming every bad line, else return what to write."""
    if replace and update:
        raise ValueError("use either replace (the whole roster) or update (the file's facilities and dates)")
    stored = known_staff(session)
    parsed: ParsedRoster = parse_roster_csv(
        text,
        source,
        facility_zones,
        stored,
        templates=facility_templates(session),
        max_shift=max_shift,
        bounds=bounds,
        units=units,
    )
    scope = replace_scope(parsed) if update else None
    if not replace:
        errors = overlaps_with_existing(
            parsed.assignments, existing_spans(session, parsed, excluding=scope), source
        )
        if errors:
            raise DataError(errors)
    before = {s.staff_id: stored[s.staff_id] for s in parsed.staff if s.staff_id in stored}
    return CheckedImport(parsed, scope, before)


def import_roster(
    session: Session,
    text: str,
    source: str,
    facility_zones: dict[str, str],
    *,
    replace: bool = False,
    update: bool = False,
    max_shift: timedelta = MAX_SHIFT,
    dry_run: bool = False,
    bounds: RosterBounds | None = None,
) -> ImportResult:
    """Check `text` completely, then write it in the caller's transaction; raise `DataError` otherwise.

    `replace` swaps the whole roster for the file; `update` replaces what is rostered for the file's
    facilities on the dates it covers (a corrected month); otherwise a line overlapping a shift already
    stored for the same person is an error. `bounds` keeps staff in their own kabupaten (and, for a
    supervisor, every line in theirs).
    """
    checked = check_import(
        session,
        text,
        source,
        facility_zones,
        replace=replace,
        update=update,
        max_shift=max_shift,
        bounds=bounds,
    )
    parsed, scope = checked.parsed, checked.update
    if dry_run:
        return ImportResult(len(parsed.assignments), len(parsed.staff), len(scope or {}), False)
    count = write_roster(session, parsed, replace=replace, update=scope)
    return ImportResult(count, len(parsed.staff), len(scope or {}), True)
