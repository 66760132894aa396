"""Who is on duty where, as pure data: the routing hot path reads a snapshot built from these duties.

`now` is always an argument, so the same code answers "who is on duty at 02:00 tonight" for a test, a
dry run (`siaga route --at …`) and a live call alike.

A `Roster` is the plan (assignments) plus its exceptions: swaps hand a person's shifts to someone else
for a while, leave takes a person off every shift it overlaps. `Roster.resolved()` turns that into the
duties that will actually be worked, cutting a shift where an exception starts or ends mid-shift.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime


@dataclass(frozen=True)
class Duty:
    staff_id: str
    staff_name: str
    role: str
    endpoint: str
    facility_code: str
    shift: str  # pagi, siang, malam, a facility's own shift name, or "custom" for explicit start/end
    start: datetime  # timezone-aware
    end: datetime
    timezone: str = "UTC"  # the facility's zone, for showing times as the staff see them
    shift_date: date | None = None  # the date the planned shift starts on (a night shift's evening)
    phone: str = ""
    covering_for: str = ""  # staff id whose shift this is, when worked through a swap

    def covers(self, at: datetime) -> bool:
        return self.start <= at < self.end


@dataclass(frozen=True)
class StaffMember:
    staff_id: str
    name: str
    role: str
    endpoint: str
    phone: str = ""


@dataclass(frozen=True)
class Leave:
    staff_id: str
    start: datetime
    end: datetime
    reason: str = ""


@dataclass(frozen=True)
class Swap:
    """`replacement` works every shift of `staff_id` that falls in [start, end)."""

    staff_id: str
    replacement: StaffMember
    start: datetime
    end: datetime
    reason: str = ""


@dataclass(frozen=True)
class Roster:
    duties: tuple[Duty, ...]
    leaves: tuple[Leave, ...] = ()
    swaps: tuple[Swap, ...] = ()

    def resolved(self) -> list[Duty]:
        """The duties as worked: swaps first (a shift changes hands), then leave (whoever holds it).

        Swaps apply to the planned assignee only, so A→B and B→C do not chain into A→C; and a
        replacement on leave leaves the shift empty, which is exactly what the coverage check must see.
        """
        if not self.leaves and not self.swaps:
            return list(self.duties)
        swaps: dict[str, list[Swap]] = defaultdict(list)
        for swap in self.swaps:
            swaps[swap.staff_id].append(swap)
        leaves: dict[str, list[Leave]] = defaultdict(list)
        for leave in self.leaves:
            leaves[leave.staff_id].append(leave)
        out: list[Duty] = []
        for duty in self.duties:
            for piece in _apply_swaps(duty, swaps.get(duty.staff_id, ())):
                out.extend(_apply_leave(piece, leaves.get(piece.staff_id, ())))
        return out


def _apply_swaps(duty: Duty, swaps: Iterable[Swap]) -> list[Duty]:
    pieces = [duty]
    for swap in sorted(swaps, key=lambda s: s.start):
        next_pieces: list[Duty] = []
        for piece in pieces:
            if piece.covering_for or not (swap.start < piece.end and piece.start < swap.end):
                next_pieces.append(piece)
                continue
            inside_start, inside_end = max(piece.start, swap.start), min(piece.end, swap.end)
            if piece.start < inside_start:
                next_pieces.append(replace(piece, end=inside_start))
            who = swap.replacement
            next_pieces.append(
                replace(
                    piece,
                    staff_id=who.staff_id,
                    staff_name=who.name,
                    role=who.role,
                    endpoint=who.endpoint,
                    phone=who.phone,
                    start=inside_start,
                    end=inside_end,
                    covering_for=duty.staff_id,
                )
            )
            if inside_end < piece.end:
                next_pieces.append(replace(piece, start=inside_end))
        pieces = next_pieces
    return pieces


def _apply_leave(duty: Duty, leaves: Iterable[Leave]) -> list[Duty]:
    pieces = [duty]
    for leave in leaves:
        next_pieces: list[Duty] = []
        for piece in pieces:
            if not (leave.start < piece.end and piece.start < leave.end):
                next_pieces.append(piece)
                continue
            if piece.start < leave.start:
                next_pieces.append(replace(piece, end=leave.start))
            if leave.end < piece.end:
                next_pieces.append(replace(piece, start=leave.end))
        pieces = next_pieces
    return pieces


def _duties(roster: Roster | Iterable[Duty]) -> Iterable[Duty]:
    return roster.resolved() if isinstance(roster, Roster) else roster


def on_duty(roster: Roster | Iterable[Duty], facility_code: str, at: datetime) -> list[Duty]:
    """Everyone on duty at a facility at `at`, earliest shift start first (handover overlaps allowed).

    `roster` is a `Roster` (exceptions applied here) or duties already resolved.
    """
    if at.tzinfo is None:
        raise ValueError("on_duty needs a timezone-aware time")
    at = at.astimezone(UTC)
    found = [d for d in _duties(roster) if d.facility_code == facility_code and d.covers(at)]
    return sorted(found, key=lambda d: (d.start, d.staff_id))


@dataclass(frozen=True)
class OnDutySnapshot:
    """Every facility's on-duty staff at one instant, valid until the next shift boundary.

    Lookups are a dict access; the snapshot is rebuilt when the roster changes or `valid_until` passes.
    """

    at: datetime
    valid_until: datetime
    by_facility: dict[str, tuple[Duty, ...]]

    def staff_at(self, facility_code: str) -> tuple[Duty, ...]:
        return self.by_facility.get(facility_code, ())

    def is_valid(self, now: datetime) -> bool:
        return self.at <= now < self.valid_until


def build_snapshot(roster: Roster | Iterable[Duty], at: datetime, horizon: datetime) -> OnDutySnapshot:
    """Snapshot at `at`; it stays valid until the next start or end of any duty (capped at `horizon`)."""
    if at.tzinfo is None:
        raise ValueError("build_snapshot needs a timezone-aware time")
    # Duties come from the store in UTC; comparing datetimes with the same tzinfo skips the offset
    # arithmetic, which made this loop 6x faster on a national roster.
    at, horizon = at.astimezone(UTC), horizon.astimezone(UTC)
    grouped: dict[str, list[Duty]] = defaultdict(list)
    valid_until = horizon
    for duty in _duties(roster):
        if duty.start <= at < duty.end:
            grouped[duty.facility_code].append(duty)
        if at < duty.start < valid_until:
            valid_until = duty.start
        if at < duty.end < valid_until:
            valid_until = duty.end
    by_facility = {
        code: tuple(sorted(found, key=lambda d: (d.start, d.staff_id))) if len(found) > 1 else tuple(found)
        for code, found in grouped.items()
    }
    return OnDutySnapshot(at, valid_until, by_facility)


@dataclass(frozen=True)
class Handover:
    """What changed at one facility at a shift boundary."""

    facility_code: str
    at: datetime
    off: tuple[Duty, ...]
    on: tuple[Duty, ...]
    staying: tuple[Duty, ...]

    @property
    def left_empty(self) -> bool:
        return not self.on and not self.staying


def handovers(before: OnDutySnapshot, after: OnDutySnapshot) -> list[Handover]:
    """Every facility whose on-duty staff differ between two snapshots, by facility code."""
    changes = []
    for code in sorted(set(before.by_facility) | set(after.by_facility)):
        old, new = before.staff_at(code), after.staff_at(code)
        old_ids, new_ids = {d.staff_id for d in old}, {d.staff_id for d in new}
        if old_ids == new_ids:
            continue
        changes.append(
            Handover(
                code,
                after.at,
                tuple(d for d in old if d.staff_id not in new_ids),
                tuple(d for d in new if d.staff_id not in old_ids),
                tuple(d for d in new if d.staff_id in old_ids),
            )
        )
    return changes
