"""How many operators a desk needs per shift and day of the week, beside how many the roster gave it.

A supervisor planning next month's roster asks: on Monday nights, how many calls does PSC 119 take, how
long does each keep an operator busy, how many operators does Erlang C say meet the target (e.g. 90 %
answered within 15 s), and how many did we actually roster? This module answers that from plain values
(the desk's call records and its duties, read by `staffing.store`); it does no I/O and takes "today" as an
argument, so the CLI, the console and the tests get the same table from the same data.

Rules, each chosen so the numbers mean what a supervisor reads into them:
- A call belongs to the shift running at the desk when it started, in the desk facility's own time zone
  and with its own shift times (`shifts.templates.shifts_for`); a night shift belongs to the date it
  starts, as it does in the roster, so the 02:00 calls of Tuesday morning are Monday's malam.
- Calls per hour = the desk's calls in that (day of week, shift) over the period / the hours those shifts
  lasted in the period. Every call offered counts (abandoned and unanswered ones too): they are demand
  the desk did not meet, not demand that was absent.
- Handle time of an answered call = its duration minus the time to answer (which includes queueing), i.e.
  the seconds an operator was busy with it. A cell with calls but none answered borrows the desk's average
  over the whole period rather than showing no requirement at all.
- Rostered = the desk's staff on duty (leave and swaps applied), counted per person as the desk's queue
  members are (`desks.members`), averaged over the time of those shifts in the period. The service level
  "if rostered" mixes the Erlang C service level of each head count by the share of time the desk had it:
  an average of 2.5 is half the time 2 and half 3, and the calls meet both.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from geo.facilities import Facility
from kernel.messages import Message
from shifts.roster import Duty
from shifts.templates import LONGEST_SHIFT, ShiftTemplate, zone_label
from staffing.erlang import agents_needed, service_level

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
DEFAULT_DAYS = 28  # four whole weeks: every day of the week the same number of times
MAX_DAYS = 366
DEFAULT_TARGET = "0.9/15"  # NENA's call-answering standard, as the calls page shows it
_TARGET = re.compile(r"^\s*(?P<share>[0-9]*\.?[0-9]+)\s*/\s*(?P<within>[0-9]*\.?[0-9]+)\s*$")


class StaffingInputError(ValueError):
    """Input the table cannot be made from; `field` is the option or query parameter at fault."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(Message("--{field}: {reason}", field=field, reason=reason))


@dataclass(frozen=True)
class Target:
    """A service-level target: `share` of calls answered within `within_s` seconds."""

    share: float
    within_s: float

    @property
    def spec(self) -> str:
        return f"{self.share:g}/{self.within_s:g}"

    def label(self) -> str:
        return f"{self.share * 100:g} % within {self.within_s:g} s"


def parse_target(text: str) -> Target:
    """`0.9/15` → 90 % within 15 s; anything else is refused with the reason."""
    match = _TARGET.match(text or "")
    if match is None:
        raise StaffingInputError(
            "target", Message("{text!r} is not SHARE/SECONDS, e.g. 0.9/15 (90 % within 15 s)", text=text)
        )
    share, within = float(match["share"]), float(match["within"])
    if not 0 < share < 1:
        raise StaffingInputError(
            "target", Message("the share in {text!r} must be between 0 and 1, e.g. 0.9", text=text)
        )
    if not within > 0:
        raise StaffingInputError(
            "target", Message("the seconds in {text!r} must be more than 0, e.g. 15", text=text)
        )
    return Target(share, within)


@dataclass(frozen=True)
class Period:
    """Shift dates from `first` to `last`, both included (a night shift counts on the date it starts)."""

    first: date
    last: date

    def days(self) -> Iterator[date]:
        day = self.first
        while day <= self.last:
            yield day
            day += timedelta(days=1)

    @property
    def length(self) -> int:
        return (self.last - self.first).days + 1


