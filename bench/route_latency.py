"""Routing latency at national scale, against the naive way measured in the same run.

1. Writes the synthetic national set (`python -m lab.synthetic`) and imports it into a temporary SQLite
   database with the real `siaga import areas|facilities|callers` commands.
2. Builds the router as the engine does (`siaga.engine.build_router`: areas, facilities and callers from
   the database, the roster source over an empty roster, so every decision ranks its full candidate
   list and skips each candidate as off shift) and times that: `load_s`.
3. Routes random points (95 % on land, uniform by area; 5 % anywhere in Indonesia's box, mostly sea)
   through `Router.decide`, timing each decision: p50/p99 in microseconds, wall clock.
4. Makes the decisions for an evenly spread sample of those points the naive way — every area tested
   for the point, every facility measured with geopy (`geo.distance.rank_facilities`) — through the same
   `Router.decide`, checks that both give the same plan on every sampled point, and reports the ratio
   of mean times on those points as `speedup_vs_naive`.

    .venv/bin/python bench/route_latency.py [--scale 1.0] [--points 100000] [--naive-points 200]

The last line is `route p50_us=… p99_us=… load_s=… rss_mb=… speedup_vs_naive=…`.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from shapely.geometry import Point

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from geo.areas import Area, Placement  # noqa: E402
from geo.bounds import INDONESIA_LAT, INDONESIA_LON  # noqa: E402
from geo.distance import Ranked, rank_facilities  # noqa: E402
from kernel.settings import Settings  # noqa: E402
from lab.synthetic import random_points  # noqa: E402
from routing.plan import CallContext, Location, RoutePlan  # noqa: E402
from routing.router import Router  # noqa: E402
from siaga.engine import build_router  # noqa: E402


class NaiveAreas:
    """Every area tested for every point: the definition of `AreaIndex.containing`, without the index."""

    def __init__(self, by_code: dict[str, Area]) -> None:
        self.by_code = by_code
        self._shaped = [a for a in by_code.values() if a.geometry is not None]

    def place(self, lat: float, lon: float) -> Placement:
        point = Point(lon, lat)
        inside = [a for a in self._shaped if a.geometry.covers(point)]  # type: ignore[union-attr]
        if not inside:
            return Placement([])
        deepest = max(a.depth for a in inside)
        codes = sorted(a.code for a in inside if a.depth == deepest)
        return Placement(self.lineage(codes[0]), tuple(codes[1:]))

    def containing(self, lat: float, lon: float) -> list[Area]:
        return self.place(lat, lon).lineage

    def lineage(self, code: str) -> list[Area]:
        chain: list[Area] = []
        current: str | None = code
        while current is not None and current in self.by_code and len(chain) < 8:
            chain.append(self.by_code[current])
            current = self.by_code[current].parent
        return chain


class NaiveNearby:
    """Every facility of the kinds measured with geopy, then sorted."""

    def __init__(self, facilities: list) -> None:  # type: ignore[type-arg]
        self.facilities = facilities

    def rank(self, lat: float, lon: float, kinds, area_codes: set[str], limit: int) -> list[Ranked]:  # type: ignore[no-untyped-def]
        return rank_facilities(lat, lon, [f for f in self.facilities if f.kind in kinds], area_codes, limit)

    def rank_with_reserve(  # type: ignore[no-untyped-def]
        self, lat: float, lon: float, kinds, area_codes: set[str], limit: int, reserve: int
    ) -> tuple[list[Ranked], list]:  # type: ignore[type-arg]
        """`rank`, and the rest of the longer ranking as the reserve (exact: every facility is measured)."""
        ranked = self.rank(lat, lon, kinds, area_codes, max(limit, reserve))
        return ranked[:limit], [r.facility for r in ranked[limit:]]


@dataclasses.dataclass
class NaiveRegion:
    areas: NaiveAreas
    facilities: dict
    callers: object
    nearby: NaiveNearby


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run(command: list[str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"failed: {' '.join(command)}\n{done.stdout}{done.stderr}")
    return time.perf_counter() - started


def random_places(router: Router, count: int, rng: np.random.Generator) -> list[tuple[float, float]]:
    provinces = [a for a in router.region.areas.by_code.values() if a.level == "provinsi" and a.geometry]
    on_land = int(count * 0.95)
    weights = np.array([p.geometry.area for p in provinces])  # type: ignore[union-attr]
    per_province = rng.multinomial(on_land, weights / weights.sum())
    points: list[tuple[float, float]] = []
    for province, n in zip(provinces, per_province.tolist(), strict=True):
        if n:
            points.extend((float(lat), float(lon)) for lon, lat in random_points(province.geometry, n, rng))
    rest = count - len(points)
    lats = rng.uniform(*INDONESIA_LAT, rest)
    lons = rng.uniform(*INDONESIA_LON, rest)
    points.extend(zip(lats.tolist(), lons.tolist(), strict=True))
    order = rng.permutation(len(points))
    return [points[i] for i in order]


def same_plan(fast: RoutePlan, slow: RoutePlan) -> str | None:
    """None when both plans ring the same targets and skip the same facilities (distances within 1 m)."""
    if [a.code for a in fast.area] != [a.code for a in slow.area]:
        return f"area {[a.code for a in fast.area]} != {[a.code for a in slow.area]}"
    pairs = (
        [(t.facility, t.endpoint, t.distance_m) for t in fast.targets],
        [(t.facility, t.endpoint, t.distance_m) for t in slow.targets],
    )
    skips = (
        [(s.facility, s.reason, s.distance_m) for s in fast.skipped],
        [(s.facility, s.reason, s.distance_m) for s in slow.skipped],
    )
    for a_list, b_list in (pairs, skips):
        if [x[:2] for x in a_list] != [x[:2] for x in b_list]:
            return f"order {[x[0] for x in a_list]} != {[x[0] for x in b_list]}"
        for a, b in zip(a_list, b_list, strict=True):
            if (a[2] is None) != (b[2] is None) or (a[2] is not None and abs(a[2] - b[2]) > 1):
                return f"distance of {a[0]}: {a[2]} != {b[2]}"
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the national data set")
    parser.add_argument("--points", type=int, default=100_000, help="decisions to time")
    parser.add_argument("--naive-points", type=int, default=200, help="decisions also made the naive way")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", type=Path, help="keep the data set and database here (default: temp)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="siaga-route-bench-") as tmp:
        work = args.workdir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        data = work / "national"
        db_path = work / "bench.db"
        db_path.unlink(missing_ok=True)
        db = f"sqlite:///{db_path}"
        gen_s = run(
            [
                sys.executable,
                "-m",
                "lab.synthetic",
                str(data),
                "--seed",
                str(args.seed),
                "--scale",
                str(args.scale),
            ]
        )
        siaga = [sys.executable, "-m", "siaga.cli", "import"]
        import_s = sum(
            run([*siaga, what, str(data / name), "--db", db, "--data-dir", str(work)])
            for what, name in (
                ("areas", "areas.geojson"),
                ("facilities", "facilities.csv"),
                ("callers", "callers.csv"),
            )
        )
        print(f"data set: generated in {gen_s:.1f} s, imported with `siaga import` in {import_s:.1f} s")

        # region_dir points at the data set: no DID, kode pos or other region tables beside it.
        settings = dataclasses.replace(Settings(), db=db, data_dir=work, region_dir=data)
        started = time.perf_counter()
        router = build_router(settings)
        load_s = time.perf_counter() - started
        region = router.region
        print(
            f"engine load from the database: {load_s:.2f} s ({len(region.areas):,} areas, "
            f"{len(region.facilities):,} facilities, {len(region.callers):,} known callers)"
        )

        rng = np.random.default_rng(args.seed)
        points = random_places(router, args.points, rng)
        ctx = CallContext("bench", "", "119", "emergency", datetime.now(UTC))
        for lat, lon in points[: min(1000, len(points))]:  # warm caches and the roster snapshot
            router.decide(ctx, Location(lat, lon, "manual"))
        gc.collect()
        load_before = os.getloadavg()[0]
        wall = np.empty(len(points))
        cpu = np.empty(len(points))
        outside = 0
        for n, (lat, lon) in enumerate(points):
            w0, c0 = time.perf_counter_ns(), time.thread_time_ns()
            plan = router.decide(ctx, Location(lat, lon, "manual"))
            cpu[n] = (time.thread_time_ns() - c0) / 1000
            wall[n] = (time.perf_counter_ns() - w0) / 1000
            outside += not plan.area
        rss = rss_mb()
        p50, p99 = np.percentile(wall, 50), np.percentile(wall, 99)
        print(
            f"routed {len(points):,} points ({outside:,} outside every area): p50 {p50:.0f} µs, "
            f"p99 {p99:.0f} µs, max {wall.max():.0f} µs wall; CPU time p50 {np.percentile(cpu, 50):.0f} µs, "
            f"p99 {np.percentile(cpu, 99):.0f} µs; RSS {rss:.0f} MB; load average {load_before:.1f} → "
            f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
        )

        naive_region = NaiveRegion(
            NaiveAreas(region.areas.by_code),
            region.facilities,
            region.callers,
            NaiveNearby(list(region.facilities.values())),
        )
        naive = Router(naive_region, router.roster, router.policy, router.tables)  # type: ignore[arg-type]
        picks = np.linspace(0, len(points) - 1, min(args.naive_points, len(points))).astype(int).tolist()
        naive_us: list[float] = []
        fast_us: list[float] = []
        disagree: list[str] = []
        for i in picks:
            lat, lon = points[i]
            started_ns = time.perf_counter_ns()
            slow = naive.decide(ctx, Location(lat, lon, "manual"))
            naive_us.append((time.perf_counter_ns() - started_ns) / 1000)
            fast_us.append(wall[i])
            problem = same_plan(router.decide(ctx, Location(lat, lon, "manual")), slow)
            if problem is not None:
                disagree.append(f"({lat:.6f}, {lon:.6f}): {problem}")
        speedup = float(np.mean(naive_us) / np.mean(fast_us))
        print(
            f"naive baseline on {len(picks)} of those points: mean {np.mean(naive_us) / 1000:.1f} ms "
            f"per decision vs {np.mean(fast_us):.0f} µs; "
            f"plans agree on {len(picks) - len(disagree)}/{len(picks)}"
        )
        for line in disagree[:10]:
            print(f"  DISAGREE {line}")
        print(
            f"route p50_us={p50:.0f} p99_us={p99:.0f} load_s={load_s:.2f} rss_mb={rss:.0f} "
            f"speedup_vs_naive={speedup:.0f}"
        )
        return 1 if disagree else 0


if __name__ == "__main__":
    sys.exit(main())
