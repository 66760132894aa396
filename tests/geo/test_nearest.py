"""The facility index gives exactly the ranking of the slow definition (every facility, geopy)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

import geo.nearest as nearest_module
from geo.distance import ellipsoid_m, geodesic_m, rank_facilities
from geo.facilities import Facility, load_facilities_csv
from geo.nearest import FacilityIndex

EMERGENCY = ("puskesmas", "ambulance")


@pytest.fixture(params=["tree", "scan"])
def search(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both ways of finding the nearest, each forced whatever the size of the test data: through the tree
    with a growing cap, and by measuring a small set whole."""
    monkeypatch.setattr(nearest_module, "_SCAN_ALL_MAX", 0 if request.param == "tree" else 10**6)
    return str(request.param)


def _signature(ranked: list) -> list[tuple[str, bool]]:  # type: ignore[type-arg]
    return [(r.facility.code, r.in_service_area) for r in ranked]


def test_vincenty_agrees_with_geopy_to_a_millimetre() -> None:
    rng = random.Random(3)
    for _ in range(300):
        lat, lon = rng.uniform(-11, 6), rng.uniform(95, 141)
        span = rng.choice([0.001, 0.1, 2.0, 30.0])
        lat2, lon2 = lat + rng.uniform(-span, span), lon + rng.uniform(-span, span)
        assert abs(ellipsoid_m(lat, lon, lat2, lon2) - geodesic_m(lat, lon, lat2, lon2)) < 1e-3
    assert ellipsoid_m(-7.0, 110.4, -7.0, 110.4) == 0.0
    assert (
        abs(ellipsoid_m(0.0, 0.0, 0.5, 179.7) - geodesic_m(0.0, 0.0, 0.5, 179.7)) < 1e-3
    )  # nearly antipodal


def test_index_ranks_like_the_definition_across_a_country(small_country: Path, search: str) -> None:
    facilities = load_facilities_csv(small_country / "facilities.csv")
    index = FacilityIndex(facilities)
    rng = random.Random(11)
    emergency = [f for f in facilities if f.kind in EMERGENCY]
    serving_checked = 0
    for _ in range(60):
        lat, lon = rng.uniform(-11, 6), rng.uniform(95, 141)
        home = rng.choice(emergency)
        codes = set(home.service_area) if rng.random() < 0.5 else set()
        serving_checked += bool(codes)
        fast = index.rank(lat, lon, EMERGENCY, codes, 12)
        slow = rank_facilities(lat, lon, emergency, codes, 12)
        assert _signature(fast) == _signature(slow)
        for a, b in zip(fast, slow, strict=True):
            assert abs(a.distance_m - b.distance_m) < 1e-3
    assert serving_checked > 10


def test_the_reserve_holds_every_facility_the_longer_ranking_would_add(
    small_country: Path, search: str
) -> None:
    facilities = load_facilities_csv(small_country / "facilities.csv")
    index = FacilityIndex(facilities)
    rng = random.Random(12)
    emergency = [f for f in facilities if f.kind in EMERGENCY]
    for _ in range(200):
        home = rng.choice(emergency)
        lat, lon = home.lat + rng.uniform(-0.3, 0.3), home.lon + rng.uniform(-0.3, 0.3)
        codes = set(home.service_area) if rng.random() < 0.3 else set()
        limit = rng.choice([1, 3, 6])
        first, reserve = index.rank_with_reserve(lat, lon, EMERGENCY, codes, limit, 12)
        assert _signature(first) == _signature(index.rank(lat, lon, EMERGENCY, codes, limit))
        longer = index.rank(lat, lon, EMERGENCY, codes, 12)
        held = {f.code for f in reserve}
        assert {r.facility.code for r in longer[limit:]} <= held
        assert not held & {r.facility.code for r in first}
        assert len(held) <= 2 * 12  # a few more than needed, not the whole country


def _pkm(
    code: str, lat: float, lon: float, kind: str = "puskesmas", serves: tuple[str, ...] = ()
) -> Facility:
    return Facility(code, code, kind, lat, lon, "33.74.01", "Asia/Jakarta", serves)


def test_serving_facilities_come_first_even_when_farther() -> None:
    index = FacilityIndex(
        [
            _pkm("near", -7.0, 110.35),
            _pkm("home", -7.0, 110.45, serves=("33.74.01",)),
            _pkm("mid", -7.0, 110.40),
        ]
    )
    ranked = index.rank(-7.0, 110.34, ("puskesmas",), {"33.74.01", "33.74"}, 12)
    assert _signature(ranked) == [("home", True), ("near", False), ("mid", False)]
    assert [r.facility.code for r in index.rank(-7.0, 110.34, ("puskesmas",), {"33.74.01"}, 1)] == ["home"]


def test_few_facilities_of_a_kind_far_points_and_limit_zero(search: str) -> None:
    facilities = [_pkm(f"p{i}", -7.0 + i * 0.01, 110.3 + i * 0.02) for i in range(30)]
    facilities.append(_pkm("desk", -6.2, 106.8, kind="consultation"))
    index = FacilityIndex(facilities)
    assert [r.facility.code for r in index.rank(-7.0, 110.4, ("consultation",), set(), 12)] == ["desk"]
    assert index.rank(-7.0, 110.4, ("hospital",), set(), 12) == []
    for lat, lon in [(48.85, 2.35), (-89.9, 0.0), (10.0, 179.99)]:  # Paris, near a pole, the antimeridian
        fast = index.rank(lat, lon, ("puskesmas",), set(), 5)
        assert _signature(fast) == _signature(rank_facilities(lat, lon, facilities[:30], set(), 5))
    everything = index.rank(-7.0, 110.4, ("puskesmas",), set(), 0)
    assert _signature(everything) == _signature(rank_facilities(-7.0, 110.4, facilities[:30], set(), 0))


@pytest.mark.parametrize("limit", [1, 3, 12])
def test_equal_distances_are_ordered_by_code(limit: int) -> None:
    ring = [_pkm(f"p{n}", -7.0, 110.4 + (0.01 if n % 2 else -0.01)) for n in range(6)]
    ranked = FacilityIndex(ring).rank(-7.0, 110.4, ("puskesmas",), set(), limit)
    assert [r.facility.code for r in ranked] == sorted(f.code for f in ring)[:limit]
