"""Distances on the WGS-84 ellipsoid, and the reference definition of how facilities are ranked.

Two exact distances: geopy's `geodesic` (Karney's algorithm; the reference, ~35-70 µs a pair in pure
Python) and Vincenty's inverse formula (~3 µs a pair, agrees with Karney to well under a millimetre at
any distance inside Indonesia). The hot path uses Vincenty and falls back to geopy where Vincenty does not
converge (nearly antipodal points); tests and the benchmark hold the two to each other.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from geopy.distance import geodesic

from geo.facilities import Facility

EARTH_RADIUS_M = 6_371_008.8  # mean radius, for spherical estimates only

_A = 6_378_137.0  # WGS-84 semi-major axis
_F = 1 / 298.257223563  # WGS-84 flattening
_B = _A * (1 - _F)
_EP2 = (_A * _A - _B * _B) / (_B * _B)


@dataclass(frozen=True)
class Ranked:
    facility: Facility
    distance_m: float
    in_service_area: bool


def approx_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Equirectangular estimate, good to a fraction of a percent over tens of kilometres."""
    x = math.radians(lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2))
    y = math.radians(lat2 - lat1)
    return EARTH_RADIUS_M * math.hypot(x, y)


def geodesic_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """geopy's geodesic distance: the reference every faster path is checked against."""
    return float(geodesic((lat1, lon1), (lat2, lon2)).meters)


def reduced_latitude(lat: float) -> tuple[float, float]:
    """(sin U, cos U) of the reduced latitude, which Vincenty's formula needs for each end point."""
    u = math.atan((1 - _F) * math.tan(math.radians(lat)))
    return math.sin(u), math.cos(u)


def ellipsoid_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Geodesic distance by Vincenty's inverse formula; geopy where the iteration does not settle."""
    return vincenty_m(reduced_latitude(lat1), lon1, reduced_latitude(lat2), lon2, lat1, lat2)


def vincenty_m(
    u1: tuple[float, float], lon1: float, u2: tuple[float, float], lon2: float, lat1: float, lat2: float
) -> float:
    """Vincenty's inverse formula from reduced latitudes (computed once per point by the caller)."""
    if lat1 == lat2 and lon1 == lon2:
        return 0.0
    sin_u1, cos_u1 = u1
    sin_u2, cos_u2 = u2
    big_l = math.radians(lon2 - lon1)
    lam = big_l
    for _ in range(100):
        sin_lam, cos_lam = math.sin(lam), math.cos(lam)
        sin_sigma = math.hypot(cos_u2 * sin_lam, cos_u1 * sin_u2 - sin_u1 * cos_u2 * cos_lam)
        if sin_sigma == 0.0:
            return 0.0
        cos_sigma = sin_u1 * sin_u2 + cos_u1 * cos_u2 * cos_lam
        sigma = math.atan2(sin_sigma, cos_sigma)
        sin_alpha = cos_u1 * cos_u2 * sin_lam / sin_sigma
        cos2_alpha = 1.0 - sin_alpha * sin_alpha
        cos_2sm = cos_sigma - 2.0 * sin_u1 * sin_u2 / cos2_alpha if cos2_alpha else 0.0
        c = _F / 16.0 * cos2_alpha * (4.0 + _F * (4.0 - 3.0 * cos2_alpha))
        previous = lam
        lam = big_l + (1.0 - c) * _F * sin_alpha * (
            sigma + c * sin_sigma * (cos_2sm + c * cos_sigma * (-1.0 + 2.0 * cos_2sm * cos_2sm))
        )
        if abs(lam - previous) < 1e-12:
            break
    else:
        return geodesic_m(lat1, lon1, lat2, lon2)
    u_sq = cos2_alpha * _EP2
    k_a = 1.0 + u_sq / 16384.0 * (4096.0 + u_sq * (-768.0 + u_sq * (320.0 - 175.0 * u_sq)))
    k_b = u_sq / 1024.0 * (256.0 + u_sq * (-128.0 + u_sq * (74.0 - 47.0 * u_sq)))
    term = -k_b / 6.0 * cos_2sm * (-3.0 + 4.0 * sin_sigma * sin_sigma) * (-3.0 + 4.0 * cos_2sm * cos_2sm)
    term += cos_sigma * (-1.0 + 2.0 * cos_2sm * cos_2sm)
    delta_sigma = k_b * sin_sigma * (cos_2sm + k_b / 4.0 * term)
    return _B * k_a * (sigma - delta_sigma)


def rank_facilities(
    lat: float,
    lon: float,
    facilities: Iterable[Facility],
    area_codes: set[str],
    limit: int,
) -> list[Ranked]:
    """The definition of the ranking, computed the slow way: every facility measured with geopy.

    Facilities whose service area holds the caller come first, then the rest; each group by geodesic
    distance, ties by code. `limit` 0 means all. The engine ranks through `geo.nearest.FacilityIndex`,
    which must give the same answer (tests and bench/route_latency.py check that it does).
    """
    ranked = [
        Ranked(f, geodesic_m(lat, lon, f.lat, f.lon), bool(area_codes.intersection(f.service_area)))
        for f in facilities
    ]
    ranked.sort(key=lambda r: (not r.in_service_area, r.distance_m, r.facility.code))
    return ranked[:limit] if limit else ranked
