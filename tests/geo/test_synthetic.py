"""The synthetic country is what the benchmark's figures stand on: check its shape, not just that it runs."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import shapely
from shapely.geometry import Point, shape
from sqlalchemy.orm import Session

from geo.areas import load_areas_geojson
from geo.store import read_facilities
from lab.synthetic import SyntheticSpec, allocate, generate, zone_for


def _features(path: Path) -> list[dict]:
    return json.loads((path / "areas.geojson").read_text(encoding="utf-8"))["features"]


def test_same_seed_same_files_other_seed_other_files(tmp_path: Path, small_country: Path) -> None:
    generate(tmp_path / "again", SyntheticSpec().scaled(0.01))
    generate(tmp_path / "other", SyntheticSpec(seed=8).scaled(0.01))
    for name in ("areas.geojson", "facilities.csv", "callers.csv"):
        assert (tmp_path / "again" / name).read_bytes() == (small_country / name).read_bytes()
    assert (tmp_path / "other" / "facilities.csv").read_bytes() != (
        small_country / "facilities.csv"
    ).read_bytes()


def test_four_levels_each_partitioning_its_parent(small_country: Path) -> None:
    features = _features(small_country)
    levels = [f["properties"]["level"] for f in features]
    assert levels.count("provinsi") == 38
    assert levels.count("kabupaten") >= 38 and levels.count("desa") >= levels.count("kecamatan") >= 73
    geometries = {f["properties"]["code"]: shape(f["geometry"]) for f in features}
    children: dict[str, list[str]] = {}
    for f in features:
        if f["properties"]["parent"]:
            children.setdefault(f["properties"]["parent"], []).append(f["properties"]["code"])
    assert all(g.is_valid for g in geometries.values())
    for parent, kids in children.items():
        parts = [geometries[k] for k in kids]
        assert abs(sum(p.area for p in parts) - geometries[parent].area) < 1e-6 * max(
            1.0, geometries[parent].area
        )
        union = shapely.union_all(parts)
        # Snapping to the 1e-6° grid leaves slivers at most ~0.1 m wide along the parent's edge.
        assert union.symmetric_difference(geometries[parent]).area < 1e-5 * geometries[parent].area
        assert shapely.hausdorff_distance(union, geometries[parent]) < 1e-5
        tree = shapely.STRtree(parts)
        for i, part in enumerate(parts):
            for j in tree.query(part):
                if j != i:
                    assert part.intersection(parts[j]).area < 1e-9, (kids[i], kids[j])


def test_facilities_lie_in_their_area_with_zones_by_longitude(small_country: Path, small_country_db) -> None:  # type: ignore[no-untyped-def]
    index = load_areas_geojson(small_country / "areas.geojson")
    facilities = read_facilities(Session(small_country_db))
    kinds = {f.kind for f in facilities}
    assert kinds == {"puskesmas", "hospital", "ambulance", "dispatch", "consultation"}
    for f in facilities:
        area = index.by_code[f.area_code]
        assert area.level == "desa" and area.geometry.covers(Point(f.lon, f.lat)), f.code
        province = index.lineage(f.area_code)[-1]
        assert f.timezone == zone_for(province.geometry.centroid.x)
    assert {f.timezone for f in facilities} == {"Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"}
    serving = [f for f in facilities if f.kind == "puskesmas" and f.service_area]
    assert 0.5 < len(serving) / sum(f.kind == "puskesmas" for f in facilities) < 1.0
    with (small_country / "callers.csv").open(newline="", encoding="utf-8") as handle:
        assert len(list(csv.DictReader(handle))) == SyntheticSpec().scaled(0.01).callers


def test_allocation_gives_every_parent_a_child_and_keeps_the_total() -> None:
    assert allocate(10, [1.0, 1.0, 8.0]) == [2, 2, 6]  # one each, then 7 by weight and remainder
    assert sum(allocate(514, [float(w) for w in range(1, 39)])) == 514
    assert allocate(2, [1.0, 5.0, 3.0]) == [1, 1, 1]
