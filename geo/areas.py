"""Administrative areas (provinsi → kabupaten/kota → kecamatan → desa) and the point-in-area lookup.

The lookup runs on every call, so geometries are prepared once and searched through an STRtree: only the
few polygons whose bounding boxes hold the point are tested exactly, the deepest level first, so a point
is usually settled by one or two prepared point-in-polygon tests even among 90,000 polygons.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon, shape
from shapely.geometry.base import BaseGeometry
from shapely.strtree import STRtree
from shapely.validation import explain_validity

from geo.bounds import bounds_problem
from geo.parsed import Parsed, ProgressFn
from kernel.dataerrors import DataError, RowError
from kernel.messages import N_, Message

LEVELS = ("provinsi", "kabupaten", "kecamatan", "desa")
FIELDS = ("code", "name", "level", "parent")


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


@dataclass(frozen=True)
class Placement:
    """Where a point falls: the smallest area and its ancestors, and any neighbour whose border it is on."""

    lineage: list[Area]
    on_border_with: tuple[str, ...] = ()


class AreaIndex:
    """Finds the smallest area holding a point, and its ancestors."""

    def __init__(self, areas: Iterable[Area]) -> None:
        self.by_code: dict[str, Area] = {a.code: a for a in areas}
        self._shaped = [a for a in self.by_code.values() if a.geometry is not None]
        # Deepest level first, then by code: the first covering area of a query is the answer.
        self._shaped.sort(key=lambda a: (-a.depth, a.code))
        self._geometries = np.array([a.geometry for a in self._shaped], dtype=object)
        shapely.prepare(self._geometries)
        self._tree = STRtree(self._geometries)

    def __len__(self) -> int:
        return len(self.by_code)

    def containing(self, lat: float, lon: float) -> list[Area]:
        """The smallest area holding (lat, lon) followed by its ancestors; empty when outside every area.

        A point on a shared border belongs to every neighbour (`covers`); the one with the smallest code
        wins so the answer does not depend on load order.
        """
        return self.place(lat, lon).lineage

    def place(self, lat: float, lon: float) -> Placement:
        point = Point(lon, lat)
        hits = self._tree.query(point)
        if len(hits) == 0:
            return Placement([])
        hits.sort()  # tree order → deepest level first, then code
        winner: Area | None = None
        ties: list[str] = []
        for i in hits.tolist():
            area = self._shaped[i]
            if winner is not None and area.depth != winner.depth:
                break
            if area.geometry.covers(point):  # type: ignore[union-attr]
                if winner is None:
                    winner = area
                else:
                    ties.append(area.code)
        if winner is None:
            return Placement([])
        return Placement(self.lineage(winner.code), tuple(ties))

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


@dataclass(frozen=True)
class PropertyMap:
    """Which feature property holds each of our fields, for shapefile-derived GeoJSON (KODE, NAMA …)."""

    code: str = "code"
    name: str = "name"
    level: str = "level"
    parent: str = "parent"
    default_level: str | None = None  # for files of one level that do not say which

    @classmethod
    def parse(cls, spec: str | None, default_level: str | None = None) -> PropertyMap:
        """`code=KODE,name=NAMA,parent=KODE_KEC` → a map; unknown fields and bad pairs are refused."""
        if default_level is not None and default_level not in LEVELS:
            raise ValueError(
                Message(
                    "--level {level!r} is not one of {levels}", level=default_level, levels=", ".join(LEVELS)
                )
            )
        names: dict[str, str] = {}
        for part in (spec or "").split(","):
            if not part.strip():
                continue
            ours, sep, theirs = part.partition("=")
            ours, theirs = ours.strip(), theirs.strip()
            if not sep or not theirs:
                raise ValueError(
                    Message("--map entry {entry!r} is not FIELD=PROPERTY (e.g. code=KODE)", entry=part)
                )
            if ours not in FIELDS:
                raise ValueError(
                    Message(
                        "--map field {field!r} is not one of {fields}", field=ours, fields=", ".join(FIELDS)
                    )
                )
            names[ours] = theirs
        return cls(**names, default_level=default_level)


def _text(value: object) -> str:
    """A property as text: shapefile exports often store codes as numbers (3374 or 3374.0)."""
    if value is None:
        return ""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _polygonal(geometry: BaseGeometry) -> BaseGeometry | None:
    """The polygons of a repaired geometry (make_valid may add stray lines or points), or None."""
    polygons: list[Polygon] = []
    for part in shapely.get_parts(geometry):
        if isinstance(part, Polygon) and not part.is_empty:
            polygons.append(part)
        elif isinstance(part, MultiPolygon):
            polygons.extend(p for p in part.geoms if not p.is_empty)
    if not polygons:
        return None
    return polygons[0] if len(polygons) == 1 else MultiPolygon(polygons)


def read_feature_collection(path: Path) -> list[object]:
    source = str(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8-sig"))  # editors on Windows write a BOM
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(
            [RowError(source, 0, None, Message("not readable GeoJSON: {error}", error=str(exc)))]
        ) from exc
    except RecursionError as exc:  # arrays or objects nested past Python's limit: no GIS tool writes that
        raise DataError([RowError(source, 0, None, N_("not readable GeoJSON: nested too deeply"))]) from exc
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection":
        raise DataError([RowError(source, 0, "type", N_("expected a GeoJSON FeatureCollection"))])
    features = doc.get("features")
    if not isinstance(features, list):
        raise DataError([RowError(source, 0, "features", N_("missing or not a list"))])
    return features


def load_areas_geojson(path: Path, mapping: PropertyMap | None = None) -> AreaIndex:
    """Read a FeatureCollection into an index; any bad feature fails the file with every problem listed."""
    parsed = parse_area_features(read_feature_collection(path), str(path), mapping)
    if parsed.errors:
        raise DataError(parsed.errors)
    return AreaIndex(parsed.rows)


def parse_area_features(
    features: Sequence[object],
    source: str,
    mapping: PropertyMap | None = None,
    known: Mapping[str, str] | None = None,
    progress: ProgressFn | None = None,
) -> Parsed[Area]:
    """Check every feature; `rows` holds the good ones in file order, parents before use not required.

    `known` maps codes already stored to their level, so a file of desa may name stored kecamatan as
    parents. Self-intersecting and other invalid polygons are repaired with `make_valid` and reported as
    warnings; a feature whose parent is bad is bad too, so `--skip-bad` never stores an orphan.
    """
    mapping = mapping or PropertyMap()
    known = known or {}
    parsed: Parsed[Area] = Parsed()
    good: list[tuple[int, Area]] = []
    first_line: dict[str, int] = {}
    failed: dict[str, int] = {}  # code → number of a feature that was bad
    total = len(features)
    for number, feature in enumerate(features, start=1):
        if progress is not None and number % 2000 == 0:
            progress(number, total)
        with np.errstate(invalid="ignore"):  # NaN coordinates are reported below, not warned about
            area = _parse_feature(feature, number, source, mapping, parsed)
        if area is None:
            props = feature.get("properties") if isinstance(feature, dict) else None
            code = _text(props.get(mapping.code)) if isinstance(props, dict) else ""
            if code:
                failed.setdefault(code, number)
            continue
        if area.code in first_line:
            first = first_line[area.code]
            parsed.error(source, number, "code", f"duplicate code {area.code!r} (first at feature {first})")
            continue
        first_line[area.code] = number
        good.append((number, area))
    if progress is not None:
        progress(total, total)
    parsed.rows = _check_hierarchy(good, known, failed, source, parsed)
    return parsed


def _parse_feature(
    feature: object, number: int, source: str, mapping: PropertyMap, parsed: Parsed[Area]
) -> Area | None:
    before = len(parsed.errors)

    def bad(field: str | None, message: str) -> None:
        parsed.error(source, number, field, message)

    if not isinstance(feature, dict):
        bad(None, N_("feature is not an object"))
        return None
    props = feature.get("properties") or {}
    if not isinstance(props, dict):
        bad("properties", N_("not an object"))
        return None
    code = _text(props.get(mapping.code))
    name = _text(props.get(mapping.name))
    level = _text(props.get(mapping.level)).lower() or (mapping.default_level or "")
    parent = _text(props.get(mapping.parent)) or None
    if not code:
        bad("code", Message("missing (property {property!r})", property=mapping.code))
    if not name:
        bad("name", Message("missing (property {property!r})", property=mapping.name))
    if level not in LEVELS:
        bad(
            "level",
            Message(
                "{level!r} is not one of {levels} (property {property!r}, or --level)",
                level=level,
                levels=", ".join(LEVELS),
                property=mapping.level,
            ),
        )
    elif level == "provinsi" and parent is not None:
        bad("parent", Message("a provinsi has no parent, got {parent!r}", parent=parent))
    elif level != "provinsi" and parent is None:
        bad(
            "parent",
            Message(
                "missing: a {level} needs its parent's code (property {property!r})",
                level=level,
                property=mapping.parent,
            ),
        )
    geometry = _parse_geometry(feature.get("geometry"), number, source, parsed)
    if len(parsed.errors) > before:
        return None
    return Area(code, name, level, parent, geometry)


def _parse_geometry(raw: object, number: int, source: str, parsed: Parsed[Area]) -> BaseGeometry | None:
    if raw is None:
        return None
    try:
        geometry = shape(raw)  # type: ignore[arg-type]
    except (ValueError, TypeError, AttributeError, KeyError, IndexError, shapely.errors.GEOSException) as exc:
        parsed.error(source, number, "geometry", Message("unreadable: {error}", error=str(exc)))
        return None
    except RecursionError:  # shapely's shape() recurses once per level of nested coordinates
        parsed.error(source, number, "geometry", N_("unreadable: coordinates nested too deeply"))
        return None
    if geometry.geom_type not in ("Polygon", "MultiPolygon"):
        parsed.error(
            source,
            number,
            "geometry",
            Message("{kind} is not a Polygon or MultiPolygon", kind=geometry.geom_type),
        )
        return None
    if geometry.is_empty:
        parsed.error(source, number, "geometry", N_("empty polygon"))
        return None
    coords = shapely.get_coordinates(geometry)
    if not np.isfinite(coords).all():
        parsed.error(source, number, "geometry", N_("coordinates contain NaN or Infinity"))
        return None
    problem = bounds_problem(*geometry.bounds)
    if problem is not None:
        parsed.error(source, number, "geometry", problem)
        return None
    if not geometry.is_valid:
        reason = explain_validity(geometry)
        repaired = _polygonal(shapely.make_valid(geometry))
        if repaired is None:
            parsed.error(
                source,
                number,
                "geometry",
                Message("invalid polygon ({reason}), nothing left after repair", reason=reason),
            )
            return None
        parsed.warn(
            source,
            number,
            "geometry",
            Message(
                "invalid polygon ({reason}) repaired with make_valid: area {before} → {after} square "
                "degrees; check the source",
                reason=reason,
                before=format(geometry.area, ".6g"),
                after=format(repaired.area, ".6g"),
            ),
        )
        geometry = repaired
    return geometry


def _check_hierarchy(
    good: list[tuple[int, Area]],
    known: Mapping[str, str],
    failed: Mapping[str, int],
    source: str,
    parsed: Parsed[Area],
) -> list[Area]:
    """Keep the areas whose parent exists (in the file and good, or stored) and is a higher level."""
    levels = dict(known)
    levels.update({a.code: a.level for _, a in good})
    line_of = {a.code: n for n, a in good}
    rejected: set[str] = set()
    changed = True
    while changed:  # a bad parent makes its children bad, and theirs …
        changed = False
        for number, area in good:
            if area.code in rejected or area.parent is None:
                continue
            reason = None
            if area.parent in rejected:
                reason = Message(
                    "parent {parent!r} (feature {feature}) is bad",
                    parent=area.parent,
                    feature=line_of[area.parent],
                )
            elif area.parent not in levels and area.parent in failed:
                reason = Message(
                    "parent {parent!r} (feature {feature}) is bad",
                    parent=area.parent,
                    feature=failed[area.parent],
                )
            elif area.parent not in levels:
                reason = Message("unknown parent {parent!r}", parent=area.parent)
            elif LEVELS.index(levels[area.parent]) >= area.depth:
                reason = Message(
                    "parent {parent!r} is a {its_level}, not above a {level}",
                    parent=area.parent,
                    its_level=levels[area.parent],
                    level=area.level,
                )
            if reason is not None:
                parsed.error(source, number, "parent", reason)
                rejected.add(area.code)
                changed = True
    return [a for _, a in good if a.code not in rejected]
