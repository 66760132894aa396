"""The sample region is data other tests and the demo rely on: keep it true to its README."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from geo.region import load_region
from kernel.db import make_engine
from kernel.settings import SAMPLE_REGION
from lab.sample import load_sample_roster
from shifts.roster import on_duty
from shifts.store import load_duties


def test_sample_invariants_hold() -> None:
    done = subprocess.run(
        [sys.executable, str(SAMPLE_REGION / "check_sample.py")], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_sample_loads_through_the_engine_loaders() -> None:
    region = load_region(
        SAMPLE_REGION / "areas.geojson", SAMPLE_REGION / "facilities.csv", SAMPLE_REGION / "callers.csv"
    )
    kecamatan = [a for a in region.areas.by_code.values() if a.level == "kecamatan"]
    assert len(kecamatan) == 16
    assert sum(f.kind == "puskesmas" for f in region.facilities.values()) >= 37
    assert region.areas.containing(-6.9918, 110.4449)[0].name == "Gayamsari"


def test_sample_week_covers_every_puskesmas_but_the_one_off_this_week(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'r.db'}")
    monday = date(2026, 11, 23)
    load_sample_roster(engine, SAMPLE_REGION, SAMPLE_REGION / "facilities.csv", monday)
    region = load_region(
        SAMPLE_REGION / "areas.geojson", SAMPLE_REGION / "facilities.csv", SAMPLE_REGION / "callers.csv"
    )
    puskesmas = [f.code for f in region.facilities.values() if f.kind == "puskesmas"]
    start = datetime(2026, 11, 22, 17, 0, tzinfo=UTC)  # Monday 00:00 WIB
    with Session(engine) as session:
        duties = load_duties(session, start, start + timedelta(days=7))
    for hour in range(0, 7 * 24, 5):
        at = start + timedelta(hours=hour, minutes=30)
        for code in puskesmas:
            staffed = on_duty(duties, code, at)
            if code == "pkm-kagok":
                assert staffed == []
            else:
                assert len(staffed) == 1, (code, at)
