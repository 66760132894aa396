"""Small builders for pure-core tests: a toy region of two kecamatan and a few puskesmas."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from shapely.geometry import box

from geo.areas import Area, AreaIndex
from geo.callers import CallerDirectory, KnownCaller, normalise_number
from geo.facilities import Facility
from geo.region import Region
from shifts.roster import Duty, OnDutySnapshot, build_snapshot
from shifts.templates import DEFAULT_SHIFTS

WIB = ZoneInfo("Asia/Jakarta")


def toy_areas() -> AreaIndex:
    return AreaIndex(
        [
            Area("33", "Jawa Tengah", "provinsi", None, None),
            Area("33.74", "Kota Semarang", "kabupaten", "33", box(110.30, -7.10, 110.50, -6.90)),
            Area("33.74.01", "Barat", "kecamatan", "33.74", box(110.30, -7.10, 110.40, -6.90)),
            Area("33.74.02", "Timur", "kecamatan", "33.74", box(110.40, -7.10, 110.50, -6.90)),
        ]
    )


def puskesmas(
    code: str, lat: float, lon: float, area: str = "33.74.01", service_area: tuple[str, ...] = ()
) -> Facility:
    return Facility(code, f"Puskesmas {code}", "puskesmas", lat, lon, area, "Asia/Jakarta", service_area)


def toy_region(facilities: list[Facility], callers: dict[str, tuple[float, float]] | None = None) -> Region:
    known = [KnownCaller(normalise_number(n) or n, lat, lon, "") for n, (lat, lon) in (callers or {}).items()]
    return Region(toy_areas(), {f.code: f for f in facilities}, CallerDirectory(known))


def duty(facility: str, shift: str, day: str, staff: str | None = None, role: str = "operator") -> Duty:
    start, end = DEFAULT_SHIFTS[shift].window(datetime.fromisoformat(day).date(), WIB)
    staff_id = staff or f"{facility}-op"
    return Duty(staff_id, staff_id.title(), role, staff_id, facility, shift, start, end)


class FixedRoster:
    """A roster source over a fixed list of duties, as the router sees a snapshot."""

    def __init__(self, duties: list[Duty]) -> None:
        self.duties = duties

    def snapshot(self, now: datetime) -> OnDutySnapshot:
        return build_snapshot(self.duties, now, now.replace(year=now.year + 1))


def at(iso: str) -> datetime:
    return datetime.fromisoformat(iso)
