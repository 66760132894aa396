"""The PSC room's wallboard: its snapshot from a known database and a fake PBX, the server-sent event
stream, who sees what, and a real browser that follows the stream without reloading."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from geo.facilities import Facility
from kernel.db import make_engine
from kernel.settings import Settings
from routing.records.model import CallRecord
from tests.web.browser import log_in, screenshot
from tests.web.conftest import KOTA, OTHER_KABUPATEN, PASSWORDS, ServedApp, no_asterisk
from web.app import build_services, create_app
from web.directory.services import Registrations
from web.wallboard.services import (
    AnsweredCall,
    PbxStatus,
    PbxStatusSource,
    answer_figures,
    build_snapshot,
)

KOTA_DESK = "psc119-semarang"


@dataclass
class FakePbx:
    """Stands in for Asterisk's manager interface: the test says what the PBX knows."""

    status: PbxStatus | None = field(default_factory=PbxStatus)
    asked: int = 0

    def __call__(self) -> PbxStatus | None:
        self.asked += 1
        return self.status


@pytest.fixture
def pbx() -> FakePbx:
    return FakePbx(PbxStatus(queues={KOTA_DESK: [30.0, 12.5], "konter-semarang--apotek": [41.0]}))


@pytest.fixture
def app(settings: Settings, pbx: FakePbx) -> FastAPI:
    """The console with the fake PBX (asked afresh each time: ttl 0) and a quick stream."""
    services = build_services(
        settings, registrations=Registrations(no_asterisk), pbx=PbxStatusSource(pbx, ttl_s=0)
    )
    services.wallboard.interval_s = 0.3
    return create_app(settings, services)


@pytest.fixture
def today_calls(settings: Settings) -> None:
    """Finished calls of today: Kota Semarang's answered after 5, 12 and 25 s and one abandoned; one of
    the other kabupaten answered after 3 s; and one still in progress (left out of the figures)."""
    now = datetime.now(UTC).replace(tzinfo=None) - timedelta(seconds=20)
    rows = [
        ("k1", "33.74.08", "answered", 5.0),
        ("k2", "33.74.08", "answered", 12.0),
        ("k3", "33.74.01", "answered", 25.0),
        ("k4", "33.74.01", "abandoned", None),
        ("o1", "33.22.01", "answered", 3.0),
        ("live", "33.74.08", None, None),
    ]
    with Session(make_engine(settings.db_url)) as session, session.begin():
        session.add_all(
            CallRecord(
                call_id=f"wallboard-{key}",
                started_at=now,
                ended_at=None if outcome is None else now + timedelta(seconds=60),
                caller="0248000101",
                dialled="119",
                service="emergency",
                route_status="OK",
                area_code=area,
                outcome=outcome,
                time_to_answer_s=answer,
            )
            for key, area, outcome, answer in rows
        )


def test_answer_figures_count_unanswered_calls_against_the_share() -> None:
    calls = [AnsweredCall("answered", t) for t in (5.0, 12.0, 25.0)] + [
        AnsweredCall("abandoned", None),
        AnsweredCall(None, None),  # still in progress: not counted
    ]
    figures = answer_figures(calls)
    assert figures == {
        "calls": 4,
        "answered": 3,
        "abandoned": 1,
        "median_answer_s": 12.0,
        "within_10s": 0.25,
        "within_20s": 0.5,
    }
    assert answer_figures([])["median_answer_s"] is None and answer_figures([])["within_10s"] is None


def test_the_snapshot_from_a_known_database_and_pbx(login, pbx: FakePbx, today_calls: None) -> None:  # type: ignore[no-untyped-def]
    kota = login("kota")
    on_duty = kota.get("/api/wallboard").json()["operators"]["list"]
    assert on_duty, "the sample roster has someone on duty at every hour"
    ringing, talking, away = on_duty[0]["endpoint"], on_duty[1]["endpoint"], on_duty[2]["endpoint"]
    pbx.status = PbxStatus(
        queues=dict(pbx.status.queues) if pbx.status else {},
        devices={ringing: "RINGING", talking: "INUSE", away: "NOT_INUSE"},
        away=frozenset({away}),
    )
    snapshot = kota.get("/api/wallboard").json()

    assert snapshot["pbx"] is True and snapshot["scope"] == [KOTA]
    desks = {d["desk"]: d for d in snapshot["desks"]}
    assert desks[KOTA_DESK]["waiting"] == 2 and desks[KOTA_DESK]["longest_wait_s"] == 30.0
    assert desks["konter-semarang"]["waiting"] == 1  # its topic queue counts as the desk's
    assert desks["konter-semarang"]["longest_wait_s"] == 41.0
    assert snapshot["calls"] == {"ringing": 1, "waiting": 3, "answered": 1}
    operators = snapshot["operators"]
    states = {o["endpoint"]: o["state"] for o in operators["list"]}
    assert (states[ringing], states[talking], states[away]) == ("ringing", "talking", "away")
    others = [s for e, s in states.items() if e not in (ringing, talking, away)]
    assert set(others) == {"unreachable"}  # no device state: not registered
    assert operators["on_duty"] == len(states)
    assert operators["unreachable"] == len(others) and operators["away"] == operators["talking"] == 1
    today = snapshot["today"]
    assert today["zone"] == "Asia/Jakarta"
    assert today["day"] == datetime.now(ZoneInfo("Asia/Jakarta")).date().isoformat()
    assert (today["calls"], today["answered"], today["abandoned"]) == (4, 3, 1)
    assert (today["within_10s"], today["within_20s"], today["median_answer_s"]) == (0.25, 0.5, 12.0)


