"""Calls pages and `/api/calls`, over records written through the routing package's own record path:
the router's plan as the `route` script records it, then the dialplan's report as the `outcome` script
parses it."""

from __future__ import annotations

import html
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session

from geo.store import load_facilities
from kernel.db import make_engine
from kernel.settings import Settings
from routing.plan import CallContext
from routing.records.report import outcome_event, parse_report, plan_event
from routing.records.store import apply_event
from siaga.engine import build_router
from web import i18n
from web.calls.services import plan_in_language

WIB = ZoneInfo("Asia/Jakarta")
# The Sunday before this week: the sample roster (loaded for this week) starts that day, and it is past.
DAY = date.today() - timedelta(days=date.today().weekday() + 1)
CANDISARI_CALLER = "0248000101"  # in the sample's caller directory


def _pagi(minute: int) -> datetime:
    return datetime(DAY.year, DAY.month, DAY.day, 9, minute, tzinfo=WIB)


def record_call(settings: Settings, n: int, at: datetime, answer_after_s: float | None) -> None:
    """One call through the real record path; answered by the plan's first target after a delay."""
    router = build_router(settings)
    plan = router.decide(CallContext(f"call-{n}", CANDISARI_CALLER, "119", "emergency", at))
    started = at.timestamp()
    first = plan.targets[0].endpoint
    if answer_after_s is None:
        attempts = f"1|PJSIP/{first}|{started + 1:.3f}|{started + 21:.3f}|NOANSWER||"
        end = started + 21
    else:
        ring_ms = int((answer_after_s - 1) * 1000)
        attempts = f"1|PJSIP/{first}|{started + 1:.3f}|{started + 90:.3f}|ANSWER|{ring_ms + 60000}|60000"
        end = started + 90
    report = parse_report(
        f"call-{n}", f"v1|{started:.3f}|{end:.3f}|emergency|119|{CANDISARI_CALLER}|ok", attempts
    )
    with Session(make_engine(settings.db_url)) as session, session.begin():
        apply_event(session, plan_event(plan, started))
        apply_event(session, outcome_event(report, ""))


def calls_facilities(settings: Settings) -> set[str]:
    return {f.code for f in load_facilities(settings) if f.kind == "puskesmas"}


@pytest.fixture
def calls(settings: Settings) -> Settings:
    record_call(settings, 1, _pagi(0), 10.0)
    record_call(settings, 2, _pagi(10), 18.0)
    record_call(settings, 3, _pagi(20), None)
    record_call(settings, 4, datetime(DAY.year, DAY.month, DAY.day, 22, 0, tzinfo=WIB), 5.0)
    # One call still ringing now: a plan, no outcome yet.
    router = build_router(settings)
    plan = router.decide(CallContext("call-live", CANDISARI_CALLER, "119", "emergency", datetime.now(UTC)))
    with Session(make_engine(settings.db_url)) as session, session.begin():
        apply_event(session, plan_event(plan, datetime.now(UTC).timestamp()))
    return settings


