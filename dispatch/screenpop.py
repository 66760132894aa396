"""The ambulance recommendation on the operator's screen-pop (issue 11, point 4): one short line in the
X-Siaga-Ambulance header of a ringing emergency call, the same recommendation `siaga dispatch recommend`
and the console give for the caller's location (dispatch.recommend.recommend over the same stored data).

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
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from dispatch.beds import HOSPITAL_KIND, BedReport
from dispatch.recommend import DispatchSettings, Recommendation, recommend
from dispatch.store import crew_duties, read_beds, read_units, statuses
from dispatch.travel import TravelTimes
from dispatch.units import CrewDuty, Unit
from geo.facilities import Facility
from geo.store import read_facilities

log = logging.getLogger("siaga.dispatch.screenpop")

MAX_TEXT = 180  # one SIP header line the softphone shows whole
SHORTLIST = 4  # candidates per choice measured exactly: busy or full ones are skipped, the rest ranked
_UNSAFE = re.compile(r"[\x00-\x1f\x7f]")  # nothing that could end or bend a SIP header line


@dataclass(frozen=True)
class DispatchSnapshot:
    units: tuple[Unit, ...]
    facilities: Mapping[str, Facility]
    duties: tuple[CrewDuty, ...]
    statuses: Mapping[str, str]
    beds: tuple[BedReport, ...]
    # Where each unit's base and each hospital is (degrees), for the per-call shortlist.
    unit_points: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    hospitals: tuple[Facility, ...] = ()
    hospital_points: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))

    def shortlist(self, lat: float, lon: float, n: int) -> tuple[tuple[Unit, ...], dict[str, Facility]]:
        """The `n` units and `n` hospitals nearest the point by a flat-earth distance (cheap, and exact
        enough to choose candidates; recommend() then measures them properly): a national region has
        thousands of hospitals, and measuring each on the ellipsoid for every call would cost the call."""
        units = tuple(self.units[i] for i in _nearest(self.unit_points, lat, lon, n))
        hospitals = [self.hospitals[i] for i in _nearest(self.hospital_points, lat, lon, n)]
        chosen = {f.code: f for f in hospitals}
        chosen.update(
            {
                u.base_facility: self.facilities[u.base_facility]
                for u in units
                if u.base_facility in self.facilities
            }
        )
        return units, chosen


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
    far = (1e3, 1e3)  # a unit whose base is not stored: never near (recommend names it as unplaced)
    unit_points = np.array(
        [
            (facilities[u.base_facility].lat, facilities[u.base_facility].lon)
            if u.base_facility in facilities
            else far
            for u in units
        ],
        dtype=float,
    )
    hospitals = tuple(f for f in facilities.values() if f.kind == HOSPITAL_KIND)
    return DispatchSnapshot(
        units,
        facilities,
        tuple(crew_duties(session, now)),
        statuses(session),
        tuple(read_beds(session)),
        unit_points,
        hospitals,
        np.array([(f.lat, f.lon) for f in hospitals], dtype=float).reshape(-1, 2),
    )


def _km(metres: int) -> str:
    return f"{metres / 1000:.1f} km"


def advice_text(result: Recommendation, facilities: Mapping[str, Facility], bed_class: str) -> str:
    """`119-smg-03 5.2 km ~9 min; RS: RSUD K.R.M.T. Wongsonegoro IGD 3 free`, or what is missing."""
    if result.units:
        first = result.units[0]
        eta = f" ~{max(1, round(first.eta_s / 60))} min" if first.eta_s is not None else ""
        unit = f"{first.unit} {_km(first.distance_m)}{eta}"
    else:
        unit = f"no ambulance in service nearby ({len(result.skipped)} skipped)"
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
        self._read_at = -float("inf")

    def after_fork(self) -> None:
        """A worker's own connections and snapshot: nothing inherited from the parent is used."""
        self._engine, self._snapshot, self._read_at = None, None, -float("inf")

    def snapshot(self, now: datetime) -> DispatchSnapshot | None:
        if self.monotonic() - self._read_at >= self.refresh_s:
            self._read_at = self.monotonic()  # a failing database is asked again only after refresh_s
            try:
                if self._engine is None:
                    self._engine = self.make_db()
                with Session(self._engine) as session:
                    self._snapshot = read_snapshot(session, now)
            except Exception as exc:  # the header is a help, never a reason to fail a call
                log.warning("ambulance screen-pop: units not read (%s); keeping the last snapshot", exc)
        return self._snapshot

    def text(self, now: datetime, lat: float, lon: float) -> str:
        """The header's text, or "" where there are no units (a region without ambulances)."""
        snap = self.snapshot(now)
        if snap is None or not snap.units:
            return ""
        units, facilities = snap.shortlist(lat, lon, SHORTLIST * max(1, self.settings.choices))
        result = recommend(
            now.astimezone(UTC),
            lat,
            lon,
            need="emergency",
            bed_class=self.bed_class,
            units=units,
            facilities=facilities,
            duties=snap.duties,
            statuses=snap.statuses,
            beds=snap.beds,
            settings=self.settings,
            travel=self.travel,
        )
        return advice_text(result, snap.facilities, self.bed_class)
