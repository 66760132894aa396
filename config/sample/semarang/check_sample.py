"""Check the invariants of the Kota Semarang sample region; exit 1 and list every problem if one fails.

Checked:

* ``areas.geojson`` is what ``generate_areas.py`` writes now, has the provinsi, the kota and the 16
  kecamatan with the expected codes, valid polygons rounded to 5 decimals, kecamatan cells that do not
  overlap and that tile the city polygon, and every kecamatan centre inside its own cell;
* every facility lies inside the kecamatan of its ``area_code``;
* staff: three operators per puskesmas, the dispatchers, the Konter doctors, the complaints officers;
* ``region.toml`` names a real dispatcher endpoint and real off-week puskesmas;
* callers: distinct kecamatan, and the nearest puskesmas beats the second nearest by >= 400 m;
* ``demo_calls.csv`` expects the nearest puskesmas that is not off this week, and the dispatcher for
  an unknown number.

Run with the project venv: ``.venv/bin/python config/sample/semarang/check_sample.py``
"""

from __future__ import annotations

import csv
import importlib.util
import itertools
import json
import re
import sys
import tomllib
from pathlib import Path
from types import ModuleType

from geopy.distance import geodesic
from shapely.geometry import Point, Polygon, shape

HERE = Path(__file__).resolve().parent

FACILITY_HEADER = ["code", "name", "kind", "lat", "lon", "area_code", "timezone", "service_area"]
STAFF_HEADER = ["staff_id", "staff_name", "role", "facility_code", "endpoint", "skills"]  # skills: optional
CALLER_HEADER = ["number", "lat", "lon", "label"]
DEMO_HEADER = ["caller", "dialled", "expected_facility", "note", "note_id"]

KINDS = {"puskesmas", "hospital", "dispatch", "consultation", "complaints"}
CODE_RE = re.compile(r"^[a-z0-9-]+$")
COORD_RE = re.compile(r"^-?\d{1,3}\.\d{5}$")
NUMBER_RE = re.compile(r"^(024\d{7}|08\d{8,11})$")
MIN_MARGIN_M = 400.0
UNKNOWN_CALLER = "081234500000"
DISPATCH_FACILITY = "psc119-semarang"
DISPATCH_ENDPOINT = "psc119-dispatch"
PROVINCE_DESK = "psc119-jateng"  # the city desk's overflow (desks.csv)
DESK_SERVICE_AREAS = {DISPATCH_FACILITY: "33.74", PROVINCE_DESK: "33"}
KONTER_FACILITY = "konter-semarang"
#: Overlap / tiling tolerance in square degrees (1e-12 deg² is about 0.01 m²).
AREA_EPS = 1e-12


