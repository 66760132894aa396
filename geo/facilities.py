"""Facilities that can take a call: puskesmas, hospitals, ambulance posts, dispatch and consultation desks."""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from siaga.dataerrors import DataError, RowError

KINDS = ("puskesmas", "hospital", "ambulance", "dispatch", "consultation")
REQUIRED_COLUMNS = ("code", "name", "kind", "lat", "lon", "area_code", "timezone")

# A generous box around Indonesia: a point outside it is a data error (often lat and lon swapped).
INDONESIA_LAT = (-11.5, 6.5)
INDONESIA_LON = (94.5, 141.5)


@dataclass(frozen=True)
class Facility:
    code: str
    name: str
    kind: str
    lat: float
    lon: float
    area_code: str
    timezone: str
    service_area: tuple[str, ...] = ()


def in_indonesia(lat: float, lon: float) -> bool:
    return INDONESIA_LAT[0] <= lat <= INDONESIA_LAT[1] and INDONESIA_LON[0] <= lon <= INDONESIA_LON[1]


def parse_coordinate(raw: str, field: str) -> float:
    value = float(raw)
    if not math.isfinite(value):
        raise ValueError(f"{field} must be a finite number, got {raw!r}")
    return value


def load_facilities_csv(path: Path, known_areas: set[str] | None = None) -> list[Facility]:
    """Read the facilities file; any bad row fails the whole file with every problem listed by line."""
    source = str(path)
    errors: list[RowError] = []
    facilities: list[Facility] = []
    try:
        handle = path.open(newline="", encoding="utf-8")
    except OSError as exc:
        raise DataError([RowError(source, 0, None, f"cannot open: {exc}")]) from exc
    with handle:
        reader = csv.DictReader(handle)
        missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise DataError([RowError(source, 1, None, f"missing column(s): {', '.join(missing)}")])
        seen: set[str] = set()
        for row in reader:
            line = reader.line_num
            before = len(errors)

            def bad(field: str, message: str, line: int = line) -> None:
                errors.append(RowError(source, line, field, message))

            code = (row.get("code") or "").strip()
            kind = (row.get("kind") or "").strip()
            if not code:
                bad("code", "missing")
            elif code in seen:
                bad("code", f"duplicate code {code!r}")
            seen.add(code)
            if not (row.get("name") or "").strip():
                bad("name", "missing")
            if kind not in KINDS:
                bad("kind", f"{kind!r} is not one of {', '.join(KINDS)}")
            coords: dict[str, float] = {}
            for field in ("lat", "lon"):
                try:
                    coords[field] = parse_coordinate((row.get(field) or "").strip(), field)
                except ValueError as exc:
                    bad(field, f"not a number: {exc}")
            if len(coords) == 2 and not in_indonesia(coords["lat"], coords["lon"]):
                hint = " (lat and lon swapped?)" if in_indonesia(coords["lon"], coords["lat"]) else ""
                bad("lat", f"({coords['lat']}, {coords['lon']}) is outside Indonesia{hint}")
            area_code = (row.get("area_code") or "").strip()
            if not area_code:
                bad("area_code", "missing")
            elif known_areas is not None and area_code not in known_areas:
                bad("area_code", f"unknown area {area_code!r}")
            timezone = (row.get("timezone") or "").strip()
            try:
                ZoneInfo(timezone)
            except (ZoneInfoNotFoundError, ValueError):
                bad("timezone", f"unknown time zone {timezone!r} (use e.g. Asia/Jakarta)")
            service_area = tuple((row.get("service_area") or "").split())
            if len(errors) == before:
                facilities.append(
                    Facility(
                        code,
                        row["name"].strip(),
                        kind,
                        coords["lat"],
                        coords["lon"],
                        area_code,
                        timezone,
                        service_area,
                    )
                )
    if errors:
        raise DataError(errors)
    return facilities
