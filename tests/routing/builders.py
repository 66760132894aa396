"""Location tables for the toy region of tests/unit/builders.py (Barat 33.74.01, Timur 33.74.02)."""

from __future__ import annotations

from geo.facilities import Facility
from routing.locate import LocateData
from routing.tables import DidEntry, LocationTables, area_points
from tests.unit.builders import puskesmas, toy_areas, toy_region

FACILITIES = [
    puskesmas("near", -7.000, 110.350),
    puskesmas("mid", -7.000, 110.380),
    puskesmas("far", -7.000, 110.450, area="33.74.02"),
]


def toy_tables() -> LocationTables:
    return LocationTables(
        dids={
            "62246710001": DidEntry("62246710001", "far", "", "front desk"),
            "trunk:timur-119": DidEntry("trunk:timur-119", "", "33.74.02", "Timur's 119 trunk"),
            "trunk:kota-119": DidEntry("trunk:kota-119", "", "33.74", "the city's 119 trunk"),
        },
        kode_pos={"50161": ("33.74.02", "Timur"), "50131": ("33.74.01", "Barat")},
        area_codes={"24": ("33.74", "Kota Semarang"), "741": ("15.71", "Kota Jambi")},
        areas=area_points(toy_areas()),
    )


def toy_data(
    callers: dict[str, tuple[float, float]] | None = None, facilities: list[Facility] | None = None
) -> LocateData:
    region = toy_region(facilities or FACILITIES, callers)
    return LocateData(region.callers, region.facilities, toy_tables())
