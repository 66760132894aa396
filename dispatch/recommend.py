"""Which unit to send and to which hospital, for a caller at one point: a pure function of `now`, the
units, their crews' duties and statuses, the bed reports and the settings.

Units are walked nearest base first; each is recommended or skipped with the first reason that applies
(another kind of unit, out of service, its crew, busy) until `choices` are recommended; the recommended
ones are then ordered by travel time (the same order while travel times are geodesic; a road router's can
differ). Hospitals are walked the same way: skipped when they report no such bed class, a stale count or
no free bed. What is skipped is listed, so the dispatcher sees why the nearest was passed over.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dispatch.beds import HOSPITAL_KIND, BedReport
from dispatch.travel import TravelTimes
from dispatch.units import AVAILABLE, NOT_IN_SERVICE, OUT_OF_SERVICE, CrewDuty, Unit, crew_states
from geo.distance import ellipsoid_m
from geo.facilities import Facility
from kernel.messages import Message
from kernel.settings import Settings

NEEDS = ("emergency", "transport")
# Reasons a unit or hospital is passed over, built once (a recommendation is made on every screen-pop).
_OUT_OF_SERVICE = Message("out of service")
_NO_BED_CLASS = Message("no such bed class")
_STALE = Message("stale")
_FULL = Message("full")


@dataclass(frozen=True)
class DispatchSettings:
    stale_after: timedelta = timedelta(hours=6)
    choices: int = 5

    @classmethod
    def from_settings(cls, settings: Settings) -> DispatchSettings:
        return cls(timedelta(hours=settings.beds_stale_hours), max(1, settings.dispatch_choices))


@dataclass(frozen=True)
class UnitChoice:
    unit: str
    base_facility: str
    distance_m: int
    eta_s: int | None
    status: str


@dataclass(frozen=True)
class UnitSkip:
    unit: str
    reason: str


@dataclass(frozen=True)
class HospitalChoice:
    facility: str
    bed_class: str
    free: int
    updated_at: str  # ISO 8601 in the hospital's zone
    distance_m: int


@dataclass(frozen=True)
class HospitalSkip:
    facility: str
    reason: str


@dataclass(frozen=True)
class Recommendation:
    units: tuple[UnitChoice, ...]
    skipped: tuple[UnitSkip, ...]
    hospitals: tuple[HospitalChoice, ...]
    hospitals_skipped: tuple[HospitalSkip, ...]

    def to_json(self) -> dict[str, Any]:
        """The issue's fields, in its order (they are an interface: scripts and the screen-pop read them)."""
        return {
            "units": [
                {
                    "unit": u.unit,
                    "base_facility": u.base_facility,
                    "distance_m": u.distance_m,
                    "eta_s": u.eta_s,
                    "status": u.status,
                }
                for u in self.units
            ],
            "skipped": [{"unit": s.unit, "reason": s.reason} for s in self.skipped],
            "hospitals": [
                {
                    "facility": h.facility,
                    "bed_class": h.bed_class,
                    "free": h.free,
                    "updated_at": h.updated_at,
                    "distance_m": h.distance_m,
                }
                for h in self.hospitals
            ],
            "hospitals_skipped": [
                {"facility": s.facility, "reason": s.reason} for s in self.hospitals_skipped
            ],
        }


def unit_skip_reason(unit: Unit, need: str, status: str, crew_problem: str | None) -> str | None:
    """The first reason this unit cannot be sent (None: send it)."""
    if unit.kind != need:
        return Message("{kind} unit, not {need}", kind=unit.kind, need=need)
    if status == OUT_OF_SERVICE:
        return _OUT_OF_SERVICE
    if crew_problem is not None:
        return crew_problem
    if status != AVAILABLE:
        return Message("busy ({status})", status=status)
    return None


def recommend(
    now: datetime,
    lat: float,
    lon: float,
    *,
    need: str,
    bed_class: str,
    units: Iterable[Unit],
    facilities: Mapping[str, Facility],
    duties: Iterable[CrewDuty],
    statuses: Mapping[str, str],
    beds: Iterable[BedReport],
    settings: DispatchSettings,
    travel: TravelTimes,
) -> Recommendation:
    if now.tzinfo is None:
        raise ValueError("recommend needs a timezone-aware time")
    if need not in NEEDS:
        raise ValueError(Message("need {need!r} is not one of {needs}", need=need, needs=", ".join(NEEDS)))
    now = now.astimezone(UTC)
    crews = crew_states(now, duties)

    placed: list[tuple[float, Unit, Facility]] = []
    skipped: list[UnitSkip] = []
    unplaced: list[UnitSkip] = []
    for unit in units:
        base = facilities.get(unit.base_facility)
        if base is None:
            unplaced.append(
                UnitSkip(
                    unit.code, Message("base facility {facility} is not stored", facility=unit.base_facility)
                )
            )
            continue
        placed.append((ellipsoid_m(base.lat, base.lon, lat, lon), unit, base))
    placed.sort(key=lambda p: (p[0], p[1].code))
    chosen: list[tuple[float, Unit, Facility]] = []
    for distance, unit, base in placed:
        if len(chosen) >= settings.choices:
            break
        crew = crews.get(unit.code)
        reason = unit_skip_reason(
            unit, need, statuses.get(unit.code, AVAILABLE), crew.problem if crew else NOT_IN_SERVICE
        )
        if reason is None:
            chosen.append((distance, unit, base))
        else:
            skipped.append(UnitSkip(unit.code, reason))
    times = travel.seconds([(b.lat, b.lon) for _, _, b in chosen], (lat, lon)) if chosen else []
    choices = [
        UnitChoice(unit.code, unit.base_facility, round(distance), _whole(eta), AVAILABLE)
        for (distance, unit, _), eta in zip(chosen, times, strict=True)
    ]
    choices.sort(key=lambda c: (math.inf if c.eta_s is None else c.eta_s, c.distance_m, c.unit))

    hospitals, hospitals_skipped = _hospitals(now, lat, lon, bed_class, facilities, beds, settings)
    return Recommendation(tuple(choices), tuple(skipped + unplaced), hospitals, hospitals_skipped)


def _hospitals(
    now: datetime,
    lat: float,
    lon: float,
    bed_class: str,
    facilities: Mapping[str, Facility],
    beds: Iterable[BedReport],
    settings: DispatchSettings,
) -> tuple[tuple[HospitalChoice, ...], tuple[HospitalSkip, ...]]:
    reports = {b.hospital: b for b in beds if b.bed_class == bed_class}
    ranked = sorted(
        (ellipsoid_m(f.lat, f.lon, lat, lon), f.code, f)
        for f in facilities.values()
        if f.kind == HOSPITAL_KIND
    )
    chosen: list[HospitalChoice] = []
    skipped: list[HospitalSkip] = []
    for distance, code, facility in ranked:
        if len(chosen) >= settings.choices:
            break
        report = reports.get(code)
        if report is None:
            skipped.append(HospitalSkip(code, _NO_BED_CLASS))
        elif report.stale(now, settings.stale_after):
            skipped.append(HospitalSkip(code, _STALE))
        elif report.free == 0:
            skipped.append(HospitalSkip(code, _FULL))
        else:
            local = report.updated_at.astimezone(ZoneInfo(facility.timezone))
            chosen.append(
                HospitalChoice(
                    code, bed_class, report.free, local.isoformat(timespec="seconds"), round(distance)
                )
            )
    return tuple(chosen), tuple(skipped)


def _whole(seconds: float | None) -> int | None:
    return None if seconds is None else round(seconds)