class Checker:
    """Collects problems instead of stopping at the first one."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def check(self, condition: bool, message: str) -> bool:
        if not condition:
            self.errors.append(message)
        return condition


def load_generator() -> ModuleType:
    """Import ``generate_areas.py`` from this folder (it is not part of an installed package)."""
    spec = importlib.util.spec_from_file_location("generate_areas", HERE / "generate_areas.py")
    if spec is None or spec.loader is None:
        raise RuntimeError("cannot load generate_areas.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read_csv(name: str, header: list[str], c: Checker) -> list[dict[str, str]]:
    with (HERE / name).open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        c.check(reader.fieldnames == header, f"{name}: header is {reader.fieldnames}, expected {header}")
        return list(reader)


def geodesic_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    return float(geodesic((lat1, lon1), (lat2, lon2)).meters)


def all_rounded(value: object) -> bool:
    """True when every number in nested coordinate lists has at most 5 decimals."""
    if isinstance(value, list):
        return all(all_rounded(item) for item in value)
    return isinstance(value, (int, float)) and round(float(value), 5) == value


def check_areas(c: Checker, gen: ModuleType) -> dict[str, Polygon]:
    """Validate areas.geojson; returns kecamatan code -> polygon (plus the kota under its code)."""
    text = (HERE / "areas.geojson").read_text(encoding="utf-8")
    c.check(
        text == gen.render(gen.build_features()),
        "areas.geojson differs from what generate_areas.py produces: regenerate it",
    )
    doc = json.loads(text)
    c.check(doc.get("type") == "FeatureCollection", "areas.geojson: not a FeatureCollection")
    props = {f["properties"]["code"]: f["properties"] for f in doc["features"]}
    geoms = {f["properties"]["code"]: f["geometry"] for f in doc["features"]}
    expected_codes = ["33", "33.74", *sorted(gen.CENTRES)]
    c.check(
        sorted(props) == sorted(expected_codes) and len(doc["features"]) == len(expected_codes),
        f"areas.geojson: codes {sorted(props)} != {expected_codes}",
    )
    for feature in doc["features"]:
        code = feature["properties"].get("code")
        c.check(
            set(feature["properties"]) == {"code", "name", "level", "parent"},
            f"areas.geojson {code}: properties must be code,name,level,parent",
        )

    if c.check("33" in props, "areas.geojson: provinsi 33 missing"):
        c.check(
            props["33"] == {"code": "33", "name": "Jawa Tengah", "level": "provinsi", "parent": None}
            and geoms["33"] is None,
            "areas.geojson: provinsi feature is wrong",
        )
    if not c.check("33.74" in props, "areas.geojson: kota 33.74 missing"):
        return {}
    c.check(
        props["33.74"] == {"code": "33.74", "name": "Kota Semarang", "level": "kabupaten", "parent": "33"},
        "areas.geojson: kota feature properties are wrong",
    )

    polygons: dict[str, Polygon] = {}
    for code in ["33.74", *sorted(gen.CENTRES)]:
        if code not in geoms:
            continue
        geo = geoms[code]
        if not c.check(
            geo is not None and geo.get("type") == "Polygon", f"areas.geojson {code}: not a Polygon"
        ):
            continue
        c.check(
            all_rounded(geo["coordinates"]), f"areas.geojson {code}: coordinates not rounded to 5 decimals"
        )
        polygon = shape(geo)
        if c.check(polygon.is_valid and not polygon.is_empty, f"areas.geojson {code}: invalid polygon"):
            polygons[code] = polygon
        if code != "33.74":
            name = gen.CENTRES[code][0]
            c.check(
                props[code] == {"code": code, "name": name, "level": "kecamatan", "parent": "33.74"},
                f"areas.geojson {code}: properties are wrong",
            )

    kota = polygons.pop("33.74", None)
    if kota is None or len(polygons) != len(gen.CENTRES):
        c.check(False, "areas.geojson: geometries missing, skipping tiling checks")
        return polygons
    for a, b in itertools.combinations(sorted(polygons), 2):
        overlap = polygons[a].intersection(polygons[b]).area
        c.check(overlap <= AREA_EPS, f"areas.geojson: {a} and {b} overlap ({overlap:.3g} deg²)")
    cells_area = sum(p.area for p in polygons.values())
    c.check(
        abs(cells_area - kota.area) <= AREA_EPS * len(polygons),
        f"areas.geojson: kecamatan areas sum to {cells_area:.9f}, kota is {kota.area:.9f}",
    )
    for code, polygon in polygons.items():
        c.check(polygon.difference(kota).area <= AREA_EPS, f"areas.geojson: {code} sticks out of the kota")
        name, lat, lon = gen.CENTRES[code]
        c.check(polygon.contains(Point(lon, lat)), f"areas.geojson: centre of {code} {name} not in its cell")
    polygons["33.74"] = kota
    return polygons


def locate(polygons: dict[str, Polygon], lat: float, lon: float) -> list[str]:
    point = Point(lon, lat)
    return [code for code, polygon in polygons.items() if code != "33.74" and polygon.contains(point)]


def check_facilities(c: Checker, polygons: dict[str, Polygon]) -> dict[str, dict[str, str]]:
    rows = read_csv("facilities.csv", FACILITY_HEADER, c)
    facilities: dict[str, dict[str, str]] = {}
    for row in rows:
        code = row["code"]
        c.check(code not in facilities, f"facilities.csv: duplicate code {code}")
        facilities[code] = row
        c.check(bool(CODE_RE.match(code)), f"facilities.csv {code}: code must be [a-z0-9-]")
        c.check(row["kind"] in KINDS, f"facilities.csv {code}: unknown kind {row['kind']!r}")
        c.check(
            (row["kind"] == "puskesmas") == code.startswith("pkm-"),
            f"facilities.csv {code}: puskesmas codes (and only they) start with pkm-",
        )
        c.check(bool(row["name"].strip()), f"facilities.csv {code}: name missing")
        c.check(row["timezone"] == "Asia/Jakarta", f"facilities.csv {code}: timezone must be Asia/Jakarta")
        c.check(
            row["service_area"] == DESK_SERVICE_AREAS.get(code, ""),
            f"facilities.csv {code}: service_area should be {DESK_SERVICE_AREAS.get(code, '') or 'empty'}",
        )
        if not c.check(
            bool(COORD_RE.match(row["lat"]) and COORD_RE.match(row["lon"])),
            f"facilities.csv {code}: lat/lon must have 5 decimals",
        ):
            continue
        lat, lon = float(row["lat"]), float(row["lon"])
        area = row["area_code"]
        if c.check(area in polygons and area != "33.74", f"facilities.csv {code}: unknown kecamatan {area}"):
            c.check(
                polygons[area].contains(Point(lon, lat)),
                f"facilities.csv {code}: ({lat}, {lon}) is not inside {area}"
                f" (it is in {locate(polygons, lat, lon)})",
            )
    kinds = [r["kind"] for r in rows]
    c.check(30 <= kinds.count("puskesmas") <= 45, f"facilities.csv: {kinds.count('puskesmas')} puskesmas?")
    c.check(
        facilities.get(DISPATCH_FACILITY, {}).get("kind") == "dispatch"
        and facilities.get(PROVINCE_DESK, {}).get("kind") == "dispatch"
        and kinds.count("dispatch") == 2,
        f"facilities.csv: need the dispatch facilities {DISPATCH_FACILITY} and {PROVINCE_DESK}",
    )
    c.check(
        facilities.get(KONTER_FACILITY, {}).get("kind") == "consultation"
        and kinds.count("consultation") == 1,
        f"facilities.csv: need exactly one consultation facility {KONTER_FACILITY}",
    )
    return facilities


def check_staff(c: Checker, facilities: dict[str, dict[str, str]]) -> list[dict[str, str]]:
    rows = read_csv("staff.csv", STAFF_HEADER, c)
    ids = [r["staff_id"] for r in rows]
    endpoints = [r["endpoint"] for r in rows]
    c.check(len(set(ids)) == len(ids), "staff.csv: duplicate staff_id")
    c.check(len(set(endpoints)) == len(endpoints), "staff.csv: duplicate endpoint")
    by_id = {r["staff_id"]: r for r in rows}
    for row in rows:
        c.check(row["facility_code"] in facilities, f"staff.csv {row['staff_id']}: unknown facility")
        c.check(bool(row["staff_name"].strip()), f"staff.csv {row['staff_id']}: name missing")
        c.check(
            bool(CODE_RE.match(row["endpoint"])), f"staff.csv {row['staff_id']}: endpoint must be [a-z0-9-]"
        )
    expected: dict[str, tuple[str, str]] = {}
    for code, fac in facilities.items():
        if fac["kind"] == "puskesmas":
            for i in (1, 2, 3):
                expected[f"{code}-op{i}"] = ("operator", code)
    expected[DISPATCH_ENDPOINT] = ("dispatcher", DISPATCH_FACILITY)
    for i in range(2, 7):  # six dispatchers at the city desk: two a shift
        expected[f"{DISPATCH_FACILITY}-d{i}"] = ("dispatcher", DISPATCH_FACILITY)
    for i in (1, 2, 3):
        expected[f"{PROVINCE_DESK}-d{i}"] = ("dispatcher", PROVINCE_DESK)
    for i in (1, 2, 3, 4):
        expected[f"{KONTER_FACILITY}-dr{i}"] = ("doctor", KONTER_FACILITY)
    for i in (1, 2, 3):  # the complaints desk's officers: one a shift
        expected[f"aduan-semarang-op{i}"] = ("operator", "aduan-semarang")
    unexpected, missing = sorted(set(by_id) - set(expected)), sorted(set(expected) - set(by_id))
    c.check(not unexpected and not missing, f"staff.csv: unexpected {unexpected}, missing {missing}")
    for staff_id, (role, facility) in expected.items():
        row = by_id.get(staff_id)
        if row is not None:
            c.check(
                row["role"] == role and row["facility_code"] == facility and row["endpoint"] == staff_id,
                f"staff.csv {staff_id}: expected role {role} at {facility} with endpoint {staff_id}",
            )
    return rows


def check_region(c: Checker, facilities: dict[str, dict[str, str]], staff: list[dict[str, str]]) -> set[str]:
    region = tomllib.loads((HERE / "region.toml").read_text(encoding="utf-8"))
    c.check(region.get("name") == "Kota Semarang", "region.toml: name")
    c.check(region.get("timezone") == "Asia/Jakarta", "region.toml: timezone")
    dispatchers = {r["endpoint"] for r in staff if r["role"] == "dispatcher"}
    c.check(region.get("dispatcher") in dispatchers, "region.toml: dispatcher is not a dispatcher's endpoint")
    off = set(region.get("off_this_week", []))
    for code in off:
        c.check(facilities.get(code, {}).get("kind") == "puskesmas", f"region.toml: off_this_week {code}?")
    return off


def ranked_puskesmas(
    facilities: dict[str, dict[str, str]], lat: float, lon: float
) -> list[tuple[float, str]]:
    """(geodesic metres, code) of every puskesmas, nearest first."""
    return sorted(
        (geodesic_m(lat, lon, float(f["lat"]), float(f["lon"])), code)
        for code, f in facilities.items()
        if f["kind"] == "puskesmas"
    )


def check_callers_and_demo(
    c: Checker, polygons: dict[str, Polygon], facilities: dict[str, dict[str, str]], off: set[str]
) -> None:
    callers = read_csv("callers.csv", CALLER_HEADER, c)
    c.check(8 <= len(callers) <= 10, f"callers.csv: {len(callers)} callers, expected 8-10")
    numbers = [r["number"] for r in callers]
    c.check(len(set(numbers)) == len(numbers), "callers.csv: duplicate number")
    expected: dict[str, str] = {}
    kecamatan: list[str] = []
    nearest_off = 0
    for row in callers:
        number = row["number"]
        c.check(bool(NUMBER_RE.match(number)), f"callers.csv {number}: not 024+7 digits or 08…")
        c.check(bool(row["label"].strip()), f"callers.csv {number}: label missing")
        if not c.check(
            bool(COORD_RE.match(row["lat"]) and COORD_RE.match(row["lon"])),
            f"callers.csv {number}: lat/lon must have 5 decimals",
        ):
            continue
        lat, lon = float(row["lat"]), float(row["lon"])
        where = locate(polygons, lat, lon)
        if c.check(len(where) == 1, f"callers.csv {number}: not inside exactly one kecamatan ({where})"):
            kecamatan.append(where[0])
        ranked = ranked_puskesmas(facilities, lat, lon)
        margin = ranked[1][0] - ranked[0][0]
        c.check(
            margin >= MIN_MARGIN_M,
            f"callers.csv {number}: {ranked[0][1]} beats {ranked[1][1]} by only {margin:.0f} m",
        )
        nearest_off += ranked[0][1] in off
        expected[number] = next(code for _, code in ranked if code not in off)
    c.check(len(set(kecamatan)) == len(kecamatan), "callers.csv: two callers in the same kecamatan")
    c.check(nearest_off >= 1, "callers.csv: no caller's nearest puskesmas is off this week")
    c.check(UNKNOWN_CALLER not in numbers, f"callers.csv: {UNKNOWN_CALLER} must stay unknown")
    expected[UNKNOWN_CALLER] = DISPATCH_FACILITY

    demo = read_csv("demo_calls.csv", DEMO_HEADER, c)
    seen = [r["caller"] for r in demo]
    c.check(sorted(seen) == sorted(expected), f"demo_calls.csv: callers {sorted(seen)} != {sorted(expected)}")
    for row in demo:
        caller = row["caller"]
        c.check(row["dialled"] == "119", f"demo_calls.csv {caller}: dialled must be 119")
        c.check(bool(row["note"].strip()), f"demo_calls.csv {caller}: note missing")
        if caller in expected:
            got = row["expected_facility"]
            c.check(
                got == expected[caller],
                f"demo_calls.csv {caller}: expected {expected[caller]}, file says {got}",
            )


def main() -> int:
    c = Checker()
    gen = load_generator()
    polygons = check_areas(c, gen)
    facilities = check_facilities(c, polygons)
    staff = check_staff(c, facilities)
    off = check_region(c, facilities, staff)
    check_callers_and_demo(c, polygons, facilities, off)
    if c.errors:
        for error in c.errors:
            print(f"FAIL {error}", file=sys.stderr)
        print(f"{len(c.errors)} problem(s) in the Semarang sample", file=sys.stderr)
        return 1
    puskesmas = sum(1 for f in facilities.values() if f["kind"] == "puskesmas")
    print(
        f"ok: {len(polygons) - 1} kecamatan, {len(facilities)} facilities ({puskesmas} puskesmas), "
        f"{len(staff)} staff, all invariants hold"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
