"""Ranking facilities by distance from the caller.

Geodesic distance (geopy, WGS-84) is exact but costs tens of microseconds; a cheap equirectangular
estimate shortlists candidates first so the exact figure is computed only for the few that can win.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from geopy.distance import geodesic

from geo.facilities import Facility

_EARTH_RADIUS_M = 6_371_008.8


@dataclass(frozen=True)
class Ranked:
    facility: Facility
    distance_m: float
    in_service_area: bool


def approx_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    x = math.radians(lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    y = math.radians(lat2 - lat1)
    return _EARTH_RADIUS_M * math.hypot(x, y)


def geodesic_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    return float(geodesic((lat1, lon1), (lat2, lon2)).meters)


def rank_facilities(
    lat: float,
    lon: float,
    facilities: Iterable[Facility],
    area_codes: set[str],
    limit: int,
) -> list[Ranked]:
    """Facilities whose service area holds the caller first, then the rest by geodesic distance.

    The equirectangular estimate is within 0.5 % of the geodesic at these scales, so taking a shortlist
    of `limit * 2 + 8` by estimate and then sorting it exactly never drops a true top-`limit` facility.
    """
    candidates = [(approx_m(lat, lon, f.lat, f.lon), f) for f in facilities]
    candidates.sort(key=lambda pair: pair[0])
    serving = [f for _, f in candidates if area_codes.intersection(f.service_area)]
    shortlist = [f for _, f in candidates[: limit * 2 + 8] if f not in serving]
    ranked = [Ranked(f, geodesic_m(lat, lon, f.lat, f.lon), True) for f in serving]
    ranked.sort(key=lambda r: r.distance_m)
    others = [Ranked(f, geodesic_m(lat, lon, f.lat, f.lon), False) for f in shortlist]
    others.sort(key=lambda r: r.distance_m)
    return (ranked + others)[:limit] if limit else ranked + others
