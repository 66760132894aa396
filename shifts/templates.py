"""The three daily shifts and when each one starts and ends in a facility's own time zone.

A night shift (malam) ends after midnight and belongs to the date it starts; its end is simply a
datetime on the next day, never a time range that wraps inside one weekday.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class ShiftTemplate:
    name: str
    start: time
    end: time  # an end at or before the start means the next day

    def window(self, day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
        start = datetime.combine(day, self.start, tzinfo=tz)
        end_day = day if self.end > self.start else day + timedelta(days=1)
        return start, datetime.combine(end_day, self.end, tzinfo=tz)


DEFAULT_SHIFTS: dict[str, ShiftTemplate] = {
    "pagi": ShiftTemplate("pagi", time(7), time(14)),
    "siang": ShiftTemplate("siang", time(14), time(21)),
    "malam": ShiftTemplate("malam", time(21), time(7)),
}
