"""Service levels of a complaint: when the first response and the resolution are due, and where a
complaint stands against them at a given moment. Pure: every function takes `now` and its data.

The first response is due a number of wall-clock hours after the complaint arrived (8 by default: the
officers look every 8 hours, day and night). The resolution is due after a number of *working days*
(5 by default): only time falling on a working day in the complaint's zone counts, and a working day is
Monday to Friday unless it is one of Indonesia's public holidays as the maintained `holidays` package
lists them (moving feasts such as Idul Fitri included), never a list typed in here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

from kernel.messages import Message

DEFAULT_FIRST_RESPONSE = timedelta(hours=8)
DEFAULT_RESOLUTION_DAYS = 5
DEFAULT_WARN_BEFORE = timedelta(hours=2)
MAX_RESOLUTION_DAYS = 365


@dataclass(frozen=True)
class SlaPolicy:
    first_response: timedelta = DEFAULT_FIRST_RESPONSE
    resolution_days: int = DEFAULT_RESOLUTION_DAYS


@dataclass(frozen=True)
class SlaRules:
    """The default policy, per-category overrides and how long before a deadline to warn."""

    default: SlaPolicy = field(default_factory=SlaPolicy)
    by_category: Mapping[str, SlaPolicy] = field(default_factory=dict)
    warn_before: timedelta = DEFAULT_WARN_BEFORE

    def policy(self, category: str) -> SlaPolicy:
        return self.by_category.get(category, self.default)


def parse_overrides(items: Iterable[str], categories: Iterable[str]) -> dict[str, SlaPolicy]:
    """`category:first_response_hours:resolution_days` items (the `complaint_sla` setting), e.g.
    `obat:4:3`. Raises ValueError naming the item and what is wrong with it."""
    known = set(categories)
    found: dict[str, SlaPolicy] = {}
    for item in items:
        parts = [p.strip() for p in item.split(":")]
        if len(parts) != 3:
            raise ValueError(
                Message("complaint_sla item {item!r}: expected category:hours:working_days", item=item)
            )
        category, hours, days = parts
        if category not in known:
            raise ValueError(
                Message(
                    "complaint_sla item {item!r}: unknown category {category!r}", item=item, category=category
                )
            )
        try:
            first, resolution = float(hours), int(days)
        except ValueError:
            raise ValueError(
                Message("complaint_sla item {item!r}: hours and working days must be numbers", item=item)
            ) from None
        if not 0 < first <= 24 * 30 or not 1 <= resolution <= MAX_RESOLUTION_DAYS:
            raise ValueError(
                Message(
                    "complaint_sla item {item!r}: hours must be in (0, 720], working days in 1..{most}",
                    item=item,
                    most=MAX_RESOLUTION_DAYS,
                )
            )
        found[category] = SlaPolicy(timedelta(hours=first), resolution)
    return found


@lru_cache(maxsize=64)
def _holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("ID", years=year).keys())


def holiday_name(day: date) -> str | None:
    """The public holiday on `day`, as the library names it (None on an ordinary day)."""
    name = holidays.country_holidays("ID", years=day.year).get(day)
    return str(name) if name else None


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _holidays(day.year)


def add_working_days(start: datetime, days: int, zone: str) -> datetime:
    """The moment `days` × 24 hours of working-day time have passed since `start` (aware).

    Time on a weekend or a holiday does not count: a complaint received on Saturday starts its clock on
    Monday at 00:00 in `zone`, one received on Friday at 10:00 is due the next Friday at 10:00.
    """
    tz = ZoneInfo(zone)
    local = start.astimezone(tz)
    left = timedelta(days=days)
    day = local.date()
    cursor = local
    for _ in range(days + 400):  # bounded: no year has more than ~130 days off
        day_end = datetime.combine(day + timedelta(days=1), time(0), tz)
        if is_working_day(day):
            available = day_end - cursor
            if available >= left:
                return cursor + left
            left -= available
        day += timedelta(days=1)
        cursor = day_end
    raise ValueError(f"no {days} working days found after {start.isoformat()}")


@dataclass(frozen=True)
class Deadlines:
    first_response_due: datetime
    resolution_due: datetime


def deadlines(received_at: datetime, policy: SlaPolicy, zone: str) -> Deadlines:
    return Deadlines(
        received_at + policy.first_response,
        add_working_days(received_at, policy.resolution_days, zone),
    )


@dataclass(frozen=True)
class SlaState:
    """Where one complaint stands at `now`; `*_late` for a deadline already missed (done late or not)."""

    first_response_overdue: bool  # not answered yet and past due
    resolution_overdue: bool  # still open and past due
    first_response_due_soon: bool  # not answered yet, due within the warning window
    resolution_due_soon: bool  # still open, due within the warning window
    first_response_late: bool  # answered after the deadline, or overdue now
    resolution_late: bool

    @property
    def overdue(self) -> bool:
        return self.first_response_overdue or self.resolution_overdue

    @property
    def due_soon(self) -> bool:
        return self.first_response_due_soon or self.resolution_due_soon


def state_at(
    now: datetime,
    due: Deadlines,
    first_response_at: datetime | None,
    closed_at: datetime | None,
    warn_before: timedelta,
) -> SlaState:
    def judge(deadline: datetime, met_at: datetime | None) -> tuple[bool, bool, bool]:
        if met_at is not None:
            return False, False, met_at > deadline
        overdue = now > deadline
        return overdue, (not overdue and deadline - now <= warn_before), overdue

    fr_overdue, fr_soon, fr_late = judge(due.first_response_due, first_response_at)
    res_overdue, res_soon, res_late = judge(due.resolution_due, closed_at)
    return SlaState(fr_overdue, res_overdue, fr_soon, res_soon, fr_late, res_late)
