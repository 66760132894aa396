"""An ambulance crew's AGI scripts (agi/crew.py) through the FastAGI server, with the fake Asterisk: a status
key is recorded for the unit whose phone pressed it, and refused aloud (REFUSED) for a key off the pad, a
phone that is no unit's, an odd endpoint or a step the rules refuse; the brief gives the prompts' names,
the caller's digits and the whole incident for SendText. The real chain is tests/telephony/
test_dispatch_phone.py."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from agi.crew import (
    BRIEF_CALLER,
    BRIEF_CATEGORY,
    BRIEF_PRIORITY,
    BRIEF_TEXT,
    REFUSED,
    UNIT_STATUS,
    make_brief_handler,
    make_status_handler,
)
from agi.scripts import ScriptTable
from agi.server import FastAgiServer
from agi.testing import FakeAsterisk
from dispatch.service import open_incident
from dispatch.store import status_history, statuses, write_units_csv
from kernel.db import make_engine
from kernel.settings import SAMPLE_REGION, Settings
from lab.sample import load_sample_places
from siaga.models import TABLE_MODULES  # noqa: F401  (every table on Base)

PHONE, UNIT = "unit-smg-03", "119-smg-03"


@pytest.fixture
def db(tmp_path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'siaga.db'}")
    settings = Settings()
    load_sample_places(engine, settings.areas_path, settings.facilities_path, SAMPLE_REGION / "callers.csv")
    with Session(engine) as session, session.begin():
        units = SAMPLE_REGION / "units.csv"
        write_units_csv(session, units.read_text(encoding="utf-8"), str(units), replace=True)
    return engine


@pytest.fixture
def fake(start_server: Callable[..., FastAgiServer], db: Engine) -> FakeAsterisk:
    scripts = ScriptTable()
    scripts.register("incident-brief", make_brief_handler(lambda: db))
    scripts.register("unit-status", make_status_handler(lambda: db))
    return FakeAsterisk("127.0.0.1", start_server(scripts=scripts, call_timeout_s=5.0).port, timeout_s=5.0)


def test_a_key_from_the_units_own_phone_is_recorded_as_its_status(fake: FakeAsterisk, db: Engine) -> None:
    result = fake.call("unit-status", ("9", "short_code", PHONE))
    assert result.variables[UNIT_STATUS] == "out_of_service"
    result = fake.call("unit-status", ("6", "short_code", PHONE))
    assert result.variables[UNIT_STATUS] == "available"
    with Session(db) as session:
        assert statuses(session)[UNIT] == "available"
        assert [(c.status, c.source, c.by) for c in status_history(session, UNIT)][:2] == [
            ("available", "short_code", PHONE),
            ("out_of_service", "short_code", PHONE),
        ]


@pytest.mark.parametrize(
    "args",
    [
        ("7", "dtmf", PHONE),  # no status on 7
        ("*", "dtmf", PHONE),
        ("2", "dtmf", PHONE),  # on scene without a dispatch: the rules refuse it
        ("1", "dtmf", "pkm-gayamsari-op1"),  # not a unit's phone
        ("1", "dtmf", "../etc"),  # not an endpoint name
        ("1", "telepathy", PHONE),  # no such source
        (),
    ],
)
def test_a_key_the_rules_refuse_is_refused_and_nothing_is_written(
    fake: FakeAsterisk, db: Engine, args: tuple[str, ...]
) -> None:
    assert fake.call("unit-status", args).variables[UNIT_STATUS] == REFUSED
    with Session(db) as session:
        assert status_history(session, UNIT) == []


def test_the_brief_names_its_prompts_and_carries_the_whole_incident(fake: FakeAsterisk, db: Engine) -> None:
    with Session(db) as session, session.begin():
        incident = open_incident(
            session,
            category="henti_jantung",
            priority="1",
            actor="psc119-dispatch",
            now=datetime.now(UTC),
            categories=Settings().incident_categories,
            caller="+6281234567890",
            lat=-6.9918,
            lon=110.4449,
        )
    told = fake.call("incident-brief", (str(incident.id),)).variables
    assert (told[BRIEF_PRIORITY], told[BRIEF_CATEGORY], told[BRIEF_CALLER]) == (
        "merah",
        "henti_jantung",
        "6281234567890",
    )
    assert f"Insiden {incident.id}" in told[BRIEF_TEXT] and "-6.99180" in told[BRIEF_TEXT]
    assert fake.call("incident-brief", ("999",)).variables == {}
    assert fake.call("incident-brief", ("1;2",)).variables == {}
