"""Crews come from the roster: the optional `unit` column of a roster CSV, stored on the assignment, read
back as worked (leave and swaps applied)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from dispatch.store import crew_duties
from dispatch.units import crew_states
from kernel.dataerrors import DataError
from shifts.roster_csv import StaffRow, parse_roster_csv
from shifts.store import add_leave, add_staff, add_swap

ZONES = {"rsup-kariadi": "Asia/Jakarta", "pkm-genuk": "Asia/Jakarta"}
KNOWN = {
    "drv": StaffRow("drv", "Driver", "driver", "drv", "rsup-kariadi"),
    "med": StaffRow("med", "Medic", "paramedic", "med", "rsup-kariadi"),
    "op": StaffRow("op", "Operator", "operator", "op", "pkm-genuk"),
}
UNITS = {"amb-1": "rsup-kariadi"}
HEADER = "facility_code,staff_id,date,shift,unit\n"


def test_the_unit_column_puts_a_person_on_a_unit_for_that_shift_and_is_optional() -> None:
    parsed = parse_roster_csv(
        HEADER + "rsup-kariadi,drv,2026-11-30,pagi,amb-1\nrsup-kariadi,med,2026-11-30,pagi,\n",
        "r.csv",
        ZONES,
        KNOWN,
        units=UNITS,
    )
    assert [(a.staff_id, a.unit) for a in parsed.assignments] == [("drv", "amb-1"), ("med", None)]
    plain = parse_roster_csv(
        "facility_code,staff_id,date,shift\nrsup-kariadi,drv,2026-11-30,pagi\n", "r.csv", ZONES, KNOWN
    )
    assert plain.assignments[0].unit is None


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("rsup-kariadi,drv,2026-11-30,pagi,amb-9", "r.csv:2: unit: unknown unit 'amb-9'"),
        (
            "pkm-genuk,drv,2026-11-30,pagi,amb-1",
            "r.csv:2: unit: unit amb-1 is based at rsup-kariadi, not pkm-genuk",
        ),
        ("pkm-genuk,op,2026-11-30,pagi,amb-1", "r.csv:2: unit: a operator does not crew a unit"),
        ("rsup-kariadi,drv,2026-11-30,pagi,amb 1", "r.csv:2: unit: 'amb 1' is not a unit code"),
    ],
)
def test_a_bad_unit_is_named_with_its_line(line: str, expected: str) -> None:
    with pytest.raises(DataError) as refused:
        parse_roster_csv(HEADER + line + "\n", "r.csv", ZONES, KNOWN, units=UNITS)
    assert str(refused.value.errors[0]).startswith(expected)


def test_the_sample_crews_are_read_back_from_the_database_with_swaps_and_leave(sample_engine: Engine) -> None:
    now = datetime.now(UTC)
    with Session(sample_engine) as session:
        duties = crew_duties(session, now)
    states = crew_states(now, duties)
    assert states["119-smg-01"].problem is None and states["119-smg-03"].problem is None
    assert "119-smg-04" not in states or states["119-smg-04"].problem == "no driver"
    (driver,) = states["119-smg-01"].drivers
    (medic,) = states["119-smg-01"].medics

    with Session(sample_engine) as session, session.begin():
        add_staff(session, "relief-drv", "Relief Driver", "driver", "relief-drv", "rsup-kariadi")
        add_swap(session, driver, "relief-drv", now - timedelta(minutes=1), now + timedelta(hours=1))
        add_leave(session, medic, now - timedelta(minutes=1), now + timedelta(hours=1), "sakit")
    with Session(sample_engine) as session:
        state = crew_states(now, crew_duties(session, now))["119-smg-01"]
    assert state.drivers == ("relief-drv",), "the swapped-in colleague drives the unit"
    assert state.problem == "no medic", "the medic on leave is not on the unit"
