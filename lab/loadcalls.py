"""Call lists for load runs: PIDF-LO callers spread over a region, each with the facility it should reach.

A load run is only worth something if every call is checked, not just counted: each caller stands at a
random point inside a random kecamatan (uniform over areas, so small dense kecamatan get their share), and
the facility it should reach is what the live router decides for that point at `now` — the same code the
engine runs, so a roster change moves the expectation with it. Callers get distinct numbers outside the
caller directory, so the PIDF-LO location is the one that counts and each record matches one call.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from shapely.geometry import Point

from routing.plan import CallContext, Location, LocationFacts
from routing.router import Router

CALLER_PREFIX = "0899"  # no mobile prefix in the sample directory starts like this
HEADER = ("caller", "dialled", "lat", "lon", "expected_facility")


@dataclass(frozen=True)
class LoadCall:
    caller: str
    dialled: str
    lat: float
    lon: float
    expected_facility: str
    expected_endpoint: str


def _random_point(geometry: object, rng: random.Random) -> tuple[float, float]:
    min_x, min_y, max_x, max_y = geometry.bounds  # type: ignore[attr-defined]
    for _ in range(1000):
        lon, lat = rng.uniform(min_x, max_x), rng.uniform(min_y, max_y)
        if geometry.contains(Point(lon, lat)):  # type: ignore[attr-defined]
            return lat, lon
    centre = geometry.representative_point()  # type: ignore[attr-defined]
    return centre.y, centre.x


def make_load_calls(
    router: Router, count: int, now: datetime, *, seed: int = 119, dialled: str = "119", first: int = 0
) -> list[LoadCall]:
    """`count` callers at random points of the router's smallest areas, with the plan's first target.

    Points that only the dispatcher would answer (no staffed facility near) are kept: the dispatcher is
    a valid expectation too. Deterministic for a seed, so two runs compare the same calls. Caller numbers
    count from `first`, so consecutive lists in one database never share a caller."""
    if count < 1:
        raise ValueError(f"count must be at least 1, not {count}")
    areas = [a for a in router.region.areas.by_code.values() if a.geometry is not None]
    if not areas:
        raise ValueError("the region has no area outlines to place callers in")
    deepest = max(a.depth for a in areas)
    areas = sorted((a for a in areas if a.depth == deepest), key=lambda a: a.code)
    rng = random.Random(seed)
    calls: list[LoadCall] = []
    for n in range(first, first + count):
        lat, lon = _random_point(rng.choice(areas).geometry, rng)
        caller = f"{CALLER_PREFIX}{n:07d}"  # up to 10^7 calls per list family
        ctx = CallContext(f"load-{n}", caller, dialled, "emergency", now, LocationFacts(ivr_done=True))
        plan = router.decide(ctx, Location(lat, lon, "pidf-lo"))
        first = plan.targets[0]
        calls.append(LoadCall(caller, dialled, round(lat, 6), round(lon, 6), first.facility, first.endpoint))
    return calls


def calls_csv(calls: Sequence[LoadCall]) -> str:
    """The list in `siaga replay`'s columns."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for c in calls:
        writer.writerow((c.caller, c.dialled, f"{c.lat:.6f}", f"{c.lon:.6f}", c.expected_facility))
    return out.getvalue()
