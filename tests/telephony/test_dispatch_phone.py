"""An ambulance dispatch on the real chain (issue 11): a 119 call answered by a puskesmas bot → an incident
opened from its call id → the recommendation (the nearest unit in service, the nearest hospital with a
fresh free bed of the class asked) → the dispatch, which the engine's crew alerter turns into a SIP MESSAGE
and a call to the crew's phone (a pjsua2 softphone here) → the crew presses the status keys on that call
(RFC 4733) → the incident's intervals; and the short code *5<key> from the unit's phone afterwards.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from geopy.distance import geodesic
from sqlalchemy.orm import Session

from dispatch.recommend import DispatchSettings
from dispatch.service import dispatch_unit, get_incident, open_incident, recommend_here
from dispatch.store import status_history, statuses, write_beds_csv
from dispatch.travel import GeodesicTravel
from geo.store import facility_zones, read_facilities
from kernel.db import make_engine
from lab.sample import sample_beds_csv, sample_crew_staff, sample_staff
from shifts.roster_csv import ParsedRoster, parse_roster_csv
from shifts.sipsecrets import endpoint_passwords
from shifts.store import known_staff, write_roster
from softphone.bots import read_events
from softphone.cli import run_command
from softphone.events import ANSWERED, MESSAGE, Event
from softphone.keys import parse_line
from softphone.phone import Softphone
from tests.telephony.conftest import GAYAMSARI_HOUSE, NEAREST, CallLab

pytestmark = pytest.mark.telephony

CALLER = "0247000031"  # the lab's test house in Gayamsari
OPERATOR = f"{NEAREST}-op1"
IN_SERVICE, NO_CREW = "119-smg-03", "119-smg-01"  # 03 at RSUD Wongsonegoro; 01 (nearer) at RSUP Kariadi
CREW_PHONE = "unit-smg-03"


def _wait(what: str, check: Callable[[], object], timeout_s: float = 20.0) -> object:
    deadline = time.monotonic() + timeout_s
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout_s:g} s for {what}")
        time.sleep(0.2)


def _crew_on_duty(lab: CallLab) -> None:
    """Unit 03's driver and paramedic on duty now; unit 01 (nearer the house) has no one."""
    now = datetime.now(UTC)
    start, end = (now - timedelta(hours=1)).isoformat(), (now + timedelta(hours=2)).isoformat()
    text = (
        "facility_code,staff_id,start,end,unit\n"
        f"rsud-wongsonegoro,amb03-drv1,{start},{end},{IN_SERVICE}\n"
        f"rsud-wongsonegoro,amb03-med2,{start},{end},{IN_SERVICE}\n"
    )
    region = lab.settings.region_dir
    with Session(make_engine(lab.settings.db_url)) as session, session.begin():
        write_roster(session, ParsedRoster(sample_staff(region) + sample_crew_staff(region), []))
        units = {IN_SERVICE: "rsud-wongsonegoro", NO_CREW: "rsup-kariadi"}
        parsed = parse_roster_csv(
            text, "crew roster", facility_zones(lab.settings), known_staff(session), units=units
        )
        write_roster(session, parsed)
        beds = sample_beds_csv(region, now)
        assert beds is not None
        write_beds_csv(session, beds, "sample beds", now, replace=True)


def _played(lab: CallLab, since: int) -> list[str]:
    log = lab.stack.asterisk.run_dir / "log" / "messages.log"
    with log.open("rb") as f:
        f.seek(since)
        text = f.read().decode("utf-8", "replace")
    return [p.rsplit("/", 1)[-1].split(".", 1)[0] for p in re.findall(r"Playing '([^']+)'", text)]


