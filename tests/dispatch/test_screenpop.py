"""The screen-pop's ambulance line (dispatch/screenpop.py): the same answer as the recommendation, read from
a snapshot at most every `refresh_s`, a shortlist that never drops the right answer, and a database that
fails costs the header, never the call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session

from dispatch.recommend import DispatchSettings, HospitalChoice, Recommendation, UnitChoice
from dispatch.screenpop import AmbulanceAdvice, Ready, advice_text, read_snapshot
from dispatch.service import recommend_here
from dispatch.travel import GeodesicTravel
from geo.store import read_facilities

HOUSE = (-6.9918, 110.4449)  # Gayamsari
SETTINGS = DispatchSettings()
TRAVEL = GeodesicTravel(1.4, 40.0)


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def test_the_line_is_the_recommendation_of_the_stored_data(sample_engine: Engine) -> None:
    now = datetime.now(UTC)
    advice = AmbulanceAdvice(lambda: sample_engine, SETTINGS, TRAVEL)
    with Session(sample_engine) as session:
        full = recommend_here(
            session, now, *HOUSE, need="emergency", bed_class="igd", settings=SETTINGS, travel=TRAVEL
        )
        facilities = {f.code: f for f in read_facilities(session)}
    assert advice.text(now, *HOUSE) == advice_text(full, facilities, "igd")
    assert "RS: " in advice.text(now, *HOUSE)


def test_only_ready_units_and_hospitals_with_a_fresh_free_bed_are_offered(sample_engine: Engine) -> None:
    now = datetime.now(UTC)
    with Session(sample_engine) as session:
        snap = read_snapshot(session, now)
    ready = Ready.of(snap, now, SETTINGS, "icu")
    # RSUP Kariadi's ICU is full in the sample: only RSUD Wongsonegoro is offered for ICU.
    assert [f.code for f, _ in ready.hospitals] == ["rsud-wongsonegoro"]
    assert all(u.kind == "emergency" for u, _ in ready.units)
    with Session(sample_engine) as session:
        full = recommend_here(
            session, now, *HOUSE, need="emergency", bed_class="icu", settings=SETTINGS, travel=TRAVEL
        )
    assert {u.code for u, _ in ready.units} >= {c.unit for c in full.units}


def test_the_snapshot_is_read_again_only_after_refresh(sample_engine: Engine) -> None:
    clock = Clock()
    reads: list[int] = []

    def make_db() -> Engine:
        reads.append(1)
        return sample_engine

    advice = AmbulanceAdvice(make_db, SETTINGS, TRAVEL, refresh_s=15, monotonic=clock)
    now = datetime.now(UTC)
    first = advice.snapshot(now)
    clock.t = 10
    assert advice.snapshot(now + timedelta(seconds=10)) is first
    clock.t = 16
    assert advice.snapshot(now + timedelta(seconds=16)) is not first
    advice.after_fork()
    assert advice.snapshot(now) is not None and len(reads) == 2  # a worker's own engine after the fork


def test_a_database_that_fails_leaves_the_header_out_and_keeps_the_last_snapshot(
    sample_engine: Engine, tmp_path: Path
) -> None:
    clock = Clock()
    engines = [sample_engine]
    advice = AmbulanceAdvice(lambda: engines[0], SETTINGS, TRAVEL, refresh_s=1, monotonic=clock)
    now = datetime.now(UTC)
    good = advice.text(now, *HOUSE)
    assert good
    advice._engine = create_engine(f"sqlite:///{tmp_path}/missing/none.db")  # the database goes away
    clock.t = 5
    assert advice.text(now, *HOUSE) == good  # the last snapshot still answers

    broken = AmbulanceAdvice(lambda: create_engine("sqlite:////nonexistent/x.db"), SETTINGS, TRAVEL)
    assert broken.text(now, *HOUSE) == ""


def test_the_line_is_one_safe_header_line() -> None:
    result = Recommendation(
        (UnitChoice("119-x", "base", 5200, 560, "available"),),
        (),
        (HospitalChoice("rs", "igd", 3, "2026-11-30T10:00:00+07:00", 6000),),
        (),
    )
    text = advice_text(result, {}, "igd")
    assert text == "119-x 5.2 km ~9 min; RS: rs IGD 3 free"
    empty = advice_text(Recommendation((), (), (), ()), {}, "icu")
    assert empty == "no ambulance in service nearby; RS: no fresh free ICU bed nearby"
