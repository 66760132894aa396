"""Ranking facilities for a caller in microseconds, with exactly the answer of `rank_facilities`.

Per set of kinds, the facilities' points sit in an STRtree (lon/lat planes) and as unit vectors. A query
asks the tree for the box around a spherical cap, measures the few points inside by chord length (which
orders them exactly by spherical distance), then computes the ellipsoidal distance only for those that can
still be among the nearest: the spherical and the WGS-84 distance differ by less than `_SPHERE_SLACK`, so
any facility whose spherical distance exceeds the k-th best ellipsoidal distance by more than that can be
left unmeasured. The cap grows until that bound holds, so the shortlist never drops a true candidate.

Facilities that serve an area (a puskesmas's wilayah kerja) are found through a dict from area code.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.strtree import STRtree

from geo.distance import EARTH_RADIUS_M, Ranked, ellipsoid_m, reduced_latitude, vincenty_m
from geo.facilities import Facility

# Along any path the WGS-84 metric is at least a(1-e²)/R = 0.99442 times the mean-radius sphere's (the
# meridian radius of curvature is smallest at the equator), so a geodesic is never more than 0.56 %
# shorter than the spherical distance. 0.6 % keeps the bound safe from rounding.
_SPHERE_SLACK = 0.006
# Beyond this radius a query measures every facility of the kinds: caps this large cover the country.
_MAX_CAP_M = 2_500_000.0
_CELL_DEG = 0.5
# A set this small is measured whole, by chord in plain Python: its tree and numpy's per-call overhead
# cost more than the arithmetic (the sample region's facilities: ~20 µs a call less).
_SCAN_ALL_MAX = 128


def _unit_vectors(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    phi, lam = np.radians(lat), np.radians(lon)
    return np.column_stack((np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)))


def _chord(distance_m: float) -> float:
    """Straight-line distance through a unit sphere between points `distance_m` apart on its surface."""
    return 2.0 * math.sin(min(distance_m / EARTH_RADIUS_M, math.pi) / 2.0)


@dataclass
class _PointSet:
    """Facilities of one set of kinds: tree, unit vectors and a first guess of the search radius."""

    facilities: list[Facility]
    tree: STRtree
    xyz: np.ndarray
    spacing_m: float
    position: dict[str, int]  # facility code → index
    reduced: list[tuple[float, float]]  # per facility, for Vincenty's formula
    cells: dict[tuple[int, int], int]  # facilities per _CELL_DEG cell, for a first search radius
    every: np.ndarray  # every index, for a query that measures them all
    rows: list[tuple[float, float, float]]  # the unit vectors as Python floats, for a small set's scan
    codes: list[str]

    @classmethod
    def build(cls, facilities: Sequence[Facility]) -> _PointSet:
        lat = np.array([f.lat for f in facilities], dtype=float)
        lon = np.array([f.lon for f in facilities], dtype=float)
        tree = STRtree(shapely.points(lon, lat))
        if len(facilities) > 1:
            span_lat = (lat.max() - lat.min()) * 111_000.0
            span_lon = (lon.max() - lon.min()) * 111_000.0 * math.cos(math.radians(float(np.mean(lat))))
            area = max(span_lat, 1.0) * max(span_lon, 1.0)
            spacing = math.sqrt(area / len(facilities))
        else:
            spacing = 10_000.0
        position = {f.code: i for i, f in enumerate(facilities)}
        cells: dict[tuple[int, int], int] = {}
        for key in zip(
            np.floor(lat / _CELL_DEG).astype(int).tolist(),
            np.floor(lon / _CELL_DEG).astype(int).tolist(),
            strict=True,
        ):
            cells[key] = cells.get(key, 0) + 1
        reduced = [reduced_latitude(f.lat) for f in facilities]
        xyz = _unit_vectors(lat, lon)
        every = np.arange(len(facilities))
        rows = [(float(x), float(y), float(z)) for x, y, z in xyz.tolist()]
        return cls(
            list(facilities),
            tree,
            xyz,
            max(spacing, 100.0),
            position,
            reduced,
            cells,
            every,
            rows,
            [f.code for f in facilities],
        )

    def first_radius(self, lat: float, lon: float, wanted: int) -> float:
        """A radius likely to hold `wanted` facilities, from how many lie in the 3×3 cells around."""
        i, j = math.floor(lat / _CELL_DEG), math.floor(lon / _CELL_DEG)
        cells = self.cells
        count = sum(cells.get((i + di, j + dj), 0) for di in (-1, 0, 1) for dj in (-1, 0, 1))
        if count == 0:
            return self.spacing_m * math.sqrt(wanted)
        side = _CELL_DEG * 111_195.0
        density = count / (9 * side * side * max(math.cos(math.radians(lat)), 0.1))
        return 1.2 * math.sqrt(wanted / (math.pi * density))

    def box_indices(self, lat: float, lon: float, radius_m: float) -> np.ndarray | None:
        """Indices of every facility whose spherical distance is at most `radius_m` (and a few more).

        None when the cap would wrap around the antimeridian or reach a pole: the caller measures all.
        """
        d = radius_m / EARTH_RADIUS_M
        phi = math.radians(lat)
        if abs(phi) + d >= math.pi / 2:
            return None
        dlat = math.degrees(d)
        dlon = math.degrees(math.asin(min(1.0, math.sin(d) / math.cos(phi))))
        if lon - dlon < -180.0 or lon + dlon > 180.0:
            return None
        return self.tree.query(shapely.box(lon - dlon, lat - dlat, lon + dlon, lat + dlat))


class FacilityIndex:
    """Facilities ranked for a point: serving its area first, then the nearest, by WGS-84 distance."""

    def __init__(self, facilities: Iterable[Facility]) -> None:
        self._all = list(facilities)
        self._groups: dict[frozenset[str], _PointSet | None] = {}
        self._serving: dict[str, list[Facility]] = {}
        for facility in self._all:
            for code in dict.fromkeys(facility.service_area):
                self._serving.setdefault(code, []).append(facility)
        for kind in {f.kind for f in self._all}:
            self.group((kind,))

    def __len__(self) -> int:
        return len(self._all)

    def group(self, kinds: Iterable[str]) -> _PointSet | None:
        """The point set of these kinds, built once (the engine builds its services' sets at start)."""
        key = frozenset(kinds)
        if key not in self._groups:
            members = [f for f in self._all if f.kind in key]
            self._groups[key] = _PointSet.build(members) if members else None
        return self._groups[key]

    def serving(self, area_codes: Iterable[str]) -> list[Facility]:
        found: dict[str, Facility] = {}
        for code in area_codes:
            for facility in self._serving.get(code, ()):
                found[facility.code] = facility
        return list(found.values())

    def rank(
        self, lat: float, lon: float, kinds: Iterable[str], area_codes: set[str], limit: int
    ) -> list[Ranked]:
        """Same contract as `geo.distance.rank_facilities` over the facilities of `kinds`."""
        return self.rank_with_reserve(lat, lon, kinds, area_codes, limit, 0)[0]

    def rank_with_reserve(
        self, lat: float, lon: float, kinds: Iterable[str], area_codes: set[str], limit: int, reserve: int
    ) -> tuple[list[Ranked], list[Facility]]:
        """`rank(…, limit)`, and besides it, unranked, every other facility that can be among the first
        `reserve` of `rank(…, reserve)` (a few more, never fewer).

        The reserve costs no exact distance: it is read off the spherical distances already at hand (a
        geodesic is within `_SPHERE_SLACK` of the spherical distance either way), so a caller can ask
        Asterisk about all of them at once and rank them only if the first `limit` are not enough.
        """
        kinds = frozenset(kinds)
        serving = [f for f in self.serving(area_codes) if f.kind in kinds]
        first = [Ranked(f, ellipsoid_m(lat, lon, f.lat, f.lon), True) for f in serving]
        first.sort(key=lambda r: (r.distance_m, r.facility.code))
        points = self.group(kinds)
        skip = {f.code for f in serving}
        if limit and len(first) >= limit:
            more = [r.facility for r in first[limit:reserve]]
            if points is not None and reserve > len(first):  # the reserve reaches past the serving ones
                nearest, beyond = self._nearest(points, lat, lon, 1, skip, reserve - len(first))
                more += [f for _, f in nearest] + beyond
            return first[:limit], more
        if points is None:
            return first, []
        wanted = limit - len(first) if limit else len(points.facilities)
        rest, more = self._nearest(points, lat, lon, wanted, skip, reserve - len(first))
        return first + [Ranked(f, d, False) for d, f in rest], more

    def _nearest(
        self, points: _PointSet, lat: float, lon: float, k: int, skip: set[str], reserve: int = 0
    ) -> tuple[list[tuple[float, Facility]], list[Facility]]:
        """The `k` nearest (exact distance, facility), and the others that can be among the `reserve`
        nearest (nearest by spherical distance first)."""
        available = len(points.facilities) - len(skip)  # every skipped one is of these kinds
        k = min(k, available)
        reserve = min(reserve, available)
        if k <= 0:
            return [], []
        if len(points.facilities) <= _SCAN_ALL_MAX:
            return _scan(points, lat, lon, k, skip, reserve)
        blocked: np.ndarray | None = None
        if skip:
            blocked = np.zeros(len(points.facilities), dtype=bool)
            blocked[[points.position[c] for c in skip]] = True
        phi, lam = math.radians(lat), math.radians(lon)
        target = np.array((math.cos(phi) * math.cos(lam), math.cos(phi) * math.sin(lam), math.sin(phi)))
        here = reduced_latitude(lat)
        needed = max(k, reserve)
        radius = points.first_radius(lat, lon, needed + len(skip))
        known: dict[int, float] = {}  # distances already measured, kept when the cap has to grow

        def measure(i: int) -> tuple[float, Facility]:
            f = points.facilities[i]
            if i not in known:
                known[i] = vincenty_m(here, lon, points.reduced[i], f.lon, lat, f.lat)
            return known[i], f

        while True:
            indices = None if radius > _MAX_CAP_M else points.box_indices(lat, lon, radius)
            if indices is None:
                indices = points.every
                radius = math.inf
            diff = points.xyz[indices] - target
            chords = np.sqrt(np.einsum("ij,ij->i", diff, diff))
            keep = chords <= _chord(radius)
            if blocked is not None:
                keep &= ~blocked[indices]
            indices, chords = indices[keep], chords[keep]
            if len(indices) < needed and not math.isinf(radius):
                radius *= 2.0
                continue
            more_chord = -1.0
            if reserve > k:
                # The reserve-th nearest is at most this far (geodesic ≤ spherical · (1 + slack)), and
                # whatever is that near by geodesic is spherically within the bound over (1 - slack).
                nth = float(np.partition(chords, reserve - 1)[reserve - 1])
                arc = 2.0 * EARTH_RADIUS_M * math.asin(min(1.0, nth / 2.0))
                reach = arc * (1.0 + _SPHERE_SLACK) / (1.0 - _SPHERE_SLACK)
                if reach > radius:
                    radius = reach * 1.01
                    continue
                more_chord = _chord(reach)
            first = np.argpartition(chords, k - 1)[:k] if len(indices) > k else np.arange(len(indices))
            measured = [measure(i) for i in indices[first].tolist()]
            bound = max(d for d, _ in measured) / (1.0 - _SPHERE_SLACK)
            if bound > radius:
                radius = bound * 1.01
                continue
            # Whatever else could beat the k-th: spherically no farther than the bound allows.
            maybe = chords <= _chord(bound)
            maybe[first] = False
            measured.extend(measure(i) for i in indices[maybe].tolist())
            measured.sort(key=lambda pair: (pair[0], pair[1].code))
            nearest = measured[:k]
            if more_chord < 0:
                return nearest, []
            taken = {f.code for _, f in nearest}
            order = np.argsort(chords, kind="stable")
            close = order[chords[order] <= more_chord]
            more = [points.facilities[i] for i in indices[close].tolist()]
            return nearest, [f for f in more if f.code not in taken]


def _scan(
    points: _PointSet, lat: float, lon: float, k: int, skip: set[str], reserve: int
) -> tuple[list[tuple[float, Facility]], list[Facility]]:
    """`FacilityIndex._nearest` for a small set: every point ordered by chord, the same bounds applied."""
    phi, lam = math.radians(lat), math.radians(lon)
    tx, ty, tz = math.cos(phi) * math.cos(lam), math.cos(phi) * math.sin(lam), math.sin(phi)
    codes = points.codes
    order = sorted(
        ((x - tx) ** 2 + (y - ty) ** 2 + (z - tz) ** 2, i)
        for i, (x, y, z) in enumerate(points.rows)
        if not skip or codes[i] not in skip
    )  # (squared chord, index), nearest first
    here = reduced_latitude(lat)
    facilities, reduced = points.facilities, points.reduced

    def measure(i: int) -> tuple[float, Facility]:
        f = facilities[i]
        return vincenty_m(here, lon, reduced[i], f.lon, lat, f.lat), f

    measured = [measure(i) for _, i in order[:k]]
    # Whatever else could beat the k-th: spherically no farther than the bound allows.
    within = _chord(max(d for d, _ in measured) / (1.0 - _SPHERE_SLACK)) ** 2
    measured.extend(measure(i) for c2, i in itertools.takewhile(lambda o: o[0] <= within, order[k:]))
    measured.sort(key=lambda pair: (pair[0], pair[1].code))
    nearest = measured[:k]
    if reserve <= k:
        return nearest, []
    # The reserve-th nearest is at most this far (geodesic ≤ spherical · (1 + slack)), and whatever is
    # that near by geodesic is spherically within the bound over (1 - slack).
    arc = 2.0 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(order[reserve - 1][0]) / 2.0))
    reach = _chord(arc * (1.0 + _SPHERE_SLACK) / (1.0 - _SPHERE_SLACK)) ** 2
    taken = {f.code for _, f in nearest}
    return nearest, [
        facilities[i] for _, i in itertools.takewhile(lambda o: o[0] <= reach, order) if codes[i] not in taken
    ]
