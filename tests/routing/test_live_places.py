"""Re-imported places reach a running engine (issue 13, point 4): each import bumps its kind's counter in
its own transaction, every worker polls the counters and swaps new places into its router whole, a call
in progress finishes on the places it started with, and a refused import changes nothing.

The engine here is `siaga serve`'s own (`siaga.serve.build_server`: the real workers, their hooks and the
`route` script) on the sample region in a temporary SQLite database, driven by the fake Asterisk."""

from __future__ import annotations

import csv
import dataclasses
import logging
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from agi import variables as v
from agi.testing import FakeAsterisk
from geo.importers import ImportRejected, import_facilities
from geo.store import facility_zones
from kernel.db import make_engine
from kernel.revisions import FACILITIES, KINDS, bump_data_revision, data_revisions
from kernel.settings import SAMPLE_REGION, Settings
from lab.sample import load_sample_places, sample_staff
from routing.live import PlacesWatcher, changed_kinds
from routing.plan import CallContext, Location
from routing.router import Places, Router, RoutingPolicy
from routing.tables_store import import_kode_pos
from shifts.roster_csv import ParsedRoster, parse_roster_csv
from shifts.store import known_staff, write_roster
from siaga.engine import PlacesLoader
from siaga.serve import build_server
from tests.routing.builders import FACILITIES as TOY_FACILITIES
from tests.routing.builders import toy_tables
from tests.routing.test_agi_edge import EvaluatingAsterisk
from tests.unit.builders import FixedRoster, at, duty, toy_region

# A house in Gayamsari: the nearest puskesmas is Gayamsari, then Halmahera.
HOUSE = 'shape="Point",crs="2d",pos="-6.9918 110.4449"'
NEAREST, SECOND = "pkm-gayamsari", "pkm-halmahera"
ON_DUTY = (f"{NEAREST}-op1", f"{SECOND}-op1")

# -- the router's swap, on toy places --------------------------------------------------------------


def _toy_router() -> tuple[Router, Places, Places]:
    """A router on toy places where `near` is nearest, and the same places without `near`."""
    duties = [duty(f, "malam", "2026-11-22") for f in ("near", "mid", "far")]
    region = toy_region(TOY_FACILITIES)
    router = Router(region, FixedRoster(duties), RoutingPolicy("dispatch-desk"), toy_tables())
    with_near = router.places
    fewer = [f for f in TOY_FACILITIES if f.code != "near"]
    without_near = Places(toy_region(fewer), toy_tables(), with_near.desks, "", {FACILITIES: 2})
    return router, with_near, without_near


def _ctx(n: int = 1) -> CallContext:
    return CallContext(f"call-{n}", "081234567890", "119", "emergency", at("2026-11-23T02:00+07:00"))


POINT = Location(-7.0, 110.34, "pidf-lo", "test point", 10.0)


def test_a_swap_changes_the_plan_of_the_next_call() -> None:
    router, _, without_near = _toy_router()
    assert router.decide(_ctx(), POINT).targets[0].facility == "near"
    router.swap(without_near)
    assert router.decide(_ctx(), POINT).targets[0].facility == "mid"
    assert router.places is without_near


def test_a_call_in_progress_finishes_on_the_places_it_started_with() -> None:
    router, _, without_near = _toy_router()
    ctx = _ctx()
    before = [t.facility for t in router.decide(ctx, POINT).targets]
    candidates = router.candidates(ctx, POINT)  # the call has begun: device states are being read
    router.swap(without_near)
    plan = router.decide(ctx, candidates=candidates, states={})
    assert [t.facility for t in plan.targets] == before
    assert before[:3] == ["near", "mid", "far"]
    assert "near" not in [t.facility for t in router.decide(_ctx(2), POINT).targets]


def test_calls_during_swaps_get_the_old_or_the_new_plan_never_an_error() -> None:
    router, with_near, without_near = _toy_router()
    old = [t.facility for t in router.decide(_ctx(), POINT).targets]
    router.swap(without_near)
    new = [t.facility for t in router.decide(_ctx(), POINT).targets]
    assert old != new
    stop = threading.Event()
    swaps = 0

    def swapper() -> None:
        nonlocal swaps
        while not stop.is_set() and swaps < 200_000:
            router.swap(with_near if swaps % 2 else without_near)
            swaps += 1

    seen: dict[tuple[str, ...], int] = {}
    errors: list[BaseException] = []
    thread = threading.Thread(target=swapper)
    thread.start()
    try:
        deadline = time.monotonic() + 2.0
        n = 0
        while time.monotonic() < deadline and n < 3000:
            n += 1
            try:
                ctx = _ctx(n)
                candidates = router.candidates(ctx, POINT)
                plan = router.decide(ctx, candidates=candidates, states={})
            except Exception as exc:  # any error at all is the failure under test
                errors.append(exc)
                continue
            key = tuple(t.facility for t in plan.targets)
            seen[key] = seen.get(key, 0) + 1
    finally:
        stop.set()
        thread.join()
    assert not errors
    assert set(seen) <= {tuple(old), tuple(new)}
    assert swaps > 100 and sum(seen.values()) > 100


