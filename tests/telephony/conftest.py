"""Real telephony: our Asterisk in its sid root, the engine, pjsua2 answering bots and SIPp callers.

One stack per test module, on free ports and in a temporary data directory, so these tests never touch a
developer's running system. Rosters are written relative to the real clock, through the same import path
as `siaga roster import`.
"""

from __future__ import annotations

import dataclasses
import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from geo.facilities import load_facilities_csv
from shifts.roster_csv import ParsedRoster, parse_roster_csv
from shifts.store import known_staff, write_roster
from siaga.db import make_engine
from siaga.sample import sample_staff
from siaga.settings import SAMPLE_REGION, Settings
from siaga.sipp import free_udp_port, place_calls
from siaga.stack import Stack
from softphone.bots import Bot, answered_by, read_events

# Callers in the test's own directory, all at one house in Gayamsari: nearest puskesmas Gayamsari,
# then Halmahera, then Lamper Tengah.
GAYAMSARI_HOUSE = (-6.9918, 110.4449)
NEAREST, SECOND, THIRD = "pkm-gayamsari", "pkm-halmahera", "pkm-lamper-tengah"
OPERATORS = [f"{NEAREST}-op1", f"{SECOND}-op1", f"{THIRD}-op1"]


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
        """Replace the roster: `endpoints` on duty now, `ended` on a shift that ended a minute ago."""
        now = datetime.now(UTC)
        rows = ["facility_code,staff_id,start,end"]
        for endpoint in endpoints:
            rows.append(
                f"{endpoint.rsplit('-', 1)[0]},{endpoint},{(now - timedelta(hours=1)).isoformat()},"
                f"{(now + timedelta(hours=2)).isoformat()}"
            )
        for endpoint in ended:
            rows.append(
                f"{endpoint.rsplit('-', 1)[0]},{endpoint},{(now - timedelta(hours=7)).isoformat()},"
                f"{(now - timedelta(minutes=1)).isoformat()}"
            )
        zones = {f.code: f.timezone for f in load_facilities_csv(self.settings.facilities_path)}
        with Session(make_engine(self.settings.db_url)) as session, session.begin():
            parsed = parse_roster_csv("\n".join(rows) + "\n", "test roster", zones, known_staff(session))
            write_roster(session, parsed, replace=True)
        # The engine notices a roster change within roster_refresh_s.
        time.sleep(self.settings.roster_refresh_s * 2 + 0.2)

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

    def rang(self, account: str, caller: str) -> bool:
        return any(
            e.get("event") == "incoming" and e.get("account") == account and e.get("caller") == caller
            for e in read_events(self.stack.bots_dir)
        )


def _callers_file(directory: Path) -> Path:
    path = directory / "callers.csv"
    lines = ["number,lat,lon,label"]
    for n in range(1, 40):
        lines.append(f"02470000{n:02d},{GAYAMSARI_HOUSE[0]},{GAYAMSARI_HOUSE[1]},test house {n}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CallLab]:
    data_dir = tmp_path_factory.mktemp("telephony")
    settings = dataclasses.replace(
        Settings(),
        data_dir=data_dir,
        callers_file=_callers_file(data_dir),
        sip_port=free_udp_port(),
        agi_port=free_tcp_port(),
        agi_workers=2,
        ring_timeout_s=4,
        dispatcher_timeout_s=20,
        roster_refresh_s=0.2,
    )
    assert settings.region_dir == SAMPLE_REGION
    with Session(make_engine(settings.db_url)) as session, session.begin():
        write_roster(session, ParsedRoster(sample_staff(settings.region_dir), []))
    stack = Stack(settings)
    bots = [Bot(e) for e in OPERATORS] + [
        Bot(settings.dispatcher_endpoint),
        Bot(f"{SECOND}-op2", no_answer=True),
    ]
    try:
        stack.start(bots)
        yield CallLab(settings, stack, data_dir / "calls")
    finally:
        stack.stop()
