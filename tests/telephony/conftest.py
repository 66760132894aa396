"""Real telephony: our Asterisk in its sid root, the engine, pjsua2 answering bots and SIPp callers.

One stack per test module, on free ports and in a temporary data directory, so these tests never touch a
developer's running system. Rosters are written relative to the real clock, through the same import path
as `siaga roster import`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import socket
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from dispatch.store import write_units_csv
from geo.store import facility_zones
from kernel.db import make_engine
from kernel.settings import SAMPLE_REGION, Settings
from lab.sample import load_sample_places, sample_staff
from lab.sipp import free_udp_port, place_calls
from lab.stack import Stack
from routing.records.model import CallRecord
from routing.records.store import recent_calls
from shifts.roster_csv import ParsedRoster, parse_roster_csv
from shifts.store import known_staff, write_roster
from softphone.bots import Bot, answered_by, read_events
from tests.telephony.rtp_events import dtmf_pcap

# Callers in the test's own directory, all at one house in Gayamsari: nearest puskesmas Gayamsari,
# then Halmahera, then Lamper Tengah.
GAYAMSARI_HOUSE = (-6.9918, 110.4449)
NEAREST, SECOND, THIRD = "pkm-gayamsari", "pkm-halmahera", "pkm-lamper-tengah"
OPERATORS = [f"{NEAREST}-op1", f"{SECOND}-op1", f"{THIRD}-op1"]
DOCTORS = ["konter-semarang-dr1", "konter-semarang-dr2"]  # the consultation desk's members
DISPATCHER = "psc119-dispatch"  # on duty at the city's PSC 119 desk in every test roster
DESK = "psc119-semarang"
DESK_COLLEAGUES = ("psc119-semarang-d2", "psc119-semarang-d3")  # rostered only by the desk tests


def free_tcp_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclasses.dataclass
class CallLab:
    """A running stack plus the steps tests are written in."""

    settings: Settings
    stack: Stack
    run_dir: Path
    calls: int = 0

    def given_on_duty(self, *endpoints: str, ended: tuple[str, ...] = ()) -> None:
        """Replace the roster: `endpoints` on duty now (and the PSC 119 desk's dispatcher, whose queue
        takes whatever the facilities do not), `ended` on a shift that ended a minute ago."""
        now = datetime.now(UTC)
        rows = ["facility_code,staff_id,start,end"]
        desk_staff = {DISPATCHER: DESK, **{d: "konter-semarang" for d in DOCTORS}}
        for endpoint, desk in desk_staff.items():
            start, end = now - timedelta(hours=1), now + timedelta(hours=2)
            rows.append(f"{desk},{endpoint},{start.isoformat()},{end.isoformat()}")
        for endpoint in endpoints:
            if endpoint in desk_staff:
                continue
            rows.append(
                f"{endpoint.rsplit('-', 1)[0]},{endpoint},{(now - timedelta(hours=1)).isoformat()},"
                f"{(now + timedelta(hours=2)).isoformat()}"
            )
        for endpoint in ended:
            rows.append(
                f"{endpoint.rsplit('-', 1)[0]},{endpoint},{(now - timedelta(hours=7)).isoformat()},"
                f"{(now - timedelta(minutes=1)).isoformat()}"
            )
        zones = facility_zones(self.settings)
        with Session(make_engine(self.settings.db_url)) as session, session.begin():
            parsed = parse_roster_csv("\n".join(rows) + "\n", "test roster", zones, known_staff(session))
            write_roster(session, parsed, replace=True)
        # The engine notices a roster change within roster_refresh_s; desk queues follow within desk_sync_s.
        time.sleep(self.settings.roster_refresh_s * 2 + 0.2)
        self.wait_desk_members(DESK, {DISPATCHER} | {e for e in endpoints if e.startswith(f"{DESK}-")})

    def desk_members(self, desk: str) -> set[str]:
        out = self.stack.asterisk.cli(f"queue show {desk}")
        return {
            line.split("(PJSIP/", 1)[1].split(")", 1)[0] for line in out.splitlines() if "(PJSIP/" in line
        }

    def wait_desk_members(self, desk: str, members: set[str], timeout_s: float = 10.0) -> None:
        deadline = time.monotonic() + timeout_s
        while self.desk_members(desk) != members:
            if time.monotonic() > deadline:
                raise AssertionError(f"desk {desk}: members {self.desk_members(desk)}, expected {members}")
            time.sleep(0.2)

    def call_from(self, caller: str, dialled: str = "119") -> tuple[list[str], int]:
        """Place one real call; returns (accounts that answered it, SIPp's exit code)."""
        self.calls += 1
        run = place_calls(
            [(caller, dialled)],
            self.run_dir / f"sipp-{self.calls}",
            sip_port=self.settings.sip_port,
            timeout_s=120,
        )
        time.sleep(0.5)  # the bots' event files catch up with the BYE
        return answered_by(read_events(self.stack.bots_dir), caller), run.returncode

    def place(self, scenario: str, caller: str, dialled: str, *fields: str, dtmf: str = "") -> list[str]:
        """Place one call with a scenario from sipp/ (extra injection fields after caller and dialled);
        `dtmf` is written as dtmf.pcap next to it for the RFC 4733 scenario. Returns who answered."""
        self.calls += 1
        out = self.run_dir / f"sipp-{self.calls}"
        out.mkdir(parents=True, exist_ok=True)
        if dtmf:
            dtmf_pcap(dtmf, out / "dtmf.pcap")
        place_calls(
            [(caller, dialled, *fields)],
            out,
            sip_port=self.settings.sip_port,
            scenario=scenario,
            timeout_s=120,
        )
        time.sleep(0.5)
        return answered_by(read_events(self.stack.bots_dir), caller)

    def records(self) -> list[CallSummary]:
        with Session(make_engine(self.settings.db_url)) as session:
            return [CallSummary.of(r) for r in recent_calls(session, 500)]

    def record(self, caller: str = "", *, route_status: str = "", timeout_s: float = 10.0) -> CallSummary:
        """The finished record of the latest call from `caller` (or with `route_status`), once written."""
        deadline = time.monotonic() + timeout_s
        while True:
            found = [
                r
                for r in self.records()
                if r.ended
                and (not caller or r.caller == caller)
                and (not route_status or r.route_status == route_status)
            ]
            if found:
                return found[0]
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"no finished call record for {caller or route_status!r}: {self.records()}"
                )
            time.sleep(0.2)

    def rang(self, account: str, caller: str) -> bool:
        return any(
            e.get("event") == "incoming" and e.get("account") == account and e.get("caller") == caller
            for e in read_events(self.stack.bots_dir)
        )


