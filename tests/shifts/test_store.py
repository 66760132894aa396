"""The roster in the database: the lean snapshot query, boundaries, imports against what is stored."""

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kernel.dataerrors import DataError
from shifts.model import Assignment
from shifts.roster import on_duty
from shifts.store import RosterSource, add_leave, add_swap, load_duties, load_snapshot, next_boundary
from tests.shifts.builders import ZONES, at, load, roster_db

WEEK = (
    "facility_code,staff_id,date,shift\n"
    "pkm-a,sri,2026-11-22,malam\n"
    "pkm-a,budi,2026-11-23,pagi\n"
    "pkm-a,sri,2026-11-23,siang\n"
    "pkm-b,ani,2026-11-22,malam\n"
    "pkm-b,wati,2026-11-23,pagi\n"
    "pkm-mks,andi,2026-11-22,malam\n"
    "pkm-mks,andi,2026-11-23,siang\n"
    "pkm-jpr,yohana,2026-11-23,pagi\n"
)


def count(engine) -> int:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(Assignment)) or 0


def test_the_lean_snapshot_agrees_with_a_full_scan_at_every_hour(db_url: str, tmp_path: Path) -> None:
    engine = roster_db(tmp_path, db_url)
    load(engine, WEEK)
    with Session(engine) as session, session.begin():
        add_leave(session, "budi", at("2026-11-23T10:00+07:00"), at("2026-11-23T11:30+07:00"))
        add_swap(session, "andi", "yohana", at("2026-11-23T16:00+08:00"), at("2026-11-23T18:00+08:00"))
    start = at("2026-11-22T20:00+07:00")
    with Session(engine) as session:
        everything = load_duties(session, start - timedelta(days=2), start + timedelta(days=3))
        for quarter in range(4 * 30):
            moment = start + timedelta(minutes=15 * quarter)
            snapshot, _ = load_snapshot(session, moment)
            for code in ZONES:
                expected = on_duty(everything, code, moment)
                assert list(snapshot.staff_at(code)) == expected, (code, moment)
            assert snapshot.valid_until == next_boundary_after(everything, moment, session)


def next_boundary_after(duties, moment, session):  # type: ignore[no-untyped-def]
    """What the snapshot's expiry must be: the next start or end of a duty, leave or swap."""
    stored = next_boundary(session, moment)
    candidates = [t for d in duties for t in (d.start, d.end) if t > moment]
    return min([*candidates, *([stored] if stored else []), moment + timedelta(hours=24)])


def test_next_boundary_includes_leave_and_swaps(db_url: str, tmp_path: Path) -> None:
    engine = roster_db(tmp_path, db_url)
    load(engine, WEEK)
    with Session(engine) as session, session.begin():
        add_leave(session, "budi", at("2026-11-23T10:00+07:00"), at("2026-11-23T11:30+07:00"))
    with Session(engine) as session:
        # 05:30 WIB: Jayapura's morning began at 05:00 WIB; next is Makassar's night ending at 07:00 WITA.
        assert next_boundary(session, at("2026-11-23T05:30+07:00")) == at("2026-11-23T07:00+08:00")
        assert next_boundary(session, at("2026-11-23T09:00+07:00")) == at("2026-11-23T10:00+07:00")
        assert next_boundary(session, at("2026-11-23T10:00+07:00")) == at("2026-11-23T11:30+07:00")
        assert next_boundary(session, at("2026-11-30T00:00+07:00")) is None


