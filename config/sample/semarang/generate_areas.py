"""Generate ``areas.geojson`` for the Kota Semarang sample region.

The official kecamatan boundaries (BIG / Kemendagri) are not shipped with siaga, so the sample
data approximates them: each kecamatan gets one hand-picked centre, the centres are turned into
Voronoi cells and the cells are clipped to a rough hand-drawn outline of the city. The result
is good enough to demo "which kecamatan is this point in" and to give every puskesmas a
plausible ``area_code``; it is *not* a faithful map and must not be used for anything official.

The centres were nudged so that every puskesmas in ``facilities.csv`` falls in the cell of the
kecamatan it really belongs to. The computation is planar in degrees (near the equator a degree
of longitude and of latitude differ by < 1 %), and deterministic: running this script twice
writes byte-identical output.

Run from anywhere with the project venv::

    .venv/bin/python config/sample/semarang/generate_areas.py
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import MultiPoint, Point, Polygon, mapping
from shapely.geometry.polygon import orient

HERE = Path(__file__).resolve().parent
OUTPUT = HERE / "areas.geojson"

#: Coordinates are rounded (and snapped) to this many decimals (~1.1 m).
DECIMALS = 5
GRID = 10.0**-DECIMALS

PROVINSI_CODE = "33"
PROVINSI_NAME = "Jawa Tengah"
KOTA_CODE = "33.74"
KOTA_NAME = "Kota Semarang"

#: Kemendagri kecamatan code -> (name, approximate centre latitude, longitude).
#: Centres are approximate and deliberately tuned (see module docstring).
CENTRES: dict[str, tuple[str, float, float]] = {
    "33.74.01": ("Semarang Tengah", -6.975, 110.418),
    "33.74.02": ("Semarang Utara", -6.960, 110.410),
    "33.74.03": ("Semarang Timur", -6.979, 110.438),
    "33.74.04": ("Gayamsari", -6.983, 110.452),
    "33.74.05": ("Genuk", -6.970, 110.485),
    "33.74.06": ("Pedurungan", -6.992, 110.470),
    "33.74.07": ("Semarang Selatan", -6.992, 110.423),
    "33.74.08": ("Candisari", -7.014, 110.423),
    "33.74.09": ("Gajahmungkur", -7.010, 110.405),
    "33.74.10": ("Tembalang", -7.052, 110.458),
    "33.74.11": ("Banyumanik", -7.060, 110.420),
    "33.74.12": ("Gunungpati", -7.070, 110.380),
    "33.74.13": ("Semarang Barat", -6.985, 110.385),
    "33.74.14": ("Mijen", -7.055, 110.320),
    "33.74.15": ("Ngaliyan", -7.000, 110.350),
    "33.74.16": ("Tugu", -6.965, 110.320),
}

#: Rough outline of Kota Semarang as (lon, lat), clockwise from the Kendal border on the coast:
#: Java Sea coast in the north, Kabupaten Demak in the east, Kabupaten Semarang in the south,
#: Kabupaten Kendal in the west.
OUTLINE: list[tuple[float, float]] = [
    (110.270, -6.955),  # coast at the Kendal border (Mangkang Kulon)
    (110.300, -6.950),
    (110.330, -6.952),
    (110.355, -6.950),  # Tugurejo
    (110.380, -6.945),  # Tawangsari / Marina
    (110.405, -6.943),
    (110.425, -6.940),  # Tanjung Emas port
    (110.445, -6.945),  # Tambak Lorok
    (110.470, -6.945),  # Terboyo
    (110.495, -6.950),  # Demak border (Sayung)
    (110.500, -6.975),
    (110.500, -7.005),  # Penggaron
    (110.495, -7.035),
    (110.490, -7.065),  # Meteseh / Rowosari
    (110.475, -7.085),
    (110.455, -7.095),
    (110.435, -7.115),  # Pudakpayung / Ungaran border
    (110.415, -7.125),
    (110.395, -7.135),
    (110.375, -7.140),  # southern tip of Gunungpati
    (110.350, -7.130),
    (110.325, -7.115),
    (110.300, -7.105),  # Mijen
    (110.280, -7.085),
    (110.272, -7.050),
    (110.270, -7.010),
    (110.268, -6.975),
]


def outline_polygon() -> Polygon:
    """The approximate city outline as a valid polygon."""
    polygon = Polygon(OUTLINE)
    if not polygon.is_valid:
        raise ValueError("city outline is not a valid polygon")
    return polygon


def kecamatan_cells() -> dict[str, Polygon]:
    """Voronoi cells of the kecamatan centres clipped to the outline, snapped to the grid.

    Snapping every cell to the same grid makes shared edges identical, so the cells tile the
    outline without slivers of overlap.
    """
    outline = outline_polygon()
    codes = sorted(CENTRES)
    centres = {code: Point(CENTRES[code][2], CENTRES[code][1]) for code in codes}
    for code, centre in centres.items():
        if not outline.contains(centre):
            raise ValueError(f"centre of {code} lies outside the city outline")

    diagram = shapely.voronoi_polygons(MultiPoint(list(centres.values())), extend_to=outline)
    cells: dict[str, Polygon] = {}
    for raw in diagram.geoms:
        owners = [code for code, centre in centres.items() if raw.contains(centre)]
        if len(owners) != 1:
            raise ValueError(f"Voronoi cell contains {len(owners)} centres")
        clipped = shapely.set_precision(raw.intersection(outline), GRID)
        if not isinstance(clipped, Polygon) or not clipped.is_valid or clipped.is_empty:
            raise ValueError(f"cell of {owners[0]} is not a single valid polygon")
        cells[owners[0]] = orient(clipped, sign=1.0)
    if sorted(cells) != codes:
        raise ValueError("not every kecamatan got a cell")
    return cells


def city_polygon(cells: dict[str, Polygon]) -> Polygon:
    """The city geometry: the union of the snapped cells (equal to the outline up to the grid)."""
    union = shapely.set_precision(shapely.union_all(list(cells.values())), GRID)
    if not isinstance(union, Polygon):
        raise ValueError("kecamatan cells do not union to a single polygon")
    return orient(union, sign=1.0)


def _round_coords(value: Any) -> Any:
    """Round every number in nested GeoJSON coordinate lists to ``DECIMALS``."""
    if isinstance(value, (list, tuple)):
        return [_round_coords(item) for item in value]
    return round(float(value), DECIMALS)


def _geometry(polygon: Polygon) -> dict[str, Any]:
    geo = mapping(polygon)
    return {"type": geo["type"], "coordinates": _round_coords(geo["coordinates"])}


def _feature(
    code: str, name: str, level: str, parent: str | None, geometry: dict[str, Any] | None
) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": {"code": code, "name": name, "level": level, "parent": parent},
        "geometry": geometry,
    }


def build_features() -> list[dict[str, Any]]:
    """All features of the sample: provinsi (no geometry), kota, then the 16 kecamatan."""
    cells = kecamatan_cells()
    features = [
        _feature(PROVINSI_CODE, PROVINSI_NAME, "provinsi", None, None),
        _feature(KOTA_CODE, KOTA_NAME, "kabupaten", PROVINSI_CODE, _geometry(city_polygon(cells))),
    ]
    for code in sorted(CENTRES):
        features.append(_feature(code, CENTRES[code][0], "kecamatan", KOTA_CODE, _geometry(cells[code])))
    return features


def render(features: list[dict[str, Any]]) -> str:
    """Serialise as a FeatureCollection with one feature per line (readable diffs)."""
    lines = [json.dumps(feature, ensure_ascii=False, separators=(",", ":")) for feature in features]
    return '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"


def main() -> None:
    """Write ``areas.geojson`` next to this script."""
    OUTPUT.write_text(render(build_features()), encoding="utf-8")
    print(f"wrote {OUTPUT} ({len(CENTRES)} kecamatan)")


if __name__ == "__main__":
    main()
