"""One roster import, all or nothing: the file's own checks, then the checks against the database.

`siaga roster import`, `siaga roster fill` and the benchmark all go through `import_roster`, so the
supervisor's command, the generated month and the measured figures are the same code path.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from shifts.roster_csv import ParsedRoster, overlaps_with_existing, parse_roster_csv
from shifts.store import existing_spans, facility_templates, known_staff, replace_scope, write_roster
from shifts.templates import MAX_SHIFT
from siaga.dataerrors import DataError


@dataclass(frozen=True)
class ImportResult:
    assignments: int
    staff: int
    replaced_facilities: int  # facilities whose dates were replaced (`update`), 0 otherwise
    written: bool  # False for a dry run


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
) -> ImportResult:
    """Check `text` completely, then write it in the caller's transaction; raise `DataError` otherwise.

    `replace` swaps the whole roster for the file; `update` replaces what is rostered for the file's
    facilities on the dates it covers (a corrected month); otherwise a line overlapping a shift already
    stored for the same person is an error.
    """
    if replace and update:
        raise ValueError("use either replace (the whole roster) or update (the file's facilities and dates)")
    parsed: ParsedRoster = parse_roster_csv(
        text,
        source,
        facility_zones,
        known_staff(session),
        templates=facility_templates(session),
        max_shift=max_shift,
    )
    scope = replace_scope(parsed) if update else None
    if not replace:
        errors = overlaps_with_existing(
            parsed.assignments, existing_spans(session, parsed, excluding=scope), source
        )
        if errors:
            raise DataError(errors)
    if dry_run:
        return ImportResult(len(parsed.assignments), len(parsed.staff), len(scope or {}), False)
    count = write_roster(session, parsed, replace=replace, update=scope)
    return ImportResult(count, len(parsed.staff), len(scope or {}), True)
