"""Administrative areas (provinsi → kabupaten/kota → kecamatan → desa) and the point-in-area lookup.

The lookup runs on every call, so geometries are prepared once and searched through an STRtree: only the
few polygons whose bounding boxes hold the point are tested exactly.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import shapely
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from shapely.strtree import STRtree
from shapely.validation import explain_validity

from siaga.dataerrors import DataError, RowError

LEVELS = ("provinsi", "kabupaten", "kecamatan", "desa")


@dataclass(frozen=True)
class Area:
    code: str
    name: str
    level: str
    parent: str | None
    geometry: BaseGeometry | None  # ancestors may come without an outline

    @property
    def depth(self) -> int:
        return LEVELS.index(self.level)


class AreaIndex:
    """Finds the smallest area holding a point, and its ancestors."""

    def __init__(self, areas: Iterable[Area]) -> None:
        self.by_code: dict[str, Area] = {a.code: a for a in areas}
        self._shaped = [a for a in self.by_code.values() if a.geometry is not None]
        for area in self._shaped:
            shapely.prepare(area.geometry)
        self._tree = STRtree([a.geometry for a in self._shaped])

    def __len__(self) -> int:
        return len(self.by_code)

    def containing(self, lat: float, lon: float) -> list[Area]:
        """The smallest area holding (lat, lon) followed by its ancestors; empty when outside every area.

        A point on a shared border belongs to every neighbour (`covers`); the one with the smallest code
        wins so the answer does not depend on load order.
        """
        point = Point(lon, lat)
        hits = [self._shaped[i] for i in self._tree.query(point)]
        inside = [a for a in hits if a.geometry is not None and a.geometry.covers(point)]
        if not inside:
            return []
        smallest = max(inside, key=lambda a: (a.depth, _neg_code(a.code)))
        return self.lineage(smallest.code)

    def lineage(self, code: str) -> list[Area]:
        chain: list[Area] = []
        seen: set[str] = set()
        current: str | None = code
        while current is not None and current in self.by_code and current not in seen:
            seen.add(current)
            area = self.by_code[current]
            chain.append(area)
            current = area.parent
        return chain


def _neg_code(code: str) -> tuple[int, ...]:
    return tuple(-ord(c) for c in code)


def load_areas_geojson(path: Path) -> AreaIndex:
    """Read a FeatureCollection whose features carry `code`, `name`, `level`, `parent`.

    Every bad feature is reported by number; a self-intersecting polygon is repaired with `make_valid`
    and reported as a warning through the returned index's `warnings`.
    """
    source = str(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise DataError([RowError(source, 0, None, f"not readable GeoJSON: {exc}")]) from exc
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise DataError([RowError(source, 0, "type", "expected a GeoJSON FeatureCollection")])
    features = doc.get("features")
    if not isinstance(features, list):
        raise DataError([RowError(source, 0, "features", "missing or not a list")])
    areas, errors = parse_area_features(features, source)
    if errors:
        raise DataError(errors)
    return AreaIndex(areas)


def parse_area_features(features: Sequence[object], source: str) -> tuple[list[Area], list[RowError]]:
    errors: list[RowError] = []
    areas: list[Area] = []
    for number, feature in enumerate(features, start=1):

        def bad(field: str | None, message: str, number: int = number) -> None:
            errors.append(RowError(source, number, field, message))

        if not isinstance(feature, dict):
            bad(None, "feature is not an object")
            continue
        props = feature.get("properties") or {}
        code, name, level = (str(props.get(k) or "").strip() for k in ("code", "name", "level"))
        parent = str(props.get("parent") or "").strip() or None
        if not code:
            bad("code", "missing")
        if not name:
            bad("name", "missing")
        if level not in LEVELS:
            bad("level", f"{level!r} is not one of {', '.join(LEVELS)}")
        geometry = None
        if feature.get("geometry") is not None:
            try:
                geometry = shape(feature["geometry"])
            except (ValueError, TypeError, AttributeError, KeyError) as exc:
                bad("geometry", f"unreadable: {exc}")
                continue
            if geometry.geom_type not in ("Polygon", "MultiPolygon"):
                bad("geometry", f"{geometry.geom_type} is not a Polygon or MultiPolygon")
                continue
            coords = shapely.get_coordinates(geometry)
            if not all(math.isfinite(v) for v in coords.flat):
                bad("geometry", "coordinates contain NaN or Infinity")
                continue
            if not geometry.is_valid:
                bad("geometry", f"invalid polygon ({explain_validity(geometry)})")
                continue
        if code and name and level in LEVELS:
            areas.append(Area(code, name, level, parent, geometry))
    codes = [a.code for a in areas]
    seen: set[str] = set()
    for number, area in enumerate(areas, start=1):
        if area.code in seen:
            errors.append(RowError(source, number, "code", f"duplicate code {area.code!r}"))
        seen.add(area.code)
    for number, area in enumerate(areas, start=1):
        if area.parent is not None and area.parent not in codes:
            errors.append(RowError(source, number, "parent", f"unknown parent {area.parent!r}"))
    return areas, errors
