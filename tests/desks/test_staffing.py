"""The staffing table: calls into (day of the week, shift) in the desk's zone, handle times, Erlang C
requirements beside the time-weighted roster; first from plain values, then read from a real database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from shifts.store import set_facility_shifts
from shifts.templates import DEFAULT_SHIFTS, ShiftTemplate
from staffing.erlang import agents_needed, service_level
from staffing.report import (
    Cell,
    DeskCall,
    Period,
    StaffingInputError,
    StaffingTable,
    Target,
    handle_time,
    parse_target,
    resolve_period,
    staffing_table,
)
from staffing.store import desk_shifts, desk_staffing, find_desk
from tests.desks.builders import (
    CONSULTATION,
    DESK,
    DESK_FACILITY,
    FACILITIES,
    FIRST,
    LAST,
    PUSKESMAS,
    WITA,
    build_database,
    desk_calls,
    duties,
    local,
)

TARGET = Target(0.9, 15)
PERIOD = Period(FIRST, LAST)


def cell(table: StaffingTable, day: str, shift: str) -> Cell:
    return next(c for c in table.cells if c.day == day and c.shift.name == shift)


@pytest.fixture
def table() -> StaffingTable:
    return staffing_table(DESK_FACILITY, DEFAULT_SHIFTS, PERIOD, TARGET, desk_calls(), duties())


def test_every_day_of_the_week_and_shift_of_a_two_week_period_is_a_row(table: StaffingTable) -> None:
    assert [(c.day, c.shift.name) for c in table.cells[:4]] == [
        ("Monday", "pagi"),
        ("Monday", "siang"),
        ("Monday", "malam"),
        ("Tuesday", "pagi"),
    ]
    assert len(table.cells) == 21
    assert {c.occurrences for c in table.cells} == {2}
    assert cell(table, "Monday", "pagi").hours == 14 and cell(table, "Monday", "malam").hours == 20
    assert table.calls == len(desk_calls()) and table.outside_shifts == 0


def test_a_busy_shift_gets_its_rate_handle_time_erlangs_and_requirement(table: StaffingTable) -> None:
    monday = cell(table, "Monday", "pagi")
    assert (monday.calls, monday.answered) == (70, 70)
    assert monday.calls_per_hour == pytest.approx(5.0)
    assert monday.aht_s == pytest.approx(360) and monday.aht_basis == "shift"
    assert monday.erlangs == pytest.approx(0.5)
    # One operator answers 51 % within 15 s, two 90.6 %: Erlang C asks for two.
    assert monday.needed == 2 == agents_needed(0.5, 360, 15, 0.9)
    assert monday.measured_service_level == pytest.approx(36 / 70)  # the even calls, 5 s; the odd ones 20 s


def test_rostered_is_the_time_weighted_head_count_and_its_service_level_the_mix(table: StaffingTable) -> None:
    monday = cell(table, "Monday", "pagi")
    assert monday.rostered == pytest.approx(2.5)  # 2 on the first Monday, 3 on the second
    expected = (service_level(2, 0.5, 360, 15) + service_level(3, 0.5, 360, 15)) / 2
    assert monday.service_level_if_rostered == pytest.approx(expected)
    assert monday.short_by == 0
    # op2's leave from 17:30 cuts the first Monday's siang: 2 people for 3.5 h, then 1; nobody a week later.
    siang = cell(table, "Monday", "siang")
    assert siang.rostered == pytest.approx((2 * 3.5 + 1 * 3.5) / 14)
    # The consultation desk's doctor on the first Monday's pagi is not the PSC desk's.
    assert cell(table, "Tuesday", "pagi").rostered == 0


def test_a_night_call_after_midnight_belongs_to_the_evening_its_shift_started(table: StaffingTable) -> None:
    malam = cell(table, "Monday", "malam")
    assert malam.calls == 1 and malam.aht_s == pytest.approx(120)
    assert malam.rostered == 1.0 and malam.needed == 1
    assert cell(table, "Tuesday", "malam").calls == 0
    assert cell(table, "Sunday", "malam").calls == 1  # 01:00 on Monday 16th, after the period's last date


def test_shifts_are_the_desks_own_time_zone() -> None:
    """07:30 WITA is 06:30 in Jakarta: the Makassar desk's Tuesday pagi, a Jakarta desk's Monday malam."""
    call = [DeskCall(datetime(2026, 11, 2, 23, 30, tzinfo=UTC), "answered", 4, 100)]
    makassar = staffing_table(DESK_FACILITY, DEFAULT_SHIFTS, PERIOD, TARGET, call, [])
    assert cell(makassar, "Tuesday", "pagi").calls == 1
    jakarta = DESK_FACILITY.__class__(**{**DESK_FACILITY.__dict__, "timezone": "Asia/Jakarta"})
    assert (
        cell(staffing_table(jakarta, DEFAULT_SHIFTS, PERIOD, TARGET, call, []), "Monday", "malam").calls == 1
    )


def test_a_shift_with_calls_but_none_answered_borrows_the_desks_handle_time(table: StaffingTable) -> None:
    tuesday = cell(table, "Tuesday", "siang")
    assert (tuesday.calls, tuesday.answered) == (2, 0)
    handled = [c.handle_s for c in desk_calls() if c.outcome == "answered"]
    assert tuesday.aht_s == pytest.approx(sum(handled) / len(handled)) and tuesday.aht_basis == "desk"
    assert tuesday.needed == 1 and tuesday.rostered == 0 and tuesday.short_by == 1
    assert tuesday.service_level_if_rostered == 0.0  # nobody there: nobody answered in time
    assert tuesday.measured_service_level == 0.0


def test_a_quiet_shift_needs_no_one_and_says_so() -> None:
    quiet = staffing_table(DESK_FACILITY, DEFAULT_SHIFTS, PERIOD, TARGET, [], duties())
    assert quiet.calls == 0
    monday = cell(quiet, "Monday", "pagi")
    assert (monday.erlangs, monday.needed, monday.aht_s) == (0.0, 0, None)
    assert monday.rostered == pytest.approx(2.5) and monday.service_level_if_rostered is None
    assert monday.to_json()["calls_per_hour"] == 0.0


def test_a_facilitys_own_shift_times_decide_where_a_call_falls() -> None:
    own = {
        "pagi": ShiftTemplate("pagi", time(8), time(15)),
        "siang": ShiftTemplate("siang", time(15), time(21)),
        "malam": ShiftTemplate("malam", time(21), time(8)),
    }
    calls = [DeskCall(local(FIRST + timedelta(days=1), 7, 30), "answered", 4, 100)]
    table = staffing_table(DESK_FACILITY, own, PERIOD, TARGET, calls, [])
    assert cell(table, "Monday", "malam").calls == 1  # 07:30 is still the night shift when it ends at 08:00
    assert cell(table, "Monday", "malam").hours == 2 * 11


def test_calls_in_no_shift_are_counted_apart_and_calls_outside_the_period_ignored() -> None:
    gappy = {"pagi": ShiftTemplate("pagi", time(8), time(16))}  # nobody covers the night
    calls = [
        DeskCall(local(FIRST, 9), "answered", 4, 100),
        DeskCall(local(FIRST, 20), "answered", 4, 100),  # in no shift
        DeskCall(local(LAST + timedelta(days=3), 9), "answered", 4, 100),  # after the period
    ]
    table = staffing_table(DESK_FACILITY, gappy, PERIOD, TARGET, calls, [])
    assert table.calls == 1 and table.outside_shifts == 1


def test_a_period_shorter_than_a_week_has_only_its_own_days() -> None:
    table = staffing_table(
        DESK_FACILITY, DEFAULT_SHIFTS, Period(FIRST, FIRST), TARGET, desk_calls(), duties()
    )
    assert {c.day for c in table.cells} == {"Monday"}
    assert cell(table, "Monday", "pagi").calls == 35 and cell(table, "Monday", "pagi").rostered == 2


def test_handle_time_is_the_duration_without_the_wait() -> None:
    start = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
    assert handle_time(start, start + timedelta(seconds=200), 20) == 180
    assert handle_time(start, start + timedelta(seconds=10), 20) is None  # clocks disagree
    assert handle_time(start, None, 20) is None and handle_time(None, start, 1) is None


@pytest.mark.parametrize("text", ["0.9", "90/15", "1/15", "0/15", "0.9/0", "0.9/-5", "a/b", "", "0.9/15/3"])
def test_a_malformed_target_is_refused_naming_the_option(text: str) -> None:
    with pytest.raises(StaffingInputError) as caught:
        parse_target(text)
    assert caught.value.field == "target" and str(caught.value).startswith("--target: ")


def test_targets_and_periods() -> None:
    assert (
        parse_target("0.8/20") == Target(0.8, 20) and parse_target(" .95 / 10 ").label() == "95 % within 10 s"
    )
    today = date(2026, 11, 30)
    assert resolve_period(None, None, today) == Period(date(2026, 11, 2), date(2026, 11, 29))
    assert resolve_period(date(2026, 11, 1), None, today) == Period(date(2026, 11, 1), date(2026, 11, 28))
    assert resolve_period(None, date(2026, 11, 14), today) == Period(date(2026, 10, 18), date(2026, 11, 14))
    with pytest.raises(StaffingInputError, match="--from: 2026-11-15 is after --to 2026-11-14"):
        resolve_period(date(2026, 11, 15), date(2026, 11, 14), today)
    with pytest.raises(StaffingInputError, match="366 days"):
        resolve_period(date(2024, 1, 1), date(2026, 1, 1), today)


# -- from the database ---------------------------------------------------------------------------------


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Session]:
    engine = build_database(tmp_path)
    with Session(engine) as session:
        yield session
    engine.dispose()


def test_the_database_gives_the_same_table_as_the_plain_values(
    session: Session, table: StaffingTable
) -> None:
    """Only the desk's own calls of the period are read (not the consultation desk's, not a call without a
    desk, not the night before the period, not a record that never started); leave comes off the roster."""
    now = datetime(2026, 11, 30, 12, tzinfo=UTC)
    stored = desk_staffing(session, DESK_FACILITY, TARGET, now, FIRST, LAST)
    assert stored.to_json() == table.to_json()
    assert stored.to_json()["calls"] == 75


def test_the_default_period_is_the_four_weeks_to_yesterday_at_the_desk(session: Session) -> None:
    # 23:30 UTC on the 29th is already the 30th in Makassar: yesterday there is the 29th.
    stored = desk_staffing(session, DESK_FACILITY, TARGET, datetime(2026, 11, 29, 23, 30, tzinfo=UTC))
    assert (stored.period.first, stored.period.last) == (date(2026, 11, 2), date(2026, 11, 29))
    assert stored.calls == 75 and {c.occurrences for c in stored.cells} == {4}


def test_a_desk_with_its_own_shift_times_is_tabled_by_them(session: Session) -> None:
    set_facility_shifts(
        session,
        CONSULTATION,
        [ShiftTemplate("pagi", time(8), time(20)), ShiftTemplate("malam", time(20), time(8))],
    )
    assert [s.name for s in desk_shifts(session, CONSULTATION).values()] == ["pagi", "malam"]
    konter = find_desk(FACILITIES, CONSULTATION)
    stored = desk_staffing(session, konter, TARGET, datetime(2026, 11, 30, tzinfo=UTC), FIRST, LAST)
    assert [(c.day, c.shift.name) for c in stored.cells[:2]] == [("Monday", "pagi"), ("Monday", "malam")]
    monday = stored.cells[0]
    # dr1's 07:00-14:00 covers 6 h of the first Monday's 08:00-20:00, nobody the second: 6 of 24 h.
    assert monday.calls == 1 and monday.rostered == pytest.approx(0.25)


def test_only_desks_are_desks() -> None:
    with pytest.raises(StaffingInputError, match=r"--desk: no facility 'psc119-nowhere' \(desks: konter"):
        find_desk(FACILITIES, "psc119-nowhere")
    with pytest.raises(StaffingInputError, match=f"--desk: {PUSKESMAS} is a puskesmas, not a desk"):
        find_desk(FACILITIES, PUSKESMAS)
    assert find_desk(FACILITIES, DESK) == DESK_FACILITY
    assert WITA.key == DESK_FACILITY.timezone