def resolve_period(first: date | None, last: date | None, today: date) -> Period:
    """The period asked for. Neither end given: the four weeks up to yesterday (today is not over yet);
    one end given: four weeks from or up to it."""
    four_weeks = timedelta(days=DEFAULT_DAYS - 1)
    if first is not None and last is not None and first > last:
        raise StaffingInputError(
            "from", Message("{first} is after --to {last}", first=first.isoformat(), last=last.isoformat())
        )
    if last is None:
        last = today - timedelta(days=1) if first is None else first + four_weeks
    if first is None:
        first = last - four_weeks
    if (last - first).days + 1 > MAX_DAYS:
        raise StaffingInputError(
            "from",
            Message(
                "the period {first} to {last} is longer than {days} days",
                first=first,
                last=last,
                days=MAX_DAYS,
            ),
        )
    return Period(first, last)


def desk_today(now: datetime, facility: Facility) -> date:
    """Today's date at the desk, which is what "yesterday" in the default period is counted from."""
    return now.astimezone(ZoneInfo(facility.timezone)).date()


@dataclass(frozen=True)
class DeskCall:
    """What the table needs of one call record of the desk."""

    started_at: datetime  # timezone-aware
    outcome: str | None  # answered | abandoned | unanswered; None while (or if never) reported
    answer_s: float | None = None  # time to answer, queueing included
    handle_s: float | None = None  # answered calls: seconds an operator was busy with it


def handle_time(
    started_at: datetime | None, ended_at: datetime | None, answer_s: float | None
) -> float | None:
    """(end - start) - time to answer; None when a part is missing or the clocks disagree (negative)."""
    if started_at is None or ended_at is None or answer_s is None:
        return None
    seconds = (ended_at - started_at).total_seconds() - answer_s
    return seconds if seconds >= 0 else None


def ordered_shifts(shifts: Mapping[str, ShiftTemplate]) -> list[ShiftTemplate]:
    """Shifts in the order of the day (pagi, siang, malam)."""
    return sorted(shifts.values(), key=lambda s: (s.start, s.name))


def span(shifts: Mapping[str, ShiftTemplate], period: Period, zone: str) -> tuple[datetime, datetime]:
    """The UTC time from the first shift's start to the last shift's end: what the store must read."""
    tz = ZoneInfo(zone)
    starts = [t.window(period.first, tz)[0] for t in shifts.values()]
    ends = [t.window(period.last, tz)[1] for t in shifts.values()]
    return min(starts).astimezone(UTC), max(ends).astimezone(UTC)


@dataclass(frozen=True)
class Cell:
    """One (day of the week, shift) of the period."""

    weekday: int  # 0 = Monday
    shift: ShiftTemplate
    occurrences: int  # how many such shifts the period holds
    hours: float  # how long they lasted in all
    calls: int
    answered: int
    within_target: int  # answered within the target's seconds
    finished: int  # calls with an outcome: what the measured service level is a share of
    aht_s: float | None
    aht_basis: str | None  # "shift": this cell's own calls; "desk": the desk's whole period; None: unknown
    erlangs: float | None
    needed: int | None
    rostered: float  # time-weighted average head count
    service_level_if_rostered: float | None

    @property
    def day(self) -> str:
        return WEEKDAYS[self.weekday]

    @property
    def calls_per_hour(self) -> float:
        return self.calls / self.hours if self.hours else 0.0

    @property
    def measured_service_level(self) -> float | None:
        return self.within_target / self.finished if self.finished else None

    @property
    def short_by(self) -> float:
        """Operators missing against the requirement (0 when the roster meets it)."""
        return max(0.0, (self.needed or 0) - self.rostered)

    def to_json(self) -> dict[str, object]:
        def rounded(value: float | None, digits: int) -> float | None:
            return None if value is None else round(value, digits)

        return {
            "day": self.day,
            "weekday": self.weekday + 1,  # ISO: Monday is 1
            "shift": self.shift.name,
            "start": f"{self.shift.start:%H:%M}",
            "end": f"{self.shift.end:%H:%M}",
            "occurrences": self.occurrences,
            "hours": round(self.hours, 2),
            "calls": self.calls,
            "answered": self.answered,
            "calls_per_hour": round(self.calls_per_hour, 3),
            "aht_s": rounded(self.aht_s, 1),
            "aht_basis": self.aht_basis,
            "erlangs": rounded(self.erlangs, 3),
            "needed": self.needed,
            "rostered": round(self.rostered, 2),
            "short_by": round(self.short_by, 2),
            "service_level_if_rostered": rounded(self.service_level_if_rostered, 4),
            "measured_service_level": rounded(self.measured_service_level, 4),
        }