@dataclasses.dataclass(frozen=True)
class CallSummary:
    """What a test asserts on: a call record with its plan and attempts, detached from the database."""

    call_id: str
    caller: str
    dialled: str
    service: str
    route_status: str
    location_source: str | None
    location_label: str
    accuracy_m: float | None
    area_code: str
    outcome: str | None
    answered_by: str | None
    answered_attempt: int | None
    time_to_answer_s: float | None
    ended: bool
    plan: dict[str, Any]
    attempts: list[tuple[str, str, float | None]]  # (endpoint, outcome, ring seconds)
    desk: str | None = None
    queue_wait_s: float | None = None
    queue_position: int | None = None
    overflow_path: str = ""
    abandoned_in_queue: bool = False
    started: float | None = None  # epoch seconds

    @classmethod
    def of(cls, r: CallRecord) -> CallSummary:
        return cls(
            r.call_id,
            r.caller,
            r.dialled,
            r.service,
            r.route_status,
            r.location_source,
            r.location_label,
            r.accuracy_m,
            r.area_code,
            r.outcome,
            r.answered_by,
            r.answered_attempt,
            r.time_to_answer_s,
            r.ended_at is not None,
            json.loads(r.plan_json) if r.plan_json else {},
            [(a.endpoint, a.outcome, a.ring_s) for a in r.attempts],
            r.desk,
            r.queue_wait_s,
            r.queue_position,
            r.overflow_path,
            r.abandoned_in_queue,
            r.started_at.replace(tzinfo=UTC).timestamp() if r.started_at else None,
        )

    def skip_reasons(self) -> dict[str, str]:
        return {s["facility"]: s["reason"] for s in self.plan.get("skipped", [])}


def _callers_file(directory: Path) -> Path:
    path = directory / "callers.csv"
    lines = ["number,lat,lon,label"]
    for n in range(1, 40):
        lines.append(f"02470000{n:02d},{GAYAMSARI_HOUSE[0]},{GAYAMSARI_HOUSE[1]},test house {n}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def lab_settings(data_dir: Path) -> Settings:
    """Settings for a stack of real parts in `data_dir` on free ports, with short timeouts for tests."""
    return dataclasses.replace(
        Settings(),
        data_dir=data_dir,
        sip_port=free_udp_port(),
        agi_port=free_tcp_port(),
        ami_port=free_tcp_port(),
        agi_workers=2,
        ring_timeout_s=4,
        dispatcher_timeout_s=20,
        roster_refresh_s=0.2,
        # One short IVR prompt: callers with no location wait ~5 s for it instead of ~15 s.
        ivr_attempts=1,
        ivr_digit_timeout_s=2,
        records_retry_s=0.2,
        desk_wrapup_s=1,  # desk members free again a second after a call: surges finish quickly
        pending_drain_s=1.0,
        # The scheduler runs, as in production: in its own child process, forked before any thread exists.
    )


@contextlib.contextmanager
def running_lab(
    data_dir: Path, settings: Settings | None = None, dialplan_overlays: Sequence[Path] = ()
) -> Iterator[CallLab]:
    """The sample region, the test callers and the lab's phones on a stack in `data_dir`; the scenario
    driver (tests/scenarios) builds its shared stacks with this too, with its own settings and overlays."""
    settings = settings or lab_settings(data_dir)
    assert settings.region_dir == SAMPLE_REGION
    # The sample's areas and facilities, and the test's own callers, into the lab's database.
    load_sample_places(
        make_engine(settings.db_url), settings.areas_path, settings.facilities_path, _callers_file(data_dir)
    )
    with Session(make_engine(settings.db_url)) as session, session.begin():
        write_roster(session, ParsedRoster(sample_staff(settings.region_dir), []))
        # The sample's ambulance units: their phones are endpoints of pjsip.conf (tests ring the crews).
        units = settings.region_dir / "units.csv"
        write_units_csv(session, units.read_text(encoding="utf-8"), str(units), replace=True)
    stack = Stack(settings, dialplan_overlays=dialplan_overlays)
    bots = [Bot(e) for e in OPERATORS] + [
        Bot(DISPATCHER),
        *(Bot(d) for d in DESK_COLLEAGUES),
        Bot(f"{SECOND}-op2", no_answer=True),
        *(Bot(d) for d in DOCTORS),
    ]
    try:
        stack.start(bots)
        lab = CallLab(settings, stack, data_dir / "calls")
        lab.given_on_duty()  # the desks' staff, so no test's caller waits at an empty desk
        yield lab
    finally:
        stack.stop()


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CallLab]:
    with running_lab(tmp_path_factory.mktemp("telephony")) as lab:
        yield lab
