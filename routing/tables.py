"""The lookup tables behind the coarser location sources: DID/trunk, kode pos, landline area codes.

Small CSV files, read once per engine like the rest of the region; every bad row is reported with its
line and field (`DataError`), and nothing is half-loaded. `LocationTables` is plain data that
`routing.locate` reads; `area_points` gives each area with an outline a point inside it and a rough radius,
so a source that names an area can still be ranked by distance.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from geo.areas import AreaIndex
from geo.callers import normalise_number
from siaga.dataerrors import DataError, RowError

_KODE_POS = re.compile(r"[1-9][0-9]{4}")
_PREFIX = re.compile(r"0[1-9][0-9]{1,3}")
_TRUNK = re.compile(r"trunk:[A-Za-z0-9_-]{1,64}")
_M_PER_DEG = 111_320.0


@dataclass(frozen=True)
class DidEntry:
    key: str  # a normalised number (62…) or "trunk:<endpoint>"
    facility_code: str
    area_code: str
    label: str


@dataclass(frozen=True)
class AreaPoint:
    code: str
    name: str
    level: str
    lat: float
    lon: float
    radius_m: float  # radius of a circle of the same size: the honest accuracy of "somewhere in here"


@dataclass(frozen=True)
class LocationTables:
    dids: dict[str, DidEntry] = field(default_factory=dict)
    kode_pos: dict[str, tuple[str, str]] = field(default_factory=dict)  # kode pos → (area code, label)
    area_codes: dict[str, tuple[str, str]] = field(default_factory=dict)  # "24" → (area code, name)
    areas: dict[str, AreaPoint] = field(default_factory=dict)


def area_points(index: AreaIndex) -> dict[str, AreaPoint]:
    points: dict[str, AreaPoint] = {}
    for code, area in index.by_code.items():
        if area.geometry is None or area.geometry.is_empty:
            continue
        inside = area.geometry.representative_point()
        lat, lon = float(inside.y), float(inside.x)
        square_m = area.geometry.area * _M_PER_DEG * _M_PER_DEG * math.cos(math.radians(lat))
        points[code] = AreaPoint(code, area.name, area.level, lat, lon, round(math.sqrt(square_m / math.pi)))
    return points


def _rows(path: Path, required: Iterable[str]) -> tuple[list[tuple[int, dict[str, str]]], str]:
    source = str(path)
    try:
        handle = path.open(newline="", encoding="utf-8")
    except OSError as exc:
        raise DataError([RowError(source, 0, None, f"cannot open: {exc}")]) from exc
    with handle:
        reader = csv.DictReader(handle)
        missing = [c for c in required if c not in (reader.fieldnames or [])]
        if missing:
            raise DataError([RowError(source, 1, None, f"missing column(s): {', '.join(missing)}")])
        return [
            (reader.line_num, {k: (v or "").strip() for k, v in row.items() if k}) for row in reader
        ], source


def load_dids(path: Path, facilities: set[str], areas: set[str]) -> dict[str, DidEntry]:
    """`did,facility_code,area_code,label`: a number (or `trunk:<endpoint>`) → a facility or an area."""
    rows, source = _rows(path, ("did", "facility_code", "area_code"))
    errors: list[RowError] = []
    found: dict[str, DidEntry] = {}
    for line, row in rows:
        raw, facility, area = row["did"], row["facility_code"], row["area_code"]
        key = raw if _TRUNK.fullmatch(raw) else normalise_number(raw)
        if key is None:
            errors.append(RowError(source, line, "did", f"not a number or trunk:NAME: {raw!r}"))
            continue
        if key in found:
            errors.append(RowError(source, line, "did", f"duplicate {raw!r}"))
        if bool(facility) == bool(area):
            errors.append(
                RowError(source, line, "facility_code", "give exactly one of facility_code, area_code")
            )
        elif facility and facility not in facilities:
            errors.append(RowError(source, line, "facility_code", f"unknown facility {facility!r}"))
        elif area and area not in areas:
            errors.append(RowError(source, line, "area_code", f"unknown area {area!r}"))
        found[key] = DidEntry(key, facility, area, row.get("label", ""))
    if errors:
        raise DataError(errors)
    return found


def load_kode_pos(path: Path, areas: set[str]) -> dict[str, tuple[str, str]]:
    """`kode_pos,area_code,label`: a 5-digit Indonesian postal code → the area it lies in."""
    rows, source = _rows(path, ("kode_pos", "area_code"))
    errors: list[RowError] = []
    found: dict[str, tuple[str, str]] = {}
    for line, row in rows:
        code, area = row["kode_pos"], row["area_code"]
        if not _KODE_POS.fullmatch(code):
            errors.append(RowError(source, line, "kode_pos", f"not a 5-digit kode pos: {code!r}"))
        elif code in found:
            errors.append(RowError(source, line, "kode_pos", f"duplicate {code!r}"))
        elif area not in areas:
            errors.append(RowError(source, line, "area_code", f"unknown area {area!r}"))
        else:
            found[code] = (area, row.get("label", ""))
    if errors:
        raise DataError(errors)
    return found


def load_area_codes(path: Path) -> dict[str, tuple[str, str]]:
    """`prefix,area_code,name`: a landline prefix (024) → the kabupaten/kota it serves (national table).

    Areas outside the loaded region are kept: the call's notes can still say "Kota Jambi" even when no
    outline of Jambi is loaded.
    """
    rows, source = _rows(path, ("prefix", "area_code", "name"))
    errors: list[RowError] = []
    found: dict[str, tuple[str, str]] = {}
    for line, row in rows:
        prefix = row["prefix"]
        if not _PREFIX.fullmatch(prefix) or prefix.startswith("08"):
            errors.append(RowError(source, line, "prefix", f"not a landline area code: {prefix!r}"))
        elif prefix[1:] in found:
            errors.append(RowError(source, line, "prefix", f"duplicate {prefix!r}"))
        elif not row["area_code"]:
            errors.append(RowError(source, line, "area_code", "missing"))
        else:
            found[prefix[1:]] = (row["area_code"], row["name"])
    if errors:
        raise DataError(errors)
    return found


def load_location_tables(
    index: AreaIndex,
    facilities: set[str],
    did_path: Path | None,
    kode_pos_path: Path | None,
    area_codes_path: Path | None,
) -> LocationTables:
    """Every table that exists; a missing optional file is an empty table, not an error."""
    codes = set(index.by_code)
    return LocationTables(
        load_dids(did_path, facilities, codes) if did_path and did_path.exists() else {},
        load_kode_pos(kode_pos_path, codes) if kode_pos_path and kode_pos_path.exists() else {},
        load_area_codes(area_codes_path) if area_codes_path and area_codes_path.exists() else {},
        area_points(index),
    )