@dataclass(frozen=True)
class StaffingTable:
    desk: Facility
    period: Period
    target: Target
    cells: tuple[Cell, ...]
    outside_shifts: int = 0  # calls in the span that fall in no shift of the desk (gaps in its own shifts)

    @property
    def calls(self) -> int:
        return sum(c.calls for c in self.cells)

    @property
    def zone(self) -> str:
        return f"{self.desk.timezone} ({zone_label(self.desk.timezone)})"

    def to_json(self) -> dict[str, object]:
        return {
            "desk": self.desk.code,
            "name": self.desk.name,
            "kind": self.desk.kind,
            "timezone": self.desk.timezone,
            "from": self.period.first.isoformat(),
            "to": self.period.last.isoformat(),
            "target": {"share": self.target.share, "within_s": self.target.within_s},
            "calls": self.calls,
            "outside_shifts": self.outside_shifts,
            "rows": [c.to_json() for c in self.cells],
        }


def staffing_table(
    desk: Facility,
    shifts: Mapping[str, ShiftTemplate],
    period: Period,
    target: Target,
    calls: Iterable[DeskCall],
    duties: Iterable[Duty],
) -> StaffingTable:
    """The table for one desk: per (day of the week, shift) of the period, demand beside the roster."""
    tz = ZoneInfo(desk.timezone)
    templates = ordered_shifts(shifts)
    if not templates:
        raise ValueError(Message("desk {code} has no shifts", code=desk.code))
    # Every shift of the period, by its (weekday, shift name), with its UTC window.
    occurrences: dict[tuple[int, str], list[tuple[datetime, datetime]]] = defaultdict(list)
    for day in period.days():
        for template in templates:
            start, end = template.window(day, tz)
            occurrences[(day.weekday(), template.name)].append((start.astimezone(UTC), end.astimezone(UTC)))

    by_cell: dict[tuple[int, str], list[DeskCall]] = defaultdict(list)
    outside = 0
    first_start, last_end = span(shifts, period, desk.timezone)
    for call in calls:
        if not first_start <= call.started_at < last_end:
            continue  # another period's call: not this table's business
        key = _cell_of(call.started_at, templates, tz, period)
        if key is None:
            outside += 1
        else:
            by_cell[key].append(call)
    handled = _handle_times(c for cell in by_cell.values() for c in cell)
    desk_aht = sum(handled) / len(handled) if handled else None
    heads = _HeadCounts(d for d in duties if d.facility_code == desk.code)

    cells = []
    for weekday in range(7):
        for template in templates:
            windows = occurrences.get((weekday, template.name))
            if not windows:
                continue  # a period shorter than a week does not hold every day
            mine = by_cell.get((weekday, template.name), [])
            cells.append(_cell(weekday, template, windows, mine, heads, target, desk_aht))
    return StaffingTable(desk, period, target, tuple(cells), outside)


def _handle_times(calls: Iterable[DeskCall]) -> list[float]:
    """Handle times of the answered calls that have one."""
    return [c.handle_s for c in calls if c.outcome == "answered" and c.handle_s is not None]