# -- the watcher, with its reads faked -------------------------------------------------------------


class _Reads:
    """The database as the watcher sees it: counters and places, either of which can fail."""

    def __init__(self, places: Places) -> None:
        self.revision = dict(places.revision)
        self.places = places
        self.load_error: Exception | None = None
        self.revision_error: Exception | None = None
        self.loads = 0

    def read_revision(self) -> dict[str, int]:
        if self.revision_error is not None:
            raise self.revision_error
        return self.revision

    def load(self) -> Places:
        self.loads += 1
        if self.load_error is not None:
            raise self.load_error
        return dataclasses.replace(self.places, revision=dict(self.revision))


def test_the_watcher_reloads_only_when_a_counter_moves() -> None:
    router, _, without_near = _toy_router()
    reads = _Reads(router.places)
    watcher = PlacesWatcher(router, reads.read_revision, reads.load, 0.05)
    assert not watcher.check() and reads.loads == 0
    reads.revision = {FACILITIES: 2}
    reads.places = without_near
    assert watcher.check()
    assert router.places.region is without_near.region
    assert not watcher.check() and reads.loads == 1  # the same counters: nothing to read


def test_places_that_cannot_be_read_keep_the_old_ones_until_the_next_import(
    caplog: pytest.LogCaptureFixture,
) -> None:
    router, with_near, without_near = _toy_router()
    reads = _Reads(router.places)
    watcher = PlacesWatcher(router, reads.read_revision, reads.load, 0.05)
    reads.revision = {FACILITIES: 2}
    reads.load_error = ValueError("no areas in the database")
    with caplog.at_level(logging.ERROR, "siaga.routing.live"):
        assert not watcher.check()
        assert not watcher.check()  # the same revision is not read again, nor logged again
    assert router.places is with_near and reads.loads == 1
    assert [r.getMessage() for r in caplog.records if "could not be read" in r.getMessage()] == [
        "re-imported facilities could not be read; routing on the places in memory until the next "
        "import: no areas in the database"
    ]
    reads.load_error = None
    reads.places = without_near
    reads.revision = {FACILITIES: 3}
    assert watcher.check() and router.places.region is without_near.region


def test_a_database_that_is_away_is_asked_again_at_the_next_poll() -> None:
    router, _, without_near = _toy_router()
    reads = _Reads(router.places)
    watcher = PlacesWatcher(router, reads.read_revision, reads.load, 0.05)
    reads.revision_error = OperationalError("SELECT", {}, Exception("database is locked"))
    assert not watcher.check()
    reads.revision_error = None
    reads.revision = {FACILITIES: 2}
    reads.load_error = OperationalError("SELECT", {}, Exception("server closed the connection"))
    assert not watcher.check()
    reads.load_error = None
    reads.places = without_near
    assert watcher.check()  # a transient failure is not remembered as a refused revision
    assert router.places.region is without_near.region


def test_changed_kinds_names_what_moved() -> None:
    assert changed_kinds({"areas": 1, "did": 2}, {"areas": 1, "did": 3, "desks": 1}) == ["desks", "did"]


# -- the counters, written by the importers --------------------------------------------------------


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """The sample region in a fresh database, two puskesmas operators on duty now."""
    settings = dataclasses.replace(
        Settings(),
        data_dir=tmp_path,
        agi_host="127.0.0.1",
        agi_port=0,
        agi_workers=2,
        places_refresh_s=0.3,
        roster_refresh_s=0.3,
        device_state_check=0,
        scheduler=False,
    )
    db = make_engine(settings.db_url)
    region = SAMPLE_REGION
    load_sample_places(db, region / "areas.geojson", region / "facilities.csv", region / "callers.csv")
    now = datetime.now(UTC)
    rows = ["facility_code,staff_id,start,end"]
    rows += [
        f"{e.rsplit('-', 1)[0]},{e},{(now - timedelta(hours=1)).isoformat()},"
        f"{(now + timedelta(hours=2)).isoformat()}"
        for e in ON_DUTY
    ]
    with Session(db) as session, session.begin():
        write_roster(session, ParsedRoster(sample_staff(region), []))
    zones = facility_zones(settings)
    with Session(db) as session, session.begin():
        write_roster(session, parse_roster_csv("\n".join(rows) + "\n", "test", zones, known_staff(session)))
    return settings


