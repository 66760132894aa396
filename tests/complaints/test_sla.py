"""Service levels on Indonesia's working calendar: the holidays come from the `holidays` package."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest

from complaints.sla import (
    SlaPolicy,
    add_working_days,
    deadlines,
    is_working_day,
    parse_overrides,
    state_at,
)

WIB = ZoneInfo("Asia/Jakarta")


def _library_weekday_holiday(year: int) -> date:
    """A Tuesday–Thursday public holiday as the library lists it (not a date typed in here), so that
    skipping it is visible apart from any weekend."""
    listed = holidays.country_holidays("ID", years=year)
    for day in sorted(listed):
        if day.weekday() in (1, 2, 3) and all(
            (day + timedelta(days=k)) not in listed for k in range(-3, 8) if k
        ):
            return day
    raise AssertionError(f"the library lists no lone mid-week holiday in {year}")


def test_weekend_is_skipped() -> None:
    friday = datetime(2026, 11, 27, 10, 0, tzinfo=WIB)
    assert friday.weekday() == 4 and is_working_day(friday.date())
    due = add_working_days(friday, 5, "Asia/Jakarta")
    assert due == datetime(2026, 12, 4, 10, 0, tzinfo=WIB)  # next Friday, the weekend not counted


def test_saturday_starts_on_monday() -> None:
    saturday = datetime(2026, 11, 28, 15, 0, tzinfo=WIB)
    due = add_working_days(saturday, 1, "Asia/Jakarta")
    assert due == datetime(2026, 12, 1, 0, 0, tzinfo=WIB)  # all of Monday 30 Nov, due at its end


@pytest.mark.parametrize("year", [2026, 2027])
def test_a_holiday_from_the_library_is_skipped(year: int) -> None:
    holiday = _library_weekday_holiday(year)
    assert not is_working_day(holiday)
    start = datetime.combine(holiday - timedelta(days=1), datetime.min.time(), WIB).replace(hour=9)
    due = add_working_days(start, 1, "Asia/Jakarta")
    # 15 h left of the eve, the holiday does not count, 9 h of the day after.
    assert due == datetime.combine(holiday + timedelta(days=1), datetime.min.time(), WIB).replace(hour=9)
    assert (due - start) == timedelta(days=2)


def test_deadlines_and_state() -> None:
    received = datetime(2026, 11, 30, 9, 0, tzinfo=WIB)  # Monday
    due = deadlines(received, SlaPolicy(timedelta(hours=8), 5), "Asia/Jakarta")
    assert due.first_response_due == received + timedelta(hours=8)
    warn = timedelta(hours=2)
    soon = state_at(received + timedelta(hours=6, minutes=30), due, None, None, warn)
    assert soon.first_response_due_soon and not soon.overdue
    late = state_at(received + timedelta(hours=9), due, None, None, warn)
    assert late.first_response_overdue and late.overdue
    answered = state_at(received + timedelta(hours=9), due, received + timedelta(hours=1), None, warn)
    assert not answered.overdue and not answered.first_response_late
    answered_late = state_at(received + timedelta(hours=10), due, received + timedelta(hours=9), None, warn)
    assert answered_late.first_response_late and not answered_late.first_response_overdue


def test_overrides_parse_and_refuse() -> None:
    found = parse_overrides(["obat:4:3"], ["obat", "biaya"])
    assert found["obat"] == SlaPolicy(timedelta(hours=4), 3)
    for bad, words in [
        ("obat:4", "expected"),
        ("jamu:4:3", "unknown category"),
        ("obat:x:3", "numbers"),
        ("obat:4:0", "working days"),
    ]:
        with pytest.raises(ValueError, match=words):
            parse_overrides([bad], ["obat"])
