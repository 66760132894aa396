"""A simple rotation: each facility's operators take the three shifts in turn, one person per shift.

Used for the sample region's roster of the current week; `siaga roster fill` will grow from it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta

from shifts.templates import DEFAULT_SHIFTS


def rotate_week(
    staff_by_facility: Mapping[str, list[str]],
    week_start: date,
    days: int = 7,
    skip_facilities: Iterable[str] = (),
) -> list[tuple[str, str, date, str]]:
    """(facility_code, staff_id, date, shift) rows; on day d the k-th person works shift (k - d) mod 3.

    Going backwards through pagi, siang, malam means nobody goes from a night shift straight into the
    next morning's.

    A facility with fewer than three people leaves the remaining shifts uncovered, which the coverage
    check is there to show.
    """
    skipped = set(skip_facilities)
    names = list(DEFAULT_SHIFTS)
    rows = []
    for facility, staff_ids in sorted(staff_by_facility.items()):
        if facility in skipped:
            continue
        for offset in range(days):
            day = week_start + timedelta(days=offset)
            for k, staff_id in enumerate(sorted(staff_ids)[: len(names)]):
                rows.append((facility, staff_id, day, names[(k - offset) % len(names)]))
    return rows
