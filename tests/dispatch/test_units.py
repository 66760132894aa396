"""`siaga import units`: every bad line named (file:line: field: reason), nothing written unless the whole
file is good; and the in-service rule, a pure function of `now` and the crews' duties."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from dispatch.model import UnitRow
from dispatch.store import import_units, read_units
from dispatch.units import CrewDuty, crew_states, in_service, parse_units_csv
from geo.importers import ImportRejected
from kernel.catalogue import ROLES
from kernel.dataerrors import DataError

WIB = ZoneInfo("Asia/Jakarta")
HEADER = "code,name,base_facility,kind,endpoint\n"
FACILITIES = {"rsup-kariadi": "hospital", "pkm-genuk": "puskesmas"}


def _messages(exc: DataError) -> list[str]:
    return [str(e) for e in exc.errors]


def test_a_good_file_gives_every_unit_with_its_line() -> None:
    units = parse_units_csv(
        HEADER + "a1,Ambulans 1,rsup-kariadi,emergency,unit-a1\nt2,Transport 2,pkm-genuk,transport,unit-t2\n",
        "u.csv",
        FACILITIES,
        {},
    )
    assert [(u.code, u.base_facility, u.kind, u.endpoint, u.line) for u in units] == [
        ("a1", "rsup-kariadi", "emergency", "unit-a1", 2),
        ("t2", "pkm-genuk", "transport", "unit-t2", 3),
    ]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("a1,Ambulans,rs-nowhere,emergency,unit-a1", "u.csv:2: base_facility: unknown facility 'rs-nowhere'"),
        (
            "a1,Ambulans,rsup-kariadi,helicopter,unit-a1",
            "u.csv:2: kind: 'helicopter' is not one of emergency",
        ),
        ("a1,Ambulans,rsup-kariadi,emergency,anonymous", "u.csv:2: endpoint: "),
        ("a1,Ambulans,rsup-kariadi,emergency,unit a1", "u.csv:2: endpoint: "),
        ("a 1,Ambulans,rsup-kariadi,emergency,unit-a1", "u.csv:2: code: 'a 1' is not a unit code"),
        (",Ambulans,rsup-kariadi,emergency,unit-a1", "u.csv:2: code: missing"),
        ("a1,,rsup-kariadi,emergency,unit-a1", "u.csv:2: name: missing"),
    ],
)
def test_each_bad_field_is_named_with_its_line(line: str, expected: str) -> None:
    with pytest.raises(DataError) as refused:
        parse_units_csv(HEADER + line + "\n", "u.csv", FACILITIES, {})
    assert len(refused.value.errors) == 1
    assert _messages(refused.value)[0].startswith(expected)


def test_a_code_or_endpoint_reused_in_the_file_or_the_database_is_refused() -> None:
    stored = parse_units_csv(HEADER + "old,Old,pkm-genuk,emergency,unit-old\n", "s.csv", FACILITIES, {})
    text = (
        HEADER
        + "a1,One,rsup-kariadi,emergency,unit-a1\n"
        + "a1,Again,rsup-kariadi,emergency,unit-a1b\n"
        + "old,Stored,rsup-kariadi,emergency,unit-x\n"
        + "b2,Two,rsup-kariadi,emergency,unit-a1\n"
        + "c3,Three,rsup-kariadi,emergency,unit-old\n"
    )
    with pytest.raises(DataError) as refused:
        parse_units_csv(text, "u.csv", FACILITIES, {u.code: u for u in stored})
    assert _messages(refused.value) == [
        "u.csv:3: code: a1 is reused: already on line 2",
        "u.csv:4: code: old is reused: already stored (Old)",
        "u.csv:5: endpoint: unit-a1 is reused: already the endpoint of a1 on line 2",
        "u.csv:6: endpoint: unit-old is reused: already the endpoint of stored unit old",
    ]


def test_the_columns_must_be_exactly_the_five() -> None:
    with pytest.raises(DataError) as refused:
        parse_units_csv("code,name,base_facility,kind\na,b,c,d\n", "u.csv", FACILITIES, {})
    assert "u.csv:1: columns must be exactly code,name,base_facility,kind,endpoint" in str(refused.value)


def _facility_csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "units.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_import_is_all_or_nothing_and_replace_swaps_the_table(sample_engine: Engine, tmp_path: Path) -> None:
    with Session(sample_engine) as session:
        before = {u.code for u in read_units(session)}
    assert before == {"119-smg-01", "119-smg-02", "119-smg-03", "119-smg-04"}
    bad = _facility_csv(
        tmp_path,
        HEADER + "n1,New one,rsup-kariadi,emergency,unit-n1\nn2,New two,rs-nowhere,emergency,unit-n2\n",
    )
    with pytest.raises(ImportRejected) as refused:
        import_units(sample_engine, bad)
    assert [str(e) for e in refused.value.errors] == [
        f"{bad}:3: base_facility: unknown facility 'rs-nowhere'"
    ]
    with Session(sample_engine) as session:
        assert {u.code for u in read_units(session)} == before, "the good line 2 was not written either"

    again = _facility_csv(tmp_path, HEADER + "119-smg-01,Same code,rsup-kariadi,emergency,unit-zz\n")
    with pytest.raises(ImportRejected, match="119-smg-01 is reused: already stored"):
        import_units(sample_engine, again)
    result = import_units(sample_engine, again, replace=True)
    assert result.imported == 1
    with Session(sample_engine) as session:
        assert session.scalar(select(func.count()).select_from(UnitRow)) == 1
        assert [u.endpoint for u in read_units(session)] == ["unit-zz"]


# -- in service ----------------------------------------------------------------------------------------

T0 = datetime(2026, 11, 30, 7, 0, tzinfo=WIB)


def _duty(unit: str, staff: str, role: str, start: datetime = T0, hours: int = 7) -> CrewDuty:
    return CrewDuty(unit, staff, role, start, start + timedelta(hours=hours))


def test_paramedic_is_a_role() -> None:
    assert "paramedic" in ROLES


@pytest.mark.parametrize("medic", ["nurse", "midwife", "doctor", "paramedic"])
def test_a_driver_and_any_medic_put_a_unit_in_service(medic: str) -> None:
    duties = [_duty("u1", "d", "driver"), _duty("u1", "m", medic)]
    assert in_service(T0 + timedelta(hours=1), duties, "u1")
    assert crew_states(T0, duties)["u1"].problem is None


def test_a_unit_without_driver_or_medic_or_anyone_is_not_in_service_and_says_why() -> None:
    duties = [
        _duty("drivers-only", "d1", "driver"),
        _duty("medics-only", "m1", "paramedic"),
        _duty("operator-and-driver", "o1", "operator"),
        _duty("operator-and-driver", "d2", "driver"),
    ]
    states = crew_states(T0, duties)
    assert states["drivers-only"].problem == "no medic"
    assert states["medics-only"].problem == "no driver"
    assert states["operator-and-driver"].problem == "no medic", "an operator is no medic"
    assert "empty" not in states
    assert not in_service(T0, duties, "empty")


def test_in_service_follows_the_clock_with_the_end_of_a_shift_excluded() -> None:
    duties = [_duty("u1", "d", "driver"), _duty("u1", "m", "nurse", T0 + timedelta(hours=2), 5)]
    assert not in_service(T0 + timedelta(hours=1), duties, "u1"), "the medic starts at 09:00"
    assert in_service(T0 + timedelta(hours=2), duties, "u1")
    assert not in_service(T0 + timedelta(hours=7), duties, "u1"), "both shifts end at 14:00, exclusive"


def test_in_service_needs_an_aware_time() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        crew_states(datetime(2026, 11, 30, 7, 0), [])
