"""Who is on duty where at a chosen time, per facility and per kecamatan, with the gaps.

The on-duty question is answered by `shifts.store.load_snapshot` (leave and swaps applied), the same
code the engine routes from. Snapshots are kept while the roster revision is unchanged and the time
asked for lies before the next shift boundary, so fifty supervisors watching the coverage page cost one
revision read each, not a roster scan each.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from geo.areas import Area
from geo.facilities import Facility
from kernel.catalogue import COVERING_KINDS, SERVICES, answering_roles
from shifts.coverage import Gap, coverage_gaps
from shifts.roster import Duty, OnDutySnapshot
from shifts.store import current_revision, load_roster, load_snapshot
from shifts.templates import DEFAULT_SHIFTS
from web.places import Places

GAPS_AHEAD = timedelta(hours=12)
KEPT_SNAPSHOTS = 32


@dataclass(frozen=True)
class FacilityCover:
    facility: Facility
    kabupaten: str | None
    kecamatan: str | None
    on_duty: tuple[Duty, ...]

    @property
    def staffed(self) -> bool:
        roles = answering_roles(self.facility.kind)
        return any(not roles or d.role in roles for d in self.on_duty)

    @property
    def counts(self) -> bool:
        return self.facility.kind in COVERING_KINDS

    def to_json(self) -> dict[str, object]:
        f = self.facility
        return {
            "code": f.code,
            "name": f.name,
            "kind": f.kind,
            "kabupaten": self.kabupaten,
            "kecamatan": self.kecamatan,
            "lat": f.lat,
            "lon": f.lon,
            "staffed": self.staffed,
            "on_duty": [
                {
                    "staff_id": d.staff_id,
                    "name": d.staff_name,
                    "role": d.role,
                    "endpoint": d.endpoint,
                    "shift": d.shift,
                    "start": d.start.isoformat(),
                    "end": d.end.isoformat(),
                }
                for d in self.on_duty
            ],
        }


@dataclass(frozen=True)
class KecamatanCover:
    area: Area
    facilities: tuple[FacilityCover, ...]

    @property
    def status(self) -> str:
        """covered (every puskesmas staffed), partial, gap (none staffed), or none (no puskesmas in it)."""
        counted = [f for f in self.facilities if f.counts]
        if not counted:
            return "none"
        staffed = sum(f.staffed for f in counted)
        return "covered" if staffed == len(counted) else "partial" if staffed else "gap"

    def to_json(self) -> dict[str, object]:
        return {
            "code": self.area.code,
            "name": self.area.name,
            "kabupaten": self.area.parent,
            "status": self.status,
            "facilities": [f.facility.code for f in self.facilities],
            "staffed": [f.facility.code for f in self.facilities if f.staffed],
        }


@dataclass(frozen=True)
class GapAhead:
    """A `shifts.coverage.Gap` with the names a supervisor reads."""

    gap: Gap
    name: str

    def to_json(self) -> dict[str, object]:
        g = self.gap
        return {
            "scope": g.scope,
            "code": g.code,
            "name": self.name,
            "service": g.service,
            "start": g.start.isoformat(),
            "end": g.end.isoformat(),
            "facilities": list(g.facilities),
        }


@dataclass(frozen=True)
class Coverage:
    at: datetime
    valid_until: datetime
    revision: int
    kabupaten: tuple[str, ...]
    facilities: tuple[FacilityCover, ...]
    kecamatan: tuple[KecamatanCover, ...]
    ahead: tuple[GapAhead, ...] = ()

    @property
    def gaps(self) -> list[FacilityCover]:
        return [f for f in self.facilities if f.counts and not f.staffed]

    def to_json(self) -> dict[str, object]:
        return {
            "at": self.at.isoformat(),
            "valid_until": self.valid_until.isoformat(),
            "roster_revision": self.revision,
            "kabupaten": list(self.kabupaten),
            "summary": {
                "facilities": len(self.facilities),
                "staffed": sum(f.staffed for f in self.facilities),
                "gaps": len(self.gaps),
                "kecamatan_gap": sum(k.status == "gap" for k in self.kecamatan),
                "kecamatan_partial": sum(k.status == "partial" for k in self.kecamatan),
            },
            "gaps": [f.facility.code for f in self.gaps],
            "gaps_ahead": [g.to_json() for g in self.ahead],
            "kecamatan": [k.to_json() for k in self.kecamatan],
            "facilities": [f.to_json() for f in self.facilities],
        }


def shift_time(day: date, shift: str, zone: str) -> datetime:
    """The middle of a named shift, clear of the handover at either end."""
    start, end = DEFAULT_SHIFTS[shift].window(day, ZoneInfo(zone))
    return start + (end - start) / 2


class CoverageService:
    def __init__(self, places: Places) -> None:
        self.places = places
        self._lock = threading.Lock()
        self._revision = -1
        self._snapshots: OrderedDict[datetime, OnDutySnapshot] = OrderedDict()
        self._window: tuple[tuple[int, datetime], dict[str, list[Duty]]] | None = None
        self._gaps: dict[tuple[int, datetime, tuple[str, ...]], tuple[GapAhead, ...]] = {}

    def snapshot(self, session: Session, at: datetime) -> tuple[OnDutySnapshot, int]:
        revision = current_revision(session)
        with self._lock:
            if revision != self._revision:
                self._snapshots.clear()
                self._revision = revision
            for key, snap in self._snapshots.items():
                if snap.is_valid(at):
                    self._snapshots.move_to_end(key)
                    return snap, revision
        snap, _ = load_snapshot(session, at)
        with self._lock:
            if revision == self._revision:
                self._snapshots[snap.at] = snap
                while len(self._snapshots) > KEPT_SNAPSHOTS:
                    self._snapshots.popitem(last=False)
        return snap, revision

    def coverage(self, session: Session, at: datetime, kabupaten: list[str]) -> Coverage:
        """Coverage at `at` of the given kabupaten (every facility and kecamatan in them)."""
        snap, revision = self.snapshot(session, at.astimezone(UTC))
        scope = set(kabupaten)
        covers = [
            FacilityCover(
                f,
                self.places.kabupaten_of.get(f.code),
                self.places.kecamatan_of.get(f.code),
                snap.staff_at(f.code),
            )
            for f in self.places.facilities_in(scope)
        ]
        by_kecamatan: dict[str, list[FacilityCover]] = {}
        for cover in covers:
            if cover.kecamatan:
                by_kecamatan.setdefault(cover.kecamatan, []).append(cover)
        kecamatan = [
            KecamatanCover(area, tuple(by_kecamatan.get(area.code, ())))
            for code in sorted(scope)
            for area in self.places.kecamatan_in(code)
        ]
        ahead = self.gaps_ahead(session, revision, at, scope)
        return Coverage(
            at, snap.valid_until, revision, tuple(sorted(scope)), tuple(covers), tuple(kecamatan), ahead
        )

    def gaps_ahead(
        self, session: Session, revision: int, at: datetime, scope: set[str]
    ) -> tuple[GapAhead, ...]:
        """Where no one will be on duty in the next 12 hours, by `shifts.coverage.coverage_gaps` (the
        check the scheduler warns with). Worked out per kabupaten from the top of the hour, once per
        roster revision, from one read of the hour's duties shared by every kabupaten, grouped by
        facility (a kabupaten's first look in the hour used to filter the whole country's duties)."""
        hour = at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
        key = (revision, hour)
        wanted = (revision, hour, tuple(sorted(scope)))
        with self._lock:
            window = self._window
            found = self._gaps.get(wanted)
        if found is None:
            if window is None or window[0] != key:
                duties = load_roster(session, hour, hour + GAPS_AHEAD + timedelta(hours=1)).resolved()
                by_facility: dict[str, list[Duty]] = {}
                for duty in duties:  # once per hour: each kabupaten then reads only its own duties
                    by_facility.setdefault(duty.facility_code, []).append(duty)
                window = (key, by_facility)
            facilities = self.places.facilities_in(scope)
            mine = [d for f in facilities for d in window[1].get(f.code, ())]
            names = {f.code: f.name for f in facilities}
            found = tuple(
                GapAhead(
                    g, names.get(g.code, g.code) if g.scope == "facility" else self.places.area_name(g.code)
                )
                for g in coverage_gaps(
                    mine, facilities, SERVICES, hour, hour + GAPS_AHEAD + timedelta(hours=1)
                )
            )
            with self._lock:
                if self._window is None or self._window[0] != key:
                    self._window, self._gaps = window, {}
                self._gaps[wanted] = found
        end = at + GAPS_AHEAD
        return tuple(g for g in found if g.gap.end > at and g.gap.start < end)