def _facilities_moving(settings: Settings, code: str, lat: float, lon: float) -> Path:
    """The sample's facilities file with one puskesmas moved."""
    source = SAMPLE_REGION / "facilities.csv"
    with source.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        if row["code"] == code:
            row["lat"], row["lon"] = f"{lat:.5f}", f"{lon:.5f}"
    path = settings.data_dir / "facilities-moved.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_every_import_bumps_its_kind_and_a_refused_one_does_not(settings: Settings) -> None:
    db = make_engine(settings.db_url)
    with Session(db) as session:
        before = data_revisions(session)
    assert set(before) == set(KINDS) and all(before[k] >= 1 for k in ("areas", "facilities", "callers"))
    import_facilities(db, _facilities_moving(settings, NEAREST, -6.95, 110.40))
    bad = settings.data_dir / "kode_pos.csv"
    bad.write_text("kode_pos,area_code,label\n50161,33.99.99,nowhere\n", encoding="utf-8")
    with pytest.raises(ImportRejected):
        import_kode_pos(db, bad)
    with Session(db) as session:
        after = data_revisions(session)
    assert changed_kinds(before, after) == ["facilities"]
    assert after["facilities"] == before["facilities"] + 1


def test_a_bump_rolled_back_with_its_transaction_leaves_no_trace(settings: Settings) -> None:
    db = make_engine(settings.db_url)
    with Session(db) as session:
        before = data_revisions(session)
    with Session(db) as session:
        session.begin()
        bump_data_revision(session, FACILITIES)
        session.rollback()
    with Session(db) as session:
        assert data_revisions(session) == before
    with pytest.raises(ValueError, match="unknown kind of region data 'roster'"), Session(db) as session:
        bump_data_revision(session, "roster")


def test_the_loader_reads_the_counters_with_the_places(settings: Settings) -> None:
    loader = PlacesLoader(settings)
    places = loader.load()
    assert places.revision == loader.revision()
    assert NEAREST in places.region.facilities and len(places.desks)


# -- a running engine ------------------------------------------------------------------------------


@pytest.fixture
def serving(settings: Settings) -> Iterator[FakeAsterisk]:
    parts = build_server(settings)
    parts.server.start_background()
    try:
        yield EvaluatingAsterisk(port=parts.server.port)  # reads the location facts as Asterisk does
    finally:
        parts.server.stop()


def _first_target(fake: FakeAsterisk) -> str:
    call = fake.call(
        "route",
        ("emergency", "-", f"{time.time():.3f}"),
        channel_vars={v.GEOLOC_EFFECTIVE: HOUSE, v.GEOLOC_FORMAT: "GML"},
    )
    assert call.closed_cleanly, call.error
    assert call.variables[v.ROUTE_STATUS] == "OK"
    return call.variables[v.route_n(1)]


def _every_worker_routes(fake: FakeAsterisk, expected: str, within_s: float) -> float:
    """Seconds until `expected` is the first target of 8 calls in a row (each worker took some: the
    server's workers share one listening socket), or fail after `within_s`."""
    started = time.monotonic()
    streak = 0
    while time.monotonic() - started < within_s:
        streak = streak + 1 if _first_target(fake) == expected else 0
        if streak >= 8:
            return time.monotonic() - started
        time.sleep(0.05)
    pytest.fail(f"{expected} was not every worker's first target within {within_s} s")


def test_a_facility_moved_by_a_re_import_is_routed_on_within_10_s(
    settings: Settings, serving: FakeAsterisk
) -> None:
    assert _first_target(serving) == f"PJSIP/{NEAREST}-op1"
    # Puskesmas Gayamsari moves to the far north-west of the city: Halmahera is the house's nearest now.
    import_facilities(make_engine(settings.db_url), _facilities_moving(settings, NEAREST, -6.95, 110.35))
    took = _every_worker_routes(serving, f"PJSIP/{SECOND}-op1", within_s=10.0)
    assert took < 10.0
    print(f"re-imported facilities routed on by every worker after {took:.2f} s")


def test_a_refused_re_import_changes_nothing(settings: Settings, serving: FakeAsterisk) -> None:
    moved = _facilities_moving(settings, NEAREST, -6.95, 110.35)
    with moved.open("a", encoding="utf-8") as f:
        f.write("pkm-nowhere,Puskesmas Nowhere,puskesmas,not-a-latitude,110.4,33.74.04,Asia/Jakarta,\n")
    db = make_engine(settings.db_url)
    with Session(db) as session:
        before = data_revisions(session)
    with pytest.raises(ImportRejected) as refused:
        import_facilities(db, moved)
    assert "not-a-latitude" in str(refused.value) or refused.value.errors
    with Session(db) as session:
        assert data_revisions(session) == before
    time.sleep(settings.places_refresh_s * 3)
    assert {_first_target(serving) for _ in range(8)} == {f"PJSIP/{NEAREST}-op1"}
