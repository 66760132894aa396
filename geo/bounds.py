"""Whether coordinates can be a place in Indonesia, and a hint when they look swapped.

The box is generous on purpose: it catches the usual mistakes (lat and lon swapped, a sign lost, a
GeoJSON written as [lat, lon]) without rejecting a real island near the edge.
"""

from __future__ import annotations

import math

from kernel.messages import Message

INDONESIA_LAT = (-11.5, 6.5)
INDONESIA_LON = (94.5, 141.5)
# Hints added to a refusal, built once (a Message so the refusal's translation translates them too).
_SWAPPED = Message(" (lat and lon swapped?)")
_LAT_LON = Message(" (positions written as [lat, lon]? GeoJSON wants [lon, lat])")


def in_indonesia(lat: float, lon: float) -> bool:
    return INDONESIA_LAT[0] <= lat <= INDONESIA_LAT[1] and INDONESIA_LON[0] <= lon <= INDONESIA_LON[1]


def parse_coordinate(raw: str, field: str) -> float:
    """A finite float; NaN, Infinity and text are refused with a message naming the field."""
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(Message("{field} is not a number: {raw!r}", field=field, raw=raw)) from None
    if not math.isfinite(value):
        raise ValueError(Message("{field} must be a finite number, got {raw!r}", field=field, raw=raw))
    return value


def point_problem(lat: float, lon: float) -> str | None:
    """Why (lat, lon) cannot be a place in Indonesia, or None when it can."""
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        hint = _SWAPPED if in_indonesia(lon, lat) else ""
        return Message("({lat}, {lon}) is not a valid latitude/longitude{hint}", lat=lat, lon=lon, hint=hint)
    if not in_indonesia(lat, lon):
        hint = _SWAPPED if in_indonesia(lon, lat) else ""
        return Message("({lat}, {lon}) is outside Indonesia's bounds{hint}", lat=lat, lon=lon, hint=hint)
    return None


def bounds_problem(min_lon: float, min_lat: float, max_lon: float, max_lat: float) -> str | None:
    """Why a geometry with these bounds cannot lie in Indonesia (GeoJSON positions are [lon, lat])."""
    if not (-180.0 <= min_lon <= max_lon <= 180.0 and -90.0 <= min_lat <= max_lat <= 90.0):
        swapped = in_indonesia(min_lon, min_lat) and in_indonesia(max_lon, max_lat)
        return Message(
            "coordinates out of range: lon {min_lon}..{max_lon}, lat {min_lat}..{max_lat}{hint}",
            min_lon=min_lon,
            max_lon=max_lon,
            min_lat=min_lat,
            max_lat=max_lat,
            hint=_LAT_LON if swapped else "",
        )
    if not (in_indonesia(min_lat, min_lon) and in_indonesia(max_lat, max_lon)):
        swapped = in_indonesia(min_lon, min_lat) and in_indonesia(max_lon, max_lat)
        return Message(
            "outside Indonesia's bounds: lon {min_lon}..{max_lon}, lat {min_lat}..{max_lat}{hint}",
            min_lon=min_lon,
            max_lon=max_lon,
            min_lat=min_lat,
            max_lat=max_lat,
            hint=_LAT_LON if swapped else "",
        )
    return None
