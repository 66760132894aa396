"""Where and when no one will be on duty of the roles a hotline service needs.

Pure: duties (already resolved, see `Roster.resolved`), facilities and services come in, gaps come out.
A facility has a gap while none of its on-duty staff has a role its services need (a midwife alone
does not answer 119). A kecamatan has a gap while every facility of a service's kinds in it has one:
then a call from there rings further away, or only the central dispatcher. Services that do not route
by the caller's location (`needs_location` false, the consultation line) are checked per facility only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

Interval = tuple[datetime, datetime]


class FacilityLike(Protocol):
    code: str
    kind: str
    area_code: str
    timezone: str


class ServiceLike(Protocol):
    name: str
    facility_kinds: tuple[str, ...]
    roles: tuple[str, ...]


class DutyLike(Protocol):
    facility_code: str
    role: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class Gap:
    scope: str  # "facility" or "kecamatan"
    code: str  # facility code, or the kecamatan's area code
    service: str
    start: datetime
    end: datetime
    timezone: str  # to show the times as the people there read them
    facilities: tuple[str, ...] = ()  # for a kecamatan: its facilities of the service's kinds

    @property
    def length(self) -> timedelta:
        return self.end - self.start


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Union of intervals; touching ones join, so a 07:00 handover is not a gap."""
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def uncovered(covered: Iterable[Interval], start: datetime, end: datetime) -> list[Interval]:
    """The parts of [start, end) outside `covered`."""
    holes: list[Interval] = []
    cursor = start
    for s, e in merge(covered):
        if e <= cursor:
            continue
        if s >= end:
            break
        if s > cursor:
            holes.append((cursor, s))
        cursor = max(cursor, e)
    if cursor < end:
        holes.append((cursor, end))
    return holes


def coverage_gaps(
    duties: Iterable[DutyLike],
    facilities: Sequence[FacilityLike],
    services: Mapping[str, ServiceLike],
    start: datetime,
    end: datetime,
) -> list[Gap]:
    """Every facility and kecamatan gap in [start, end), earliest first."""
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("coverage_gaps needs timezone-aware times")
    start, end = start.astimezone(UTC), end.astimezone(UTC)  # same tzinfo as stored duties: fast compares
    by_facility: dict[str, list[DutyLike]] = defaultdict(list)
    for duty in duties:
        if duty.start < end and start < duty.end:
            by_facility[duty.facility_code].append(duty)
    gaps: list[Gap] = []
    for service in services.values():
        roles = set(service.roles)
        kecamatan: dict[str, list[FacilityLike]] = defaultdict(list)
        staffed: dict[str, list[Interval]] = {}
        for facility in facilities:
            if facility.kind not in service.facility_kinds:
                continue
            kecamatan[facility.area_code].append(facility)
            staffed[facility.code] = [
                (max(d.start, start), min(d.end, end)) for d in by_facility[facility.code] if d.role in roles
            ]
            for hole in uncovered(staffed[facility.code], start, end):
                gaps.append(Gap("facility", facility.code, service.name, *hole, facility.timezone))
        if not getattr(service, "needs_location", True):
            continue  # a line answered from anywhere (consultation): a kecamatan has nothing to lose
        for area_code, members in kecamatan.items():
            union = [span for f in members for span in staffed[f.code]]
            codes = tuple(sorted(f.code for f in members))
            for hole in uncovered(union, start, end):
                gaps.append(Gap("kecamatan", area_code, service.name, *hole, members[0].timezone, codes))
    return sorted(gaps, key=lambda g: (g.start, g.scope != "kecamatan", g.code, g.service))
