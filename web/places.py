"""Facilities and areas as the console needs them: which kabupaten and kecamatan each facility is in.

Loaded once when the app starts, from the database through `geo.store.load_areas` and
`load_facilities` (the engine's own seams), so the console and the engine agree on every place.
A facility's kabupaten is the kabupaten-level ancestor of its area (normally the parent of its
kecamatan); it decides who may see and edit the facility.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from geo.areas import Area, AreaIndex
from geo.facilities import Facility
from geo.store import load_areas, load_facilities
from kernel.settings import Settings

DEFAULT_ZONE = "Asia/Jakarta"  # WIB: national pages and anything without a facility of its own


@dataclass(frozen=True)
class Places:
    """Built once; every lookup a page makes is a dict access, even for the whole country."""

    areas: AreaIndex
    facilities: dict[str, Facility]
    kabupaten_of: dict[str, str | None] = field(default_factory=dict)  # facility code → kabupaten code
    kecamatan_of: dict[str, str | None] = field(default_factory=dict)  # facility code → kecamatan code
    _kabupaten: list[Area] = field(default_factory=list)
    _kecamatan_by_kabupaten: dict[str, list[Area]] = field(default_factory=dict)
    _facilities_by_kabupaten: dict[str | None, list[Facility]] = field(default_factory=dict)
    _all_facilities: list[Facility] = field(default_factory=list)

    @classmethod
    def build(cls, areas: AreaIndex, facilities: list[Facility]) -> Places:
        kabupaten: dict[str, str | None] = {}
        kecamatan: dict[str, str | None] = {}
        by_kabupaten: dict[str | None, list[Facility]] = {}
        ordered = sorted(facilities, key=lambda f: (f.name, f.code))
        for facility in ordered:
            lineage = areas.lineage(facility.area_code)
            kabupaten[facility.code] = next((a.code for a in lineage if a.level == "kabupaten"), None)
            kecamatan[facility.code] = next((a.code for a in lineage if a.level == "kecamatan"), None)
            by_kabupaten.setdefault(kabupaten[facility.code], []).append(facility)
        kecamatan_by: dict[str, list[Area]] = {}
        for area in areas.by_code.values():
            if area.level == "kecamatan" and area.parent is not None:
                kecamatan_by.setdefault(area.parent, []).append(area)
        for found in kecamatan_by.values():
            found.sort(key=lambda a: a.name)
        kabupaten_areas = sorted(
            (a for a in areas.by_code.values() if a.level == "kabupaten"), key=lambda a: a.code
        )
        return cls(
            areas,
            {f.code: f for f in facilities},
            kabupaten,
            kecamatan,
            kabupaten_areas,
            kecamatan_by,
            by_kabupaten,
            ordered,
        )

    def kabupaten_list(self) -> list[Area]:
        return self._kabupaten

    def area_name(self, code: str | None) -> str:
        area = self.areas.by_code.get(code or "")
        return area.name if area else (code or "—")

    def facilities_in(self, kabupaten: set[str] | frozenset[str] | None) -> list[Facility]:
        """Facilities of the given kabupaten (None: all), by name."""
        if kabupaten is None:
            return self._all_facilities
        if len(kabupaten) == 1:
            return self._facilities_by_kabupaten.get(next(iter(kabupaten)), [])
        found = [f for code in kabupaten for f in self._facilities_by_kabupaten.get(code, [])]
        return sorted(found, key=lambda f: (f.name, f.code))

    def kecamatan_in(self, kabupaten: str) -> list[Area]:
        return self._kecamatan_by_kabupaten.get(kabupaten, [])

    def zone_of_facility(self, code: str | None, default: str = DEFAULT_ZONE) -> str:
        """The facility's own time zone (WIB, WITA or WIT), for every time shown beside it."""
        facility = self.facilities.get(code or "")
        return facility.timezone if facility else default

    def zone_of_area(self, code: str | None, default: str = DEFAULT_ZONE) -> str:
        """The zone of an area: that of the facilities of its kabupaten (a kabupaten lies in one zone)."""
        for area in self.areas.lineage(code or ""):
            if area.level == "kabupaten":
                found = self._facilities_by_kabupaten.get(area.code)
                if found:
                    return found[0].timezone
        return default

    def zone_of_scope(self, kabupaten: set[str] | frozenset[str] | None, default: str = DEFAULT_ZONE) -> str:
        """The one zone of these kabupaten's facilities; Jakarta's (WIB) nationally or when they differ."""
        if kabupaten is None:
            return default
        zones = {f.timezone for f in self.facilities_in(kabupaten)}
        return zones.pop() if len(zones) == 1 else default


def load_places(settings: Settings) -> Places:
    return Places.build(load_areas(settings), load_facilities(settings))
