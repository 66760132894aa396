"""The ambulance recommendation on the operator's screen-pop (issue 11, point 4): one short line in the
X-Siaga-Ambulance header of a ringing emergency call: the first unit and hospital that `siaga dispatch
recommend` and the console give for the caller's location, chosen by the same rules
(dispatch.recommend.unit_skip_reason, fresh free beds of the class) over the same stored data; a test holds
the two to the same answer.

The route script runs for every call, so nothing here touches the database per call: each engine worker
keeps a snapshot of the units, the crews on duty, the units' statuses and the beds, read again at most every
`refresh_s` (a status a crew keyed in a few seconds ago may not be in it yet: the console and `siaga
dispatch recommend` read the database itself, and the dispatcher decides there). A failure to read keeps
the last snapshot and is logged; the header is only ever left out, never the call harmed.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from dispatch.beds import HOSPITAL_KIND, BedReport
from dispatch.recommend import (
    DispatchSettings,
    HospitalChoice,
    Recommendation,
    UnitChoice,
    unit_skip_reason,
)
from dispatch.store import crew_duties, read_beds, read_units, statuses
from dispatch.travel import TravelTimes
from dispatch.units import AVAILABLE, NOT_IN_SERVICE, CrewDuty, Unit, crew_states
from geo.distance import ellipsoid_m
from geo.facilities import Facility
from geo.store import read_facilities

log = logging.getLogger("siaga.dispatch.screenpop")

MAX_TEXT = 180  # one SIP header line the softphone shows whole
SHORTLIST = 4  # nearest ready units (and hospitals) by flat distance, then measured on the ellipsoid
_UNSAFE = re.compile(r"[\x00-\x1f\x7f]")  # nothing that could end or bend a SIP header line


@dataclass(frozen=True)
class DispatchSnapshot:
    units: tuple[Unit, ...]
    facilities: Mapping[str, Facility]
    duties: tuple[CrewDuty, ...]
    statuses: Mapping[str, str]
    beds: tuple[BedReport, ...]
    hospitals: tuple[Facility, ...] = ()


def _nearest(points: np.ndarray, lat: float, lon: float, n: int) -> list[int]:
    if len(points) == 0:
        return []
    dlat = points[:, 0] - lat
    dlon = (points[:, 1] - lon) * math.cos(math.radians(lat))
    squared = dlat * dlat + dlon * dlon
    if len(points) <= n:
        return [int(i) for i in np.argsort(squared, kind="stable")]
    return [int(i) for i in np.argpartition(squared, n)[:n]]


def read_snapshot(session: Session, now: datetime) -> DispatchSnapshot:
    units = tuple(read_units(session))
    if not units:  # a region without ambulances: nothing else is needed
        return DispatchSnapshot((), {}, (), {}, ())
    facilities = {f.code: f for f in read_facilities(session)}
    hospitals = tuple(f for f in facilities.values() if f.kind == HOSPITAL_KIND)
    return DispatchSnapshot(
        units,
        facilities,
        tuple(crew_duties(session, now)),
        statuses(session),
        tuple(read_beds(session)),
        hospitals,
    )


@dataclass(frozen=True)
class Ready:
    """What a call can be offered, worked out once per snapshot (not per call): the emergency units
    available with a driver and a medic on duty at the snapshot's time, and the hospitals with a fresh free
    bed of the class. Per call only the nearest of these are measured, as the recommendation would choose
    them: the nearest ready unit and the nearest ready hospital."""

    units: tuple[tuple[Unit, Facility], ...]
    unit_points: np.ndarray
    hospitals: tuple[tuple[Facility, BedReport], ...]
    hospital_points: np.ndarray

    @classmethod
    def of(cls, snap: DispatchSnapshot, now: datetime, settings: DispatchSettings, bed_class: str) -> Ready:
        crews = crew_states(now, snap.duties)
        units = []
        for unit in snap.units:
            base = snap.facilities.get(unit.base_facility)
            crew = crews.get(unit.code)
            status = snap.statuses.get(unit.code, AVAILABLE)
            if base is None:
                continue
            if unit_skip_reason(unit, "emergency", status, crew.problem if crew else NOT_IN_SERVICE) is None:
                units.append((unit, base))
        reports = {b.hospital: b for b in snap.beds if b.bed_class == bed_class}
        hospitals = [
            (f, reports[f.code])
            for f in snap.hospitals
            if f.code in reports
            and not reports[f.code].stale(now, settings.stale_after)
            and reports[f.code].free > 0
        ]
        return cls(
            tuple(units),
            np.array([(b.lat, b.lon) for _, b in units], dtype=float).reshape(-1, 2),
            tuple(hospitals),
            np.array([(f.lat, f.lon) for f, _ in hospitals], dtype=float).reshape(-1, 2),
        )


def _nearest_exact(points: np.ndarray, lat: float, lon: float) -> tuple[int, float] | None:
    """The index and ellipsoid distance of the nearest point: a flat-earth shortlist, then exact metres."""
    best: tuple[int, float] | None = None
    for i in _nearest(points, lat, lon, SHORTLIST):
        metres = ellipsoid_m(float(points[i, 0]), float(points[i, 1]), lat, lon)
        if best is None or metres < best[1]:
            best = (i, metres)
    return best


def _km(metres: int) -> str:
    return f"{metres / 1000:.1f} km"


def advice_text(result: Recommendation, facilities: Mapping[str, Facility], bed_class: str) -> str:
    """`119-smg-03 5.2 km ~9 min; RS: RSUD K.R.M.T. Wongsonegoro IGD 3 free`, or what is missing."""
    if result.units:
        first = result.units[0]
        eta = f" ~{max(1, round(first.eta_s / 60))} min" if first.eta_s is not None else ""
        unit = f"{first.unit} {_km(first.distance_m)}{eta}"
    else:
        unit = "no ambulance in service nearby"
    if result.hospitals:
        h = result.hospitals[0]
        name = facilities[h.facility].name if h.facility in facilities else h.facility
        hospital = f"RS: {name} {bed_class.upper()} {h.free} free"
    else:
        hospital = f"RS: no fresh free {bed_class.upper()} bed nearby"
    return _UNSAFE.sub(" ", f"{unit}; {hospital}")[:MAX_TEXT]


class AmbulanceAdvice:
    """`text(now, lat, lon)` for the route script; one per worker process (the snapshot is its own)."""

    def __init__(
        self,
        make_db: Callable[[], Engine],
        settings: DispatchSettings,
        travel: TravelTimes,
        *,
        bed_class: str = "igd",
        refresh_s: float = 15.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.make_db = make_db
        # The line shows the first unit and hospital only: measuring more of them would cost every call.
        self.settings = dataclasses.replace(settings, choices=1)
        self.travel = travel
        self.bed_class = bed_class
        self.refresh_s = refresh_s
        self.monotonic = monotonic
        self._engine: Engine | None = None
        self._snapshot: DispatchSnapshot | None = None
        self._ready: Ready | None = None
        self._read_at = -float("inf")

    def after_fork(self) -> None:
        """A worker's own connections and snapshot: nothing inherited from the parent is used."""
        self._engine, self._snapshot, self._ready, self._read_at = None, None, None, -float("inf")

    def snapshot(self, now: datetime) -> DispatchSnapshot | None:
        if self.monotonic() - self._read_at >= self.refresh_s:
            self._read_at = self.monotonic()  # a failing database is asked again only after refresh_s
            try:
                if self._engine is None:
                    self._engine = self.make_db()
                with Session(self._engine) as session:
                    snap = read_snapshot(session, now)
                self._snapshot = snap
                self._ready = (
                    Ready.of(snap, now.astimezone(UTC), self.settings, self.bed_class) if snap.units else None
                )
            except Exception as exc:  # the header is a help, never a reason to fail a call
                log.warning("ambulance screen-pop: units not read (%s); keeping the last snapshot", exc)
        return self._snapshot

    def text(self, now: datetime, lat: float, lon: float) -> str:
        """The header's text, or "" where there are no units (a region without ambulances)."""
        snap = self.snapshot(now)
        ready = self._ready
        if snap is None or not snap.units or ready is None:
            return ""
        units: tuple[UnitChoice, ...] = ()
        found = _nearest_exact(ready.unit_points, lat, lon)
        if found is not None:
            unit, base = ready.units[found[0]]
            (eta,) = self.travel.seconds([(base.lat, base.lon)], (lat, lon))
            eta_s = None if eta is None else round(eta)
            units = (UnitChoice(unit.code, unit.base_facility, round(found[1]), eta_s, AVAILABLE),)
        hospitals: tuple[HospitalChoice, ...] = ()
        found = _nearest_exact(ready.hospital_points, lat, lon)
        if found is not None:
            facility, report = ready.hospitals[found[0]]
            hospitals = (
                HospitalChoice(
                    facility.code, self.bed_class, report.free, report.updated_at.isoformat(), round(found[1])
                ),
            )
        return advice_text(Recommendation(units, (), hospitals, ()), snap.facilities, self.bed_class)