def _cell_of(
    at: datetime, templates: list[ShiftTemplate], tz: ZoneInfo, period: Period
) -> tuple[int, str] | None:
    """(weekday, shift) of the shift running at `at`; a night shift's hours after midnight belong to the
    evening it started. None when no shift of the period covers `at`."""
    local = at.astimezone(tz)
    for day in (local.date(), local.date() - timedelta(days=1)):
        if not period.first <= day <= period.last:
            continue
        for template in templates:
            start, end = template.window(day, tz)
            if start <= local < end:
                return day.weekday(), template.name
    return None


def _cell(
    weekday: int,
    template: ShiftTemplate,
    windows: list[tuple[datetime, datetime]],
    calls: list[DeskCall],
    heads: _HeadCounts,
    target: Target,
    desk_aht: float | None,
) -> Cell:
    seconds = sum((end - start).total_seconds() for start, end in windows)
    handled = _handle_times(calls)
    aht: float | None = None
    basis: str | None = None
    if handled:
        aht, basis = sum(handled) / len(handled), "shift"
    elif calls and desk_aht is not None:
        aht, basis = desk_aht, "desk"
    time_at: dict[int, float] = defaultdict(float)
    for start, end in windows:
        for count, spent in heads.time_at_each_count(start, end).items():
            time_at[count] += spent
    rostered = sum(k * s for k, s in time_at.items()) / seconds if seconds else 0.0
    erlangs: float | None = None
    needed: int | None = None
    level: float | None = None
    if not calls:
        erlangs, needed = 0.0, 0
    elif aht is not None:
        erlangs = len(calls) / seconds * aht
        needed = agents_needed(erlangs, aht, target.within_s, target.share)
        mixed = (spent * service_level(n, erlangs, aht, target.within_s) for n, spent in time_at.items())
        level = sum(mixed) / seconds
    answered = [c for c in calls if c.outcome == "answered"]
    return Cell(
        weekday,
        template,
        len(windows),
        seconds / 3600,
        len(calls),
        len(answered),
        sum(1 for c in answered if c.answer_s is not None and c.answer_s <= target.within_s),
        sum(1 for c in calls if c.outcome is not None),
        aht,
        basis,
        erlangs,
        needed,
        rostered,
        level,
    )


class _HeadCounts:
    """How many of the desk's people are on duty, as a step function of time.

    One person on two overlapping duties (a handover, a swap piece) counts once, as in the desk's queue.
    Duties are kept sorted by start, so each shift of a long period looks only at the duties that can
    touch it (none lasts longer than `LONGEST_SHIFT`), not at the whole roster.
    """

    def __init__(self, duties: Iterable[Duty]) -> None:
        self._duties = sorted(
            ((d.start.astimezone(UTC), d.end.astimezone(UTC), d.staff_id) for d in duties), key=lambda d: d[0]
        )
        self._starts = [d[0] for d in self._duties]

    def time_at_each_count(self, start: datetime, end: datetime) -> dict[int, float]:
        """Seconds of [start, end) during which exactly k people were on duty, for each k seen."""
        per_person: dict[str, list[tuple[datetime, datetime]]] = defaultdict(list)
        for s, e, who in self._duties[bisect_left(self._starts, start - LONGEST_SHIFT) :]:
            if s >= end:
                break
            if e > start:
                per_person[who].append((max(s, start), min(e, end)))
        changes: dict[datetime, int] = defaultdict(int)
        for pieces in per_person.values():
            for s, e in _merged(pieces):
                changes[s] += 1
                changes[e] -= 1
        spent: dict[int, float] = defaultdict(float)
        count, at = 0, start
        for moment in sorted(changes):
            if moment > at:
                spent[count] += (moment - at).total_seconds()
            count += changes[moment]
            at = moment
        if end > at:
            spent[count] += (end - at).total_seconds()
        return {k: v for k, v in spent.items() if v > 0}


def _merged(pieces: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    out: list[tuple[datetime, datetime]] = []
    for s, e in sorted(pieces):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out
