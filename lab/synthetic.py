"""A seeded, country-sized synthetic data set: areas, facilities and known callers, written as files.

Not a map of Indonesia: rough outlines of its main islands, split top-down into 38 provinsi, ~514
kabupaten, ~7,300 kecamatan and ~83,000 desa. Each level is a Voronoi partition of its parent (seeds
spread inside the parent, cells clipped to it, snapped to a 1e-6° grid), so siblings do not overlap and
together cover their parent; the sea between the islands belongs to no area. On top: ~10,000 puskesmas
(every kecamatan has one; most serve their kecamatan or a share of its desa), ~3,000 hospitals, ~5,000
ambulance posts, a dispatch and a consultation desk per provinsi, and known callers. Time zones follow
the provinsi's longitude (WIB, WITA, WIT).

The output goes through the real importers (`siaga import areas|facilities|callers`), so benchmarks
and tests load it exactly as an operator would load real data:

    python -m lab.synthetic OUT_DIR [--seed 7] [--scale 1.0]
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon, mapping
from shapely.geometry.base import BaseGeometry

GRID = 1e-6  # degrees (~0.1 m): every vertex sits on this grid

# (name, provinsi count, first provinsi code, people per km² relative to the mean, island outlines)
_Outline = list[tuple[float, float]]
ISLAND_GROUPS: list[tuple[str, int, int, float, list[_Outline]]] = [
    (
        "Sumatera",
        10,
        11,
        1.0,
        [
            [(95.2, 5.6), (97.5, 5.2), (100.3, 2.2), (104.5, -1.0), (106.1, -3.2), (105.8, -5.9),
             (104.5, -5.9), (102.3, -4.0), (100.3, -1.2), (98.7, 1.7), (95.5, 4.3)],
        ],
    ),
    (
        "Jawa",
        6,
        31,
        5.0,
        [
            [(105.2, -6.8), (106.0, -5.9), (108.3, -6.2), (110.4, -6.9), (111.0, -6.4), (112.6, -6.9),
             (114.4, -7.7), (114.4, -8.7), (111.0, -8.3), (108.0, -7.8), (106.4, -7.4)],
        ],
    ),
    (
        "Nusa Tenggara",
        3,
        51,
        2.0,
        [
            [(114.45, -8.1), (115.7, -8.35), (115.2, -8.85), (114.5, -8.5)],
            [(116.0, -8.4), (116.7, -8.3), (116.6, -8.9), (116.0, -8.8)],
            [(116.8, -8.5), (118.0, -8.1), (119.1, -8.5), (118.5, -8.8), (117.0, -9.0)],
            [(119.8, -8.4), (121.5, -8.5), (122.9, -8.1), (122.8, -8.6), (120.5, -8.9), (119.8, -8.8)],
            [(119.0, -9.5), (120.2, -9.4), (120.8, -10.2), (119.5, -9.9)],
            [(123.5, -10.3), (124.4, -9.5), (125.1, -9.2), (124.9, -9.9), (123.8, -10.5)],
        ],
    ),
    (
        "Kalimantan",
        5,
        61,
        0.5,
        [
            [(108.9, 1.0), (109.6, 2.0), (111.0, 1.4), (112.5, 1.5), (114.5, 1.4), (115.5, 4.2),
             (117.6, 4.2), (118.9, 1.0), (117.5, 0.0), (116.5, -2.5), (116.2, -4.0), (114.6, -4.1),
             (113.0, -3.1), (111.0, -3.0), (110.1, -2.8), (110.0, -1.3), (109.0, 0.0)],
        ],
    ),
    (
        "Sulawesi",
        6,
        71,
        1.2,
        [
            [(119.4, -5.6), (120.4, -5.6), (120.5, -3.0), (121.3, -2.9), (122.8, -4.7), (123.2, -4.1),
             (121.6, -2.0), (123.4, -1.0), (122.0, -0.7), (120.6, -1.1), (120.3, 0.4), (124.2, 0.5),
             (125.2, 1.5), (124.4, 1.2), (121.0, 1.2), (119.8, 0.6), (119.5, -1.0), (118.8, -2.7),
             (119.4, -3.5)],
        ],
    ),
    (
        "Maluku",
        2,
        81,
        0.8,
        [
            [(127.4, 1.9), (128.0, 2.1), (128.6, 1.0), (128.0, 0.4), (128.9, -0.8), (127.8, -0.6)],
            [(128.0, -3.2), (129.5, -2.8), (130.9, -3.4), (129.8, -3.5), (128.3, -3.6)],
            [(125.9, -3.1), (127.2, -3.2), (127.0, -3.9), (126.1, -3.8)],
        ],
    ),
    (
        "Papua",
        6,
        91,
        0.35,
        [
            [(130.9, -0.9), (132.3, -0.4), (134.1, -0.9), (135.0, -3.3), (137.8, -1.5), (141.0, -2.6),
             (141.0, -9.1), (139.0, -8.1), (137.6, -8.4), (138.1, -7.0), (136.0, -4.6), (133.3, -4.0),
             (132.0, -2.9), (133.6, -2.5), (131.8, -1.5)],
        ],
    ),
]  # fmt: skip

LEVEL_PREFIX = {"provinsi": "Provinsi", "kabupaten": "Kabupaten", "kecamatan": "Kecamatan", "desa": "Desa"}


@dataclass(frozen=True)
class SyntheticSpec:
    seed: int = 7
    kabupaten: int = 514
    kecamatan: int = 7_300
    desa: int = 83_000
    puskesmas: int = 10_000
    hospitals: int = 3_000
    ambulances: int = 5_000
    callers: int = 2_000

    def scaled(self, factor: float) -> SyntheticSpec:
        """Fewer of everything below provinsi (each parent still gets at least one child)."""

        def s(n: int) -> int:
            return max(1, round(n * factor))

        return SyntheticSpec(
            self.seed,
            s(self.kabupaten),
            s(self.kecamatan),
            s(self.desa),
            s(self.puskesmas),
            s(self.hospitals),
            s(self.ambulances),
            s(self.callers),
        )


@dataclass
class SynArea:
    code: str
    level: str
    parent: str | None
    geometry: BaseGeometry
    weight: float  # area × density: how many children and facilities it draws
    zone: str = ""
    children: list[SynArea] = field(default_factory=list)


@dataclass(frozen=True)
class SynFacility:
    code: str
    name: str
    kind: str
    lat: float
    lon: float
    area_code: str
    timezone: str
    service_area: tuple[str, ...] = ()


def zone_for(lon: float) -> str:
    """WIB west of ~115°E (Bali is WITA), WIT east of ~127°E (Maluku Utara, Papua)."""
    if lon < 114.9:
        return "Asia/Jakarta"
    if lon < 127.0:
        return "Asia/Makassar"
    return "Asia/Jayapura"


def _snap(geometry: BaseGeometry) -> BaseGeometry | None:
    """On the grid, polygons only, with coordinates that print as short decimals."""
    snapped = shapely.set_precision(geometry, GRID)
    polygons: list[Polygon] = []
    for part in shapely.get_parts(snapped):
        if isinstance(part, Polygon) and not part.is_empty:
            polygons.append(part)
        elif isinstance(part, MultiPolygon):
            polygons.extend(p for p in part.geoms if not p.is_empty)
    if not polygons:
        return None
    result: BaseGeometry = polygons[0] if len(polygons) == 1 else MultiPolygon(polygons)
    return shapely.transform(result, lambda xy: np.round(xy, 6))


def random_points(geometry: BaseGeometry, n: int, rng: np.random.Generator) -> np.ndarray:
    """`n` uniform points inside `geometry` (rejection sampling in its bounding box), as (lon, lat)."""
    min_x, min_y, max_x, max_y = geometry.bounds
    shapely.prepare(geometry)
    found: list[np.ndarray] = []
    have = 0
    while have < n:
        batch = max(16, 3 * (n - have))
        x = rng.uniform(min_x, max_x, batch)
        y = rng.uniform(min_y, max_y, batch)
        inside = shapely.contains_xy(geometry, x, y)
        pts = np.column_stack((x[inside], y[inside]))
        found.append(pts)
        have += len(pts)
    return np.concatenate(found)[:n]


def _spread_seeds(geometry: BaseGeometry, n: int, rng: np.random.Generator) -> np.ndarray:
    """`n` seeds spread out (farthest point among random candidates), so cells have similar sizes."""
    candidates = random_points(geometry, n * 8, rng)
    chosen = [0]
    nearest = np.hypot(*(candidates - candidates[0]).T)
    for _ in range(n - 1):
        i = int(np.argmax(nearest))
        chosen.append(i)
        nearest = np.minimum(nearest, np.hypot(*(candidates - candidates[i]).T))
    return candidates[chosen]


def split(geometry: BaseGeometry, n: int, rng: np.random.Generator) -> list[BaseGeometry]:
    """Voronoi partition of `geometry` into about `n` pieces (a sliver lost to the grid is dropped)."""
    if n <= 1:
        return [geometry]
    seeds = _spread_seeds(geometry, n, rng)
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=geometry))
    pieces = [_snap(c) for c in shapely.intersection(cells, geometry)]
    return [p for p in pieces if p is not None]


def allocate(total: int, weights: Sequence[float]) -> list[int]:
    """`total` split in proportion to `weights`, at least one each (largest remainder)."""
    if not weights:
        return []
    total = max(total, len(weights))
    spare = total - len(weights)
    weight_sum = sum(weights) or 1.0
    shares = [spare * w / weight_sum for w in weights]
    counts = [1 + int(s) for s in shares]
    order = sorted(range(len(weights)), key=lambda i: shares[i] - int(shares[i]), reverse=True)
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


def build_areas(spec: SyntheticSpec, rng: np.random.Generator) -> list[SynArea]:
    """The provinsi (with their descendants attached), top-down."""
    provinces: list[SynArea] = []
    for _name, count, first_code, density, outlines in ISLAND_GROUPS:
        land = MultiPolygon([Polygon(o) for o in outlines]) if len(outlines) > 1 else Polygon(outlines[0])
        land = _snap(shapely.make_valid(land))
        assert land is not None
        for n, geometry in enumerate(split(land, count, rng)):
            lon = geometry.centroid.x
            provinces.append(
                SynArea(
                    f"{first_code + n}", "provinsi", None, geometry, geometry.area * density, zone_for(lon)
                )
            )
    levels = [("kabupaten", spec.kabupaten, 2), ("kecamatan", spec.kecamatan, 2), ("desa", spec.desa, 4)]
    parents = provinces
    for level, total, digits in levels:
        children: list[SynArea] = []
        for parent, count in zip(parents, allocate(total, [p.weight for p in parents]), strict=True):
            pieces = split(parent.geometry, count, rng)
            weight_each = parent.weight / parent.geometry.area
            for n, geometry in enumerate(pieces, start=1):
                number = n if digits == 2 else 2000 + n
                child = SynArea(
                    f"{parent.code}.{number:0{digits}d}",
                    level,
                    parent.code,
                    geometry,
                    geometry.area * weight_each,
                    parent.zone,
                )
                parent.children.append(child)
                children.append(child)
        parents = children
    return provinces


def walk(provinces: list[SynArea]) -> list[SynArea]:
    """Every area, parents before children, level by level."""
    out: list[SynArea] = []
    level = provinces
    while level:
        out.extend(level)
        level = [c for a in level for c in a.children]
    return out


def _point_in(area: SynArea, rng: np.random.Generator) -> tuple[float, float]:
    lon, lat = random_points(area.geometry, 1, rng)[0]
    return round(float(lat), 6), round(float(lon), 6)


def build_facilities(
    provinces: list[SynArea], spec: SyntheticSpec, rng: np.random.Generator
) -> list[SynFacility]:
    everything = walk(provinces)
    kecamatan = [a for a in everything if a.level == "kecamatan"]
    kabupaten = [a for a in everything if a.level == "kabupaten"]
    desa = [a for a in everything if a.level == "desa"]
    facilities: list[SynFacility] = []
    for kec, count in zip(
        kecamatan, allocate(spec.puskesmas, [len(k.children) for k in kecamatan]), strict=True
    ):
        villages = kec.children or [kec]
        sites = []
        for n in range(count):
            home = villages[int(rng.integers(len(villages)))]
            sites.append((home, *_point_in(home, rng), n + 1))
        # Each desa is served by the nearest puskesmas of its kecamatan; one in ten serves no area.
        served: dict[int, list[str]] = {i: [] for i in range(count)}
        if count > 1:
            for village in villages:
                c = village.geometry.representative_point()
                best = min(range(count), key=lambda i: (sites[i][1] - c.y) ** 2 + (sites[i][2] - c.x) ** 2)
                served[best].append(village.code)
        for i, (home, lat, lon, n) in enumerate(sites):
            area = (kec.code,) if count == 1 else tuple(served[i])
            if rng.random() < 0.1:
                area = ()
            code = f"pkm-{kec.code.replace('.', '')}-{n}"
            name = f"Puskesmas {kec.code} #{n}"
            facilities.append(SynFacility(code, name, "puskesmas", lat, lon, home.code, kec.zone, area))
    for kab, count in zip(kabupaten, allocate(spec.hospitals, [k.weight for k in kabupaten]), strict=True):
        villages = [d for k in kab.children for d in k.children] or [kab]
        for n in range(1, count + 1):
            home = villages[int(rng.integers(len(villages)))]
            lat, lon = _point_in(home, rng)
            code = f"rs-{kab.code.replace('.', '')}-{n}"
            facilities.append(
                SynFacility(code, f"Rumah Sakit {kab.code} #{n}", "hospital", lat, lon, home.code, kab.zone)
            )
    picks = rng.choice(len(desa), size=spec.ambulances, p=_normalised([d.weight for d in desa]))
    for n, i in enumerate(picks.tolist(), start=1):
        home = desa[i]
        lat, lon = _point_in(home, rng)
        facilities.append(
            SynFacility(f"amb-{n:05d}", f"Pos Ambulans {n}", "ambulance", lat, lon, home.code, home.zone)
        )
    for prov in provinces:
        for kind, prefix, label in (
            ("dispatch", "psc119", "PSC 119"),
            ("consultation", "konter", "Konsultasi"),
        ):
            home = desa[0] if not prov.children else _first_desa(prov)
            lat, lon = _point_in(home, rng)
            facilities.append(
                SynFacility(
                    f"{prefix}-{prov.code}", f"{label} {prov.code}", kind, lat, lon, home.code, prov.zone
                )
            )
    return facilities


def _first_desa(area: SynArea) -> SynArea:
    while area.children:
        area = area.children[0]
    return area


def _normalised(weights: list[float]) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    return w / w.sum()


def build_callers(
    provinces: list[SynArea], spec: SyntheticSpec, rng: np.random.Generator
) -> list[tuple[str, float, float, str]]:
    desa = [a for a in walk(provinces) if a.level == "desa"]
    picks = rng.choice(len(desa), size=spec.callers, p=_normalised([d.weight for d in desa]))
    callers = []
    for n, i in enumerate(picks.tolist(), start=1):
        lat, lon = _point_in(desa[i], rng)
        callers.append((f"0812{70000000 + n:08d}", lat, lon, f"synthetic caller in {desa[i].code}"))
    return callers


def write_areas(path: Path, provinces: list[SynArea]) -> int:
    areas = walk(provinces)
    with path.open("w", encoding="utf-8") as out:
        out.write('{"type": "FeatureCollection", "features": [\n')
        for n, area in enumerate(areas):
            feature = {
                "type": "Feature",
                "properties": {
                    "code": area.code,
                    "name": f"{LEVEL_PREFIX[area.level]} Sintetis {area.code}",
                    "level": area.level,
                    "parent": area.parent,
                },
                "geometry": mapping(area.geometry),
            }
            out.write(("," if n else "") + json.dumps(feature, separators=(",", ":")) + "\n")
        out.write("]}\n")
    return len(areas)


def write_facilities(path: Path, facilities: list[SynFacility]) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["code", "name", "kind", "lat", "lon", "area_code", "timezone", "service_area"])
        for f in facilities:
            writer.writerow(
                [f.code, f.name, f.kind, f.lat, f.lon, f.area_code, f.timezone, " ".join(f.service_area)]
            )


def write_callers(path: Path, callers: list[tuple[str, float, float, str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["number", "lat", "lon", "label"])
        writer.writerows(callers)


def generate(out_dir: Path, spec: SyntheticSpec) -> dict[str, int]:
    """Write areas.geojson, facilities.csv and callers.csv into `out_dir`; returns the counts."""
    rng = np.random.default_rng(spec.seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    provinces = build_areas(spec, rng)
    facilities = build_facilities(provinces, spec, rng)
    callers = build_callers(provinces, spec, rng)
    counts = {level: 0 for level in LEVEL_PREFIX}
    for area in walk(provinces):
        counts[area.level] += 1
    write_areas(out_dir / "areas.geojson", provinces)
    write_facilities(out_dir / "facilities.csv", facilities)
    write_callers(out_dir / "callers.csv", callers)
    for kind in ("puskesmas", "hospital", "ambulance", "dispatch", "consultation"):
        counts[kind] = sum(f.kind == kind for f in facilities)
    counts["callers"] = len(callers)
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m lab.synthetic",
        description="Write a seeded synthetic national data set: areas.geojson, facilities.csv, callers.csv.",
    )
    parser.add_argument("out_dir", type=Path, help="folder to write the three files into")
    parser.add_argument("--seed", type=int, default=7, help="random seed (same seed, same files)")
    parser.add_argument(
        "--scale", type=float, default=1.0, help="fraction of the national counts (e.g. 0.01)"
    )
    args = parser.parse_args(argv)
    if not 0 < args.scale <= 1.0:
        parser.error("--scale must be in (0, 1]")
    started = time.monotonic()
    spec = SyntheticSpec(seed=args.seed)
    counts = generate(args.out_dir, spec.scaled(args.scale) if args.scale != 1.0 else spec)
    summary = " ".join(f"{k}={v}" for k, v in counts.items())
    print(f"synthetic {summary} in {args.out_dir} ({time.monotonic() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