def test_without_asterisk_the_pbx_figures_are_unknown_not_zero(login, pbx: FakePbx) -> None:  # type: ignore[no-untyped-def]
    pbx.status = None
    snapshot = login("kota").get("/api/wallboard").json()
    assert snapshot["pbx"] is False
    assert snapshot["calls"] == {"ringing": None, "waiting": None, "answered": None}
    assert all(d["waiting"] is None for d in snapshot["desks"])
    assert {o["state"] for o in snapshot["operators"]["list"]} == {"unknown"}
    assert snapshot["operators"]["on_duty"] == len(snapshot["operators"]["list"])


def test_a_supervisor_sees_only_their_kabupaten(login, app: FastAPI, today_calls: None) -> None:  # type: ignore[no-untyped-def]
    places = app.state.services.places
    kota = login("kota").get("/api/wallboard").json()
    assert kota["desks"] and all(places.kabupaten_of[d["desk"]] == KOTA for d in kota["desks"])
    assert all(places.kabupaten_of[o["facility"]] == KOTA for o in kota["operators"]["list"])

    other = login("kabsmg").get("/api/wallboard").json()
    assert other["scope"] == [OTHER_KABUPATEN]
    assert other["desks"] == [] and other["calls"]["waiting"] == 0  # Kota's queues are not theirs
    assert (other["today"]["calls"], other["today"]["median_answer_s"]) == (1, 3.0)

    national = login("admin").get("/api/wallboard").json()
    assert national["scope"] is None and national["today"]["calls"] == 5
    assert national["today"]["median_answer_s"] == 8.5


def test_logged_out_gets_nothing(app: FastAPI) -> None:
    with TestClient(app) as client:
        assert client.get("/api/wallboard").status_code == 401
        assert client.get("/api/wallboard/stream").status_code == 401
        page = client.get("/wallboard", follow_redirects=False)
        assert page.status_code in (302, 303) and "/login" in page.headers["location"]


def test_the_stream_sends_snapshots_and_stops_when_the_client_goes(
    app: FastAPI, served: ServedApp, pbx: FakePbx
) -> None:
    service = app.state.services.wallboard
    with httpx.Client(base_url=served.url, timeout=10) as client:
        answer = client.post("/api/login", json={"name": "kota", "password": PASSWORDS["kota"]})
        assert answer.status_code == 200
        events: list[dict[str, object]] = []
        open_while_reading = 0
        with client.stream("GET", "/api/wallboard/stream") as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            name = ""
            for line in stream.iter_lines():
                if line.startswith("event: "):
                    name = line.removeprefix("event: ")
                elif line.startswith("data: ") and name == "snapshot":
                    events.append(json.loads(line.removeprefix("data: ")))
                    if len(events) == 1:
                        pbx.status = PbxStatus(queues={KOTA_DESK: [5.0]})
                    if len(events) == 2:
                        open_while_reading = service.streams_open
                        break
    assert open_while_reading == 1
    assert [e["calls"]["waiting"] for e in events] == [3, 1]  # the second followed the PBX
    assert events[0]["scope"] == [KOTA] and events[0]["desks"]
    deadline = time.monotonic() + 5
    while service.streams_open and time.monotonic() < deadline:
        time.sleep(0.05)
    assert service.streams_open == 0, "the stream went on after its client left"


def test_the_page_follows_the_stream_without_reloading(served: ServedApp, page: Page, pbx: FakePbx) -> None:
    log_in(page, served.url, "kota", PASSWORDS["kota"])
    page.goto(f"{served.url}/wallboard")
    expect(page.locator("#wb-live")).to_have_text("live")
    expect(page.locator("#wb-waiting")).to_have_text("3")
    desk_row = page.locator(f'#wb-desks tr[data-desk="{KOTA_DESK}"]')
    expect(desk_row.locator(".waiting")).to_have_text("2")
    page.evaluate("window.__not_reloaded = true")

    pbx.status = PbxStatus(queues={KOTA_DESK: [95.0, 60.0, 30.0, 10.0, 2.0]})
    expect(page.locator("#wb-waiting")).to_have_text("5", timeout=5000)
    expect(desk_row.locator(".waiting")).to_have_text("5")
    expect(desk_row.locator(".longest")).to_have_text("95 s")
    assert page.evaluate("window.__not_reloaded === true"), "the page reloaded"
    screenshot(page, "wallboard")


def test_build_snapshot_is_pure_and_scoped() -> None:
    """No database, no PBX: the same inputs give the same board, and a scope leaves others' desks out."""
    facilities = {
        "psc-a": Facility("psc-a", "PSC A", "dispatch", 0, 0, "11.01.01", "Asia/Jakarta"),
        "psc-b": Facility("psc-b", "PSC B", "dispatch", 0, 0, "22.01.01", "Asia/Makassar"),
    }
    kabupaten_of = {"psc-a": "11.01", "psc-b": "22.01"}
    now = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
    pbx = PbxStatus(queues={"psc-a": [9.0], "psc-b": [99.0]})
    board = build_snapshot(now, frozenset({"11.01"}), facilities, kabupaten_of, [], pbx, {})
    assert [d["desk"] for d in board["desks"]] == ["psc-a"]
    assert board["calls"]["waiting"] == 1 and board["desks"][0]["longest_wait_s"] == 9.0
    assert board == build_snapshot(now, frozenset({"11.01"}), facilities, kabupaten_of, [], pbx, {})


@pytest.fixture
def served(app: FastAPI, settings: Settings) -> Iterator[ServedApp]:
    with ServedApp(app, settings.web_port) as running:
        yield running