def test_roster_source_rebuilds_at_the_boundary_and_on_a_new_revision(db_url: str, tmp_path: Path) -> None:
    engine = roster_db(tmp_path, db_url)
    load(engine, WEEK)
    source = RosterSource(engine, refresh_s=3600)  # only boundaries and forced reads may rebuild
    night = source.snapshot(at("2026-11-23T06:00+07:00"))
    assert [d.staff_id for d in night.staff_at("pkm-a")] == ["sri"]
    assert night.valid_until == at("2026-11-23T07:00+07:00")
    morning = source.snapshot(at("2026-11-23T07:00+07:00"))
    assert [d.staff_id for d in morning.staff_at("pkm-a")] == ["budi"]
    load(
        engine, "facility_code,staff_id,start,end\npkm-a,ani,2026-11-23T07:30+07:00,2026-11-23T09:00+07:00\n"
    )
    assert source.snapshot(at("2026-11-23T08:00+07:00")) is morning  # within refresh_s: cached
    assert [d.staff_id for d in source.rebuild(at("2026-11-23T08:00+07:00")).staff_at("pkm-a")] == [
        "budi",
        "ani",
    ]


def test_an_import_overlapping_the_stored_roster_is_refused_whole(db_url: str, tmp_path: Path) -> None:
    engine = roster_db(tmp_path, db_url)
    load(engine, WEEK)
    before = count(engine)
    clash = (
        "facility_code,staff_id,date,shift\n"
        "pkm-b,ani,2026-11-24,pagi\n"  # fine on its own
        "pkm-b,sri,2026-11-23,pagi\n"  # sri works pkm-a's night until 07:00 and siang from 14:00: fine
        "pkm-b,budi,2026-11-23,pagi\n"  # budi is on pagi at pkm-a already
    )
    with pytest.raises(DataError) as err:
        load(engine, clash)
    assert [(e.line, e.field) for e in err.value.errors] == [(4, "start")]
    assert "budi is already rostered at pkm-a on 2026-11-23 (pagi)" in str(err.value)
    assert count(engine) == before


def test_update_replaces_the_files_facilities_and_dates_only(db_url: str, tmp_path: Path) -> None:
    engine = roster_db(tmp_path, db_url)
    load(engine, WEEK)
    before = count(engine)
    corrected = "facility_code,staff_id,date,shift\npkm-a,sri,2026-11-23,pagi\npkm-a,budi,2026-11-23,siang\n"
    result = load(engine, corrected, update=True)
    assert result.replaced_facilities == 1
    with Session(engine) as session:
        morning = load_duties(session, at("2026-11-23T08:00+07:00"), at("2026-11-23T08:00+07:00"))
    assert sorted((d.facility_code, d.staff_id) for d in morning) == [
        ("pkm-a", "sri"),
        ("pkm-b", "wati"),
        ("pkm-jpr", "yohana"),
    ]
    assert count(engine) == before - 2 + 2  # pkm-a's two shifts of 2026-11-23 replaced, nothing else


def test_a_dry_run_writes_nothing(db_url: str, tmp_path: Path) -> None:
    engine = roster_db(tmp_path, db_url)
    before = count(engine)
    result = load(engine, WEEK, dry_run=True)
    assert (result.assignments, result.written) == (8, False)
    assert count(engine) == before


def test_an_unreadable_database_costs_nothing_while_the_snapshot_is_valid(tmp_path: Path) -> None:
    """Before the fix the snapshot raised when the database could not be read, though the one in memory
    held until 07:00: every call in that window lost its plan."""
    engine = roster_db(tmp_path)
    load(engine, WEEK)
    source = RosterSource(engine, refresh_s=0)  # every call asks the database
    night = source.snapshot(at("2026-11-23T06:00+07:00"))
    (tmp_path / "gone").mkdir()
    engine.dispose()
    db_file = Path(str(engine.url.database))
    db_file.rename(tmp_path / "gone" / db_file.name)
    db_file.mkdir()  # the path is now a folder: SQLite cannot open it
    try:
        assert source.snapshot(at("2026-11-23T06:30+07:00")) is night
        with pytest.raises(Exception, match=r"unable to open|not a database|is a directory"):
            source.snapshot(at("2026-11-23T07:00+07:00"))  # past the boundary: no guessing
    finally:
        db_file.rmdir()
        (tmp_path / "gone" / db_file.name).rename(db_file)
    assert [d.staff_id for d in source.snapshot(at("2026-11-23T07:00+07:00")).staff_at("pkm-a")] == ["budi"]