def test_a_119_call_becomes_an_incident_whose_crew_is_rung_and_reports_by_keypad(lab: CallLab) -> None:
    lab.given_on_duty(OPERATOR)
    _crew_on_duty(lab)
    answered, code = lab.call_from(CALLER)
    assert (answered, code) == ([OPERATOR], 0)
    record = lab.record(CALLER)
    # The operator's screen-pop already named the ambulance and the hospital (X-Siaga-Ambulance).
    rung = [
        e
        for e in read_events(lab.stack.bots_dir)
        if e.get("event") == "incoming" and e.get("account") == OPERATOR and e.get("caller") == CALLER
    ]
    pop = rung[-1]["headers"].get("X-Siaga-Ambulance", "")
    assert pop.startswith(f"{IN_SERVICE} ") and "RSUP Dr. Kariadi IGD" in pop, pop
    engine = make_engine(lab.settings.db_url)
    settings = DispatchSettings.from_settings(lab.settings)
    travel = GeodesicTravel(lab.settings.dispatch_road_factor, lab.settings.dispatch_speed_kmh)

    # The operator opens the incident from the call: its caller and location come from the call record.
    with Session(engine) as session, session.begin():
        incident = open_incident(
            session,
            call_id=record.call_id,
            category="sesak_napas",
            priority="merah",
            actor=OPERATOR,
            now=datetime.now(UTC),
            categories=lab.settings.incident_categories,
        )
    assert incident.caller == CALLER and incident.call_started_at is not None
    assert incident.lat is not None and incident.lon is not None
    assert geodesic((incident.lat, incident.lon), GAYAMSARI_HOUSE).m < 50

    # The recommendation: RSUP Kariadi is nearer, but its unit has no crew and its ICU is full.
    with Session(engine) as session:
        advice = recommend_here(
            session,
            datetime.now(UTC),
            incident.lat,
            incident.lon,
            need="emergency",
            bed_class="icu",
            settings=settings,
            travel=travel,
        )
        hospitals = {f.code: f for f in read_facilities(session) if f.kind == "hospital"}
    assert advice.units and advice.units[0].unit == IN_SERVICE, advice
    assert NO_CREW in {s.unit for s in advice.skipped}
    near = {c: geodesic((incident.lat, incident.lon), (f.lat, f.lon)).m for c, f in hospitals.items()}
    assert near["rsup-kariadi"] < near["rsud-wongsonegoro"]  # the nearer one is skipped, for a reason
    assert advice.hospitals[0].facility == "rsud-wongsonegoro" and advice.hospitals[0].free > 0
    assert ("rsup-kariadi", "full") in {(h.facility, h.reason) for h in advice.hospitals_skipped}

    events: list[Event] = []
    password = endpoint_passwords(lab.settings, [CREW_PHONE])[CREW_PHONE]
    log = lab.stack.asterisk.run_dir / "log" / "messages.log"
    with Softphone(on_event=events.append) as phone:
        phone.add_operator(CREW_PHONE, password, f"127.0.0.1:{lab.settings.sip_port}")
        assert phone.wait_registered(10), "the unit's phone did not register"
        since = log.stat().st_size
        with Session(engine) as session, session.begin():
            sent = dispatch_unit(
                session,
                incident=str(incident.id),
                unit=advice.units[0].unit,
                actor=OPERATOR,
                now=datetime.now(UTC),
            )
        assert sent.unit == IN_SERVICE

        # The crew alerter: the incident as text, then the call; the crew's phone answers it.
        message = _wait("the incident's SIP MESSAGE", lambda: [e for e in events if e["event"] == MESSAGE])
        body = message[0]["body"]  # type: ignore[index]
        assert f"Insiden {incident.id}" in body and CALLER in body and "sesak napas" in body, body
        _wait("the crew to answer", lambda: [e for e in events if e["event"] == ANSWERED])
        _wait("the status codes to be read out", lambda: "siaga-status-kode" in _played(lab, since), 45)
        said = _played(lab, since)
        assert said[:3] == ["siaga-tugas", "siaga-prioritas-merah", "siaga-kategori-sesak_napas"], said
        caller_at = said.index("siaga-tugas-penelepon")
        assert said[caller_at + 1 : caller_at + 1 + len(CALLER)] == list(CALLER)

        for key, status in (
            ("1", "en_route"),
            ("2", "on_scene"),
            ("3", "transporting"),
            ("4", "at_hospital"),
        ):
            time.sleep(0.5)
            phone.send_dtmf(key)

            def now_status(status: str = status) -> bool:
                with Session(engine) as session:
                    return statuses(session).get(IN_SERVICE) == status

            _wait(f"unit status {status} after key {key}", now_status)
            _wait(
                f"{status} said back", lambda status=status: f"siaga-status-{status}" in _played(lab, since)
            )
            time.sleep(2.5)  # the confirmation plays to its end before the next key is read
        phone.hangup_all()

        # The short code from the unit's phone, outside any dispatch call, as `siaga softphone` dials it
        # when the crew types `status returning` (*55).
        said_back = run_command(phone, CREW_PHONE, parse_line("status returning"))
        assert said_back == f"{CREW_PHONE}: status returning reported (*55)"

        def returning() -> bool:
            with Session(engine) as session:
                return statuses(session).get(IN_SERVICE) == "returning"

        _wait("status returning by the short code", returning)

    with Session(engine) as session:
        done = get_incident(session, incident.id)
        history = status_history(session, IN_SERVICE)
    intervals = done.intervals()
    assert intervals["call_to_dispatch_s"] is not None and intervals["call_to_dispatch_s"] > 0
    assert intervals["dispatch_to_scene_s"] is not None and intervals["dispatch_to_scene_s"] > 0
    assert intervals["scene_to_hospital_s"] is not None and intervals["scene_to_hospital_s"] > 0
    assert [(c.status, c.source) for c in reversed(history)][-6:] == [
        ("dispatched", "dispatch"),
        ("en_route", "dtmf"),
        ("on_scene", "dtmf"),
        ("transporting", "dtmf"),
        ("at_hospital", "dtmf"),
        ("returning", "short_code"),
    ]
    assert all(c.by in (CREW_PHONE, OPERATOR) or c.source == "dispatch" for c in history)
