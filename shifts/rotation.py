"""Rotations that fill a roster: a fixed weekly pattern for the sample, a fair month for `roster fill`.

Both are pure: staff and dates in, (staff, date, shift) rows out; the CLI writes them as a roster CSV
that goes through the same checks as any import.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from kernel.catalogue import answering_roles
from shifts.templates import DEFAULT_SHIFTS, ShiftTemplate


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
    check is there to show; one with more works in teams (a desk's dispatchers: with nine, three a shift).
    """
    skipped = set(skip_facilities)
    names = list(DEFAULT_SHIFTS)
    rows = []
    for facility, staff_ids in sorted(staff_by_facility.items()):
        if facility in skipped:
            continue
        for offset in range(days):
            day = week_start + timedelta(days=offset)
            for k, staff_id in enumerate(sorted(staff_ids)):
                rows.append((facility, staff_id, day, names[(k - offset) % len(names)]))
    return rows


MIN_REST = timedelta(hours=11)


@dataclass(frozen=True)
class Slot:
    day: date
    shift: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Rotation:
    rows: list[tuple[str, date, str]]  # (staff_id, date, shift)
    unfilled: list[tuple[date, str, int]]  # (date, shift, how many people are missing)


def rotate_month(
    staff_ids: Sequence[str],
    slots: Sequence[Slot],
    per_shift: int = 1,
    min_rest: timedelta = MIN_REST,
) -> Rotation:
    """Fill every slot with `per_shift` people, fairly, never breaking the rest between two shifts.

    Slots are taken in time order; each goes to whoever is rested (`min_rest` since their last shift
    ended) and has worked the fewest shifts, then the fewest of this kind (so nights go round), then
    has rested longest. Unlike `rotate_week` this works from real start and end times, so a facility's
    own shift times and a night shift ending the next morning need no special case. A slot nobody can
    take stays unfilled and is reported: the coverage check will show it too.
    """
    total: dict[str, int] = dict.fromkeys(staff_ids, 0)
    by_kind: dict[tuple[str, str], int] = {}
    last_end: dict[str, datetime] = {}
    order = {staff_id: n for n, staff_id in enumerate(staff_ids)}
    rows: list[tuple[str, date, str]] = []
    unfilled: list[tuple[date, str, int]] = []
    for slot in sorted(slots, key=lambda s: (s.start, s.shift)):
        rested = [s for s in staff_ids if s not in last_end or last_end[s] + min_rest <= slot.start]
        rested.sort(
            key=lambda s: (
                total[s],
                by_kind.get((s, slot.shift), 0),
                last_end[s] if s in last_end else slot.start - timedelta(days=3650),
                order[s],
            )
        )
        chosen = rested[:per_shift]
        for staff_id in chosen:
            rows.append((staff_id, slot.day, slot.shift))
            total[staff_id] += 1
            by_kind[(staff_id, slot.shift)] = by_kind.get((staff_id, slot.shift), 0) + 1
            last_end[staff_id] = slot.end
        if len(chosen) < per_shift:
            unfilled.append((slot.day, slot.shift, per_shift - len(chosen)))
    return Rotation(rows, unfilled)


def month_slots(year: int, month: int, shifts: Mapping[str, ShiftTemplate], zone: ZoneInfo) -> list[Slot]:
    """Every shift of every day of a month, in the facility's zone."""
    first = date(year, month, 1)
    slots = []
    day = first
    while day.month == month:
        for template in shifts.values():
            start, end = template.window(day, zone)
            slots.append(Slot(day, template.name, start, end))
        day += timedelta(days=1)
    return slots


def rotating_staff(kind: str, staff: Iterable[tuple[str, str]]) -> list[str]:
    """Who a month's rotation of a facility of this kind puts on shifts, of its (staff_id, role) pairs:
    the people whose role answers there (a driver's or a midwife's hours are planned elsewhere), or
    everyone where the kind has no answering roles (a desk). `siaga roster fill` and the console's
    rotation both choose here."""
    roles = answering_roles(kind)
    return [staff_id for staff_id, role in staff if not roles or role in roles]