def test_records_filters_and_figures_per_shift(login, calls: Settings) -> None:  # type: ignore[no-untyped-def]
    kota = login("kota")
    listed = kota.get("/api/calls", params={"date": DAY.isoformat()}).json()["calls"]
    assert [c["call_id"] for c in listed] == ["call-4", "call-3", "call-2", "call-1"]
    assert {c["outcome"] for c in listed} == {"answered", "unanswered"}
    assert next(c for c in listed if c["call_id"] == "call-2")["time_to_answer_s"] == pytest.approx(
        18.0, abs=0.01
    )
    unanswered = kota.get("/api/calls", params={"date": DAY.isoformat(), "outcome": "unanswered"}).json()[
        "calls"
    ]
    assert [c["call_id"] for c in unanswered] == ["call-3"]
    answered_at = listed[-1]["answered_facility"]
    assert answered_at in calls_facilities(calls)
    at_facility = kota.get("/api/calls", params={"facility": answered_at}).json()["calls"]
    assert {c["call_id"] for c in at_facility} >= {"call-1", "call-2", "call-4"}

    shifts = {
        s["shift"]: s
        for s in kota.get("/api/calls/figures", params={"date": DAY.isoformat()}).json()["shifts"]
    }
    pagi = shifts["pagi"]
    assert (pagi["calls"], pagi["answered"], pagi["within_15s"], pagi["within_20s"]) == (3, 2, 1, 2)
    assert pagi["share_within_15s"] == pytest.approx(1 / 3) and pagi["share_within_20s"] == pytest.approx(
        2 / 3
    )
    assert (shifts["malam"]["calls"], shifts["malam"]["share_within_15s"]) == (1, 1.0)
    assert shifts["siang"]["calls"] == 0 and shifts["siang"]["share_within_15s"] is None

    page = kota.get("/calls", params={"date": DAY.isoformat()})
    assert page.status_code == 200
    # Indonesian, the console's default: "dalam 15 dtk" = within 15 s.
    assert "dalam 15 dtk: 33 %" in page.text and "dalam 20 dtk: 67 %" in page.text


def test_a_record_shows_its_plan_skip_reasons_and_attempts(login, calls: Settings) -> None:  # type: ignore[no-untyped-def]
    kota = login("kota")
    record = kota.get("/api/calls/call-3").json()
    assert record["plan"]["desks"][0]["desk"] == "psc119-semarang", "after the facilities, the city's desk"
    assert record["attempts"][0]["outcome"] == "no answer"
    assert record["plan"]["skipped"], "the sample's off-shift facilities are skipped"
    page = kota.get(f"/calls/{record['id']}")
    assert page.status_code == 200
    for target in record["plan"]["targets"]:
        assert target["endpoint"] in page.text
    with i18n.language("id"):  # the page's language: the stored reasons are shown translated
        shown = plan_in_language(record["plan"])["skipped"]
    for skip in shown:
        assert skip["reason"] in html.unescape(page.text)


def test_live_calls_show_what_is_ringing(login, calls: Settings) -> None:  # type: ignore[no-untyped-def]
    live = login("viewer").get("/api/calls/live").json()["calls"]
    assert [c["call_id"] for c in live] == ["call-live"]
    assert live[0]["outcome"] == "live" and live[0]["plan"]["targets"]


def test_calls_of_another_kabupaten_are_hidden_and_refused(login, calls: Settings) -> None:  # type: ignore[no-untyped-def]
    other = login("kabsmg")
    assert other.get("/api/calls").json()["calls"] == []
    assert other.get("/api/calls/call-1").status_code == 403
    assert other.get("/api/calls/figures", params={"date": DAY.isoformat()}).json()["shifts"][0]["calls"] == 0
    assert other.get("/api/calls", params={"facility": "pkm-candilama"}).status_code == 403


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"outcome": "lost"}, "outcome"),
        ({"facility": "pkm-nowhere"}, "facility"),
        ({"date": "2030-02-30"}, "date"),
        ({"before": "0"}, "before"),
    ],
)
def test_bad_call_filters_name_the_field(login, params: dict, field: str) -> None:  # type: ignore[no-untyped-def]
    answer = login("viewer").get("/api/calls", params=params)
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == field


def test_paging_walks_every_record_once(login, settings: Settings) -> None:  # type: ignore[no-untyped-def]
    for n in range(7):
        record_call(settings, 100 + n, _pagi(n), 3.0)
    viewer = login("viewer")
    seen, before = [], None
    while True:
        params = {"limit": 3, **({"before": before} if before else {})}
        answer = viewer.get("/api/calls", params=params).json()
        seen += [c["call_id"] for c in answer["calls"]]
        before = answer["next_before"]
        if before is None:
            break
    assert seen == [f"call-{n}" for n in range(106, 99, -1)]
