"""Everything the router needs to know about places, loaded once per engine process."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from geo.areas import AreaIndex, load_areas_geojson
from geo.callers import CallerDirectory, load_callers_csv
from geo.facilities import Facility, load_facilities_csv
from geo.nearest import FacilityIndex


@dataclass(frozen=True)
class Region:
    areas: AreaIndex
    facilities: dict[str, Facility]
    callers: CallerDirectory
    # Built from `facilities` here, so every way of making a Region ranks through the same index.
    nearby: FacilityIndex = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "nearby", FacilityIndex(self.facilities.values()))


def load_region(areas_path: Path, facilities_path: Path, callers_path: Path) -> Region:
    """The region straight from files (sample checks and tests); the engine reads the database instead."""
    areas = load_areas_geojson(areas_path)
    facilities = load_facilities_csv(facilities_path, known_areas=set(areas.by_code))
    return Region(areas, {f.code: f for f in facilities}, load_callers_csv(callers_path))
