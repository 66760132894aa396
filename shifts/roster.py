"""Who is on duty where, as pure data: the routing hot path reads a snapshot built from these duties.

`now` is always an argument, so the same code answers "who is on duty at 02:00 tonight" for a test, a
dry run (`siaga route --at …`) and a live call alike.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Duty:
    staff_id: str
    staff_name: str
    role: str
    endpoint: str
    facility_code: str
    shift: str  # pagi, siang, malam, or "custom" for explicit start/end
    start: datetime  # timezone-aware
    end: datetime

    def covers(self, at: datetime) -> bool:
        return self.start <= at < self.end


def on_duty(duties: Iterable[Duty], facility_code: str, at: datetime) -> list[Duty]:
    """Everyone on duty at a facility at `at`, earliest shift start first (handover overlaps allowed)."""
    if at.tzinfo is None:
        raise ValueError("on_duty needs a timezone-aware time")
    found = [d for d in duties if d.facility_code == facility_code and d.covers(at)]
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


def build_snapshot(duties: Iterable[Duty], at: datetime, horizon: datetime) -> OnDutySnapshot:
    """Snapshot at `at`; it stays valid until the next start or end of any duty (capped at `horizon`)."""
    if at.tzinfo is None:
        raise ValueError("build_snapshot needs a timezone-aware time")
    grouped: dict[str, list[Duty]] = defaultdict(list)
    valid_until = horizon
    for duty in duties:
        if duty.covers(at):
            grouped[duty.facility_code].append(duty)
        for boundary in (duty.start, duty.end):
            if at < boundary < valid_until:
                valid_until = boundary
    by_facility = {
        code: tuple(sorted(found, key=lambda d: (d.start, d.staff_id))) for code, found in grouped.items()
    }
    return OnDutySnapshot(at, valid_until, by_facility)
