"""`siaga import beds`: the Ministry's fields per hospital and bed class, every bad line named, all or
nothing; a count older than the stored one refused; staleness as a pure rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from dispatch.beds import BedReport, parse_beds_csv
from dispatch.store import import_beds, read_beds
from geo.importers import ImportRejected
from kernel.dataerrors import DataError

NOW = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)  # 10:00 WIB
HEADER = "hospital,bed_class,total,occupied,waiting,updated_at\n"
KINDS = {"rs-a": "hospital", "rs-b": "hospital", "pkm-x": "puskesmas"}


def test_a_good_file_keeps_each_count_with_its_time() -> None:
    reports = parse_beds_csv(
        HEADER + "rs-a,igd,20,15,2,2026-11-30T09:30+07:00\nrs-b,icu,8,8,0,2026-11-30T02:00Z\n",
        "b.csv",
        KINDS,
        NOW,
    )
    assert [(r.hospital, r.bed_class, r.free, r.waiting, r.line) for r in reports] == [
        ("rs-a", "igd", 5, 2, 2),
        ("rs-b", "icu", 0, 0, 3),
    ]
    assert reports[0].updated_at == datetime(2026, 11, 30, 2, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "rs-a,igd,20,25,0,2026-11-30T09:30+07:00",
            "b.csv:2: occupied: 25 occupied is more than the 20 beds",
        ),
        ("rs-a,igd,-1,0,0,2026-11-30T09:30+07:00", "b.csv:2: total: -1 is negative"),
        ("rs-a,igd,20,5,-3,2026-11-30T09:30+07:00", "b.csv:2: waiting: -3 is negative"),
        ("rs-a,igd,20,5,x,2026-11-30T09:30+07:00", "b.csv:2: waiting: 'x' is not a whole number"),
        (
            "rs-a,igd,20,5,0,2026-11-30T11:30+07:00",
            "b.csv:2: updated_at: 2026-11-30T11:30:00+07:00 is in the future",
        ),
        ("rs-a,igd,20,5,0,2026-11-30T09:30", "b.csv:2: updated_at: 2026-11-30T09:30:00 has no UTC offset"),
        ("rs-a,igd,20,5,0,yesterday", "b.csv:2: updated_at: 'yesterday' is not an ISO 8601 time"),
        ("rs-z,igd,20,5,0,2026-11-30T09:30+07:00", "b.csv:2: hospital: unknown facility 'rs-z'"),
        (
            "pkm-x,igd,20,5,0,2026-11-30T09:30+07:00",
            "b.csv:2: hospital: pkm-x is a puskesmas, not a hospital",
        ),
        ("rs-a,vip,20,5,0,2026-11-30T09:30+07:00", "b.csv:2: bed_class: 'vip' is not one of igd, icu"),
    ],
)
def test_each_bad_field_is_named_with_its_line(line: str, expected: str) -> None:
    with pytest.raises(DataError) as refused:
        parse_beds_csv(HEADER + line + "\n", "b.csv", KINDS, NOW)
    assert len(refused.value.errors) == 1, refused.value
    assert str(refused.value.errors[0]).startswith(expected)


def test_a_class_given_twice_in_one_file_is_refused_on_the_later_line() -> None:
    with pytest.raises(DataError) as refused:
        parse_beds_csv(
            HEADER + "rs-a,igd,20,5,0,2026-11-30T09:30+07:00\nrs-a,igd,20,6,0,2026-11-30T09:40+07:00\n",
            "b.csv",
            KINDS,
            NOW,
        )
    assert [str(e) for e in refused.value.errors] == ["b.csv:3: bed_class: rs-a igd is already on line 2"]


def test_a_count_is_stale_after_the_limit() -> None:
    report = BedReport("rs-a", "igd", 10, 2, 0, NOW - timedelta(hours=6))
    assert not report.stale(NOW, timedelta(hours=6))
    assert report.stale(NOW + timedelta(seconds=1), timedelta(hours=6))


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "beds.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_import_is_all_or_nothing_and_refuses_a_count_older_than_the_stored(
    sample_engine: Engine, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    with Session(sample_engine) as session:
        before = {(b.hospital, b.bed_class): b for b in read_beds(session)}
    stored = before[("rsup-kariadi", "igd")]
    fresh = (now - timedelta(minutes=1)).isoformat()
    bad = _write(
        tmp_path,
        HEADER + f"rsup-kariadi,igd,40,1,0,{fresh}\nrsup-kariadi,icu,30,31,0,{fresh}\n",
    )
    with pytest.raises(ImportRejected) as refused:
        import_beds(sample_engine, bad, now=now)
    assert [str(e) for e in refused.value.errors] == [
        f"{bad}:3: occupied: 31 occupied is more than the 30 beds in total"
    ]
    with Session(sample_engine) as session:
        assert {(b.hospital, b.bed_class): b for b in read_beds(session)} == before, "line 2 not written"

    older = (stored.updated_at - timedelta(hours=1)).isoformat()
    with pytest.raises(ImportRejected, match="older than the stored count"):
        import_beds(sample_engine, _write(tmp_path, HEADER + f"rsup-kariadi,igd,40,1,0,{older}\n"), now=now)

    assert (
        import_beds(
            sample_engine, _write(tmp_path, HEADER + f"rsup-kariadi,igd,40,1,0,{fresh}\n"), now=now
        ).imported
        == 1
    )
    with Session(sample_engine) as session:
        after = {(b.hospital, b.bed_class): b for b in read_beds(session)}
    assert after[("rsup-kariadi", "igd")].free == 39
    assert after[("rsup-kariadi", "icu")] == before[("rsup-kariadi", "icu")]
