"""The router ranks the nearest few candidates first and the rest only when the plan is still short, while
the device states of all that can matter are asked for in one query (the reserve): the plans must be
exactly those of ranking and asking about all of them at once."""

from __future__ import annotations

import random
import zlib
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

import routing.router as router_module
from geo.region import load_region
from kernel.catalogue import SERVICES
from kernel.db import make_engine
from kernel.settings import SAMPLE_REGION
from lab.sample import load_sample_roster
from routing.plan import CallContext, Location
from routing.router import CANDIDATES, Router, RoutingPolicy
from shifts.roster import Duty
from shifts.store import load_duties
from tests.unit.builders import FixedRoster

MONDAY = date(2026, 11, 23)
WEEK_START = datetime(2026, 11, 22, 17, 0, tzinfo=UTC)  # Monday 00:00 WIB


@pytest.fixture(scope="module")
def sample_duties(tmp_path_factory: pytest.TempPathFactory) -> list[Duty]:
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('roster') / 'r.db'}")
    load_sample_roster(engine, SAMPLE_REGION, SAMPLE_REGION / "facilities.csv", MONDAY)
    with Session(engine) as session:
        return load_duties(session, WEEK_START, WEEK_START + timedelta(days=7))


class Presence:
    """Device states that depend only on the endpoint (as Asterisk's would within one call)."""

    def __init__(self, unreachable_share: float) -> None:
        self.share = unreachable_share
        self.queries: list[list[str]] = []

    def __call__(self, endpoints: Sequence[str]) -> Mapping[str, str]:
        self.queries.append(list(endpoints))
        return {
            e: "UNAVAILABLE" if zlib.crc32(e.encode()) % 100 < 100 * self.share else "NOT_INUSE"
            for e in endpoints
        }


def _plans(router: Router, calls: list[tuple[CallContext, Location]], share: float) -> tuple[list, int]:  # type: ignore[type-arg]
    plans, queries = [], 0
    for ctx, location in calls:
        presence = Presence(share)
        plans.append(router.decide(ctx, location, presence).to_json())
        queries += len(presence.queries)
    return plans, queries


@pytest.mark.parametrize(("staffed_share", "unreachable_share"), [(1.0, 0.0), (0.5, 0.2), (0.15, 0.3)])
def test_plans_are_those_of_ranking_every_candidate_at_once(
    sample_duties: list[Duty], staffed_share: float, unreachable_share: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(int(staffed_share * 100))
    duties = [d for d in sample_duties if rng.random() < staffed_share]
    region = load_region(
        SAMPLE_REGION / "areas.geojson", SAMPLE_REGION / "facilities.csv", SAMPLE_REGION / "callers.csv"
    )
    router = Router(region, FixedRoster(duties), RoutingPolicy("psc119-dispatch"))
    points = [(f.lat, f.lon) for f in region.facilities.values()]
    calls = []
    for n in range(300):
        lat, lon = rng.choice(points)
        when = WEEK_START + timedelta(hours=rng.uniform(0, 24 * 7))
        service = rng.choice(["emergency", "emergency", "consultation"])
        ctx = CallContext(f"c{n}", "", "119", service, when)
        calls.append(
            (ctx, Location(lat + rng.uniform(-0.02, 0.02), lon + rng.uniform(-0.02, 0.02), "manual"))
        )

    rankings = []
    rank = region.nearby.rank_with_reserve

    def counted_rank(*args: Any) -> Any:
        rankings.append(args[-2])
        return rank(*args)

    monkeypatch.setattr(region.nearby, "rank_with_reserve", counted_rank)
    lazy, lazy_queries = _plans(router, calls, unreachable_share)
    lazy_rankings = len(rankings)
    monkeypatch.setattr(router_module, "FIRST_CANDIDATES_SPARE", CANDIDATES)
    eager, eager_queries = _plans(router, calls, unreachable_share)

    assert lazy == eager
    if staffed_share == 1.0:
        assert lazy_rankings < 1.1 * len(calls)  # the rest is ranked only for the few plans still short
    if staffed_share < 0.5:
        assert lazy_rankings > 1.1 * len(calls)  # the sparse roster did need the second batch often
    # Down once, back once: one device-state query per call at most, second batch or not.
    assert lazy_queries <= len(calls)
    assert eager_queries <= len(calls)


def test_the_second_batch_is_the_rest_of_the_ranking(sample_duties: list[Duty]) -> None:
    region = load_region(
        SAMPLE_REGION / "areas.geojson", SAMPLE_REGION / "facilities.csv", SAMPLE_REGION / "callers.csv"
    )
    router = Router(region, FixedRoster([]), RoutingPolicy("psc119-dispatch"))
    ctx = CallContext("c", "", "119", "emergency", WEEK_START)
    location = Location(-6.99, 110.42, "manual")
    presence = Presence(0.0)
    plan = router.decide(ctx, location, presence)
    assert presence.queries == []  # nobody on duty: nothing to ask Asterisk
    # Every candidate was looked at, in two batches, in the order of one ranking of them all.
    kinds = SERVICES["emergency"].facility_kinds
    areas = {a.code for a in plan.area}
    ranked = region.nearby.rank(location.lat, location.lon, kinds, areas, CANDIDATES)
    assert [s.facility for s in plan.skipped] == [r.facility.code for r in ranked]


def test_the_states_read_once_cover_every_candidate_the_plan_can_reach(sample_duties: list[Duty]) -> None:
    """A caller whose nearest phones are all unregistered: the plan reaches past the first batch, yet the
    states it needed were all in the one query made before deciding."""
    region = load_region(
        SAMPLE_REGION / "areas.geojson", SAMPLE_REGION / "facilities.csv", SAMPLE_REGION / "callers.csv"
    )
    router = Router(region, FixedRoster(sample_duties), RoutingPolicy("psc119-dispatch"))
    rng = random.Random(5)
    points = [(f.lat, f.lon) for f in region.facilities.values() if f.kind == "puskesmas"]
    reached_past_first = 0
    for n in range(150):
        lat, lon = rng.choice(points)
        ctx = CallContext(f"c{n}", "", "119", "emergency", WEEK_START + timedelta(hours=rng.uniform(0, 160)))
        location = Location(lat + rng.uniform(-0.02, 0.02), lon + rng.uniform(-0.02, 0.02), "manual")
        candidates = router.candidates(ctx, location)
        first = [c.facility.code for c in candidates.first]
        down = set(candidates.endpoints[: rng.randrange(len(candidates.endpoints) + 1)])
        states = {e: "UNAVAILABLE" if e in down else "NOT_INUSE" for e in candidates.endpoints}
        plan = router.decide(ctx, candidates=candidates, states=states)
        reached_past_first += any(t.facility not in first for t in plan.targets)
        # Every endpoint the plan rang or passed over was among those asked about.
        for target in plan.targets:
            assert target.endpoint in candidates.endpoints
        for skip in plan.skipped:
            assert skip.reason == "no one on duty (off shift)" or skip.reason.split(":")[0] in states
        assert plan.to_json() == router.decide(ctx, location, lambda e, s=states: s).to_json()
    assert reached_past_first > 10
