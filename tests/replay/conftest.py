"""A running system for `siaga replay`: real Asterisk, the engine, pjsua2 bots (some slow, some never
answering) and the sample region's own directory, on free ports in a temporary data directory.

The roster is made to exercise every failover case; tests/replay/calls.csv says, row by row, why each
call should end where it does under it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from geo.store import facility_zones
from kernel.db import make_engine
from kernel.settings import SAMPLE_REGION, Settings
from lab.sample import load_sample_places, sample_staff
from lab.stack import Stack
from shifts.roster_csv import ParsedRoster, parse_roster_csv
from shifts.store import known_staff, write_roster
from softphone.bots import Bot
from tests.telephony.conftest import lab_settings

# Operators on duty now, and how their bots behave (None: on duty but no softphone registered).
ON_DUTY: dict[str, Bot | None] = {
    "pkm-gayamsari-op1": Bot("pkm-gayamsari-op1"),
    "pkm-halmahera-op2": Bot("pkm-halmahera-op2", no_answer=True),
    "pkm-lamper-tengah-op1": Bot("pkm-lamper-tengah-op1"),
    "pkm-tlogosari-kulon-op1": None,
    "pkm-candilama-op1": Bot("pkm-candilama-op1"),
    "pkm-gunungpati-op1": Bot("pkm-gunungpati-op1", answer_after_s=2.0),
    "pkm-karangmalang-op1": Bot("pkm-karangmalang-op1", no_answer=True),
    "pkm-mijen-op1": Bot("pkm-mijen-op1"),
    "konter-semarang-dr1": Bot("konter-semarang-dr1"),
    "psc119-dispatch": Bot("psc119-dispatch"),  # at the city's PSC 119 desk: its queue's member
}
OFF_SHIFT = ("pkm-kagok-op1",)  # a shift that ended a minute ago


@dataclasses.dataclass
class ReplayLab:
    settings: Settings
    stack: Stack


def _facility(endpoint: str) -> str:
    return "psc119-semarang" if endpoint == "psc119-dispatch" else endpoint.rsplit("-", 1)[0]


def _roster(settings: Settings) -> None:
    now = datetime.now(UTC)
    rows = ["facility_code,staff_id,start,end"]
    for endpoint in ON_DUTY:
        start, end = now - timedelta(hours=1), now + timedelta(hours=3)
        rows.append(f"{_facility(endpoint)},{endpoint},{start.isoformat()},{end.isoformat()}")
    for endpoint in OFF_SHIFT:
        start, end = now - timedelta(hours=7), now - timedelta(minutes=1)
        rows.append(f"{_facility(endpoint)},{endpoint},{start.isoformat()},{end.isoformat()}")
    zones = facility_zones(settings)
    with Session(make_engine(settings.db_url)) as session, session.begin():
        parsed = parse_roster_csv("\n".join(rows) + "\n", "replay roster", zones, known_staff(session))
        write_roster(session, parsed, replace=True)


@pytest.fixture(scope="module")
def replay_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReplayLab]:
    data_dir = tmp_path_factory.mktemp("replay")
    settings = lab_settings(data_dir)
    assert settings.region_dir == SAMPLE_REGION
    load_sample_places(
        make_engine(settings.db_url),
        settings.areas_path,
        settings.facilities_path,
        settings.region_dir / "callers.csv",
    )
    with Session(make_engine(settings.db_url)) as session, session.begin():
        write_roster(session, ParsedRoster(sample_staff(settings.region_dir), []))
    _roster(settings)
    stack = Stack(settings)
    bots = [b for b in ON_DUTY.values() if b is not None]
    try:
        stack.start(bots)
        yield ReplayLab(settings, stack)
    finally:
        stack.stop()
