"""The daily shifts and when each one starts and ends in a facility's own time zone.

A night shift (malam) ends after midnight and belongs to the date it starts; its end is simply a
datetime on the next day, never a time range that wraps inside one weekday. A facility may override
the national default (pagi 07–14, siang 14–21, malam 21–07) with its own shifts, e.g. a puskesmas
with an inpatient ward running 08–15 / 15–21 / 21–08; the override applies when a roster is
imported or filled, and every assignment keeps the times it was given then.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# No assignment may be longer than this, whatever `max_shift_hours` says: the snapshot query only looks
# this far back for shifts still running, which keeps it an index range instead of a table scan.
LONGEST_SHIFT = timedelta(hours=36)
MAX_SHIFT = timedelta(hours=16)  # default of the `max_shift_hours` setting

_SPEC = re.compile(r"^(?P<name>[a-z][a-z0-9_]{0,19})=(?P<start>\d{2}:\d{2})-(?P<end>\d{2}:\d{2})$")


@dataclass(frozen=True)
class ShiftTemplate:
    name: str
    start: time
    end: time  # an end at or before the start means the next day

    def window(self, day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
        start = datetime.combine(day, self.start, tzinfo=tz)
        end_day = day if self.end > self.start else day + timedelta(days=1)
        return start, datetime.combine(end_day, self.end, tzinfo=tz)

    @property
    def length(self) -> timedelta:
        start, end = self.window(date(2000, 1, 1), ZoneInfo("UTC"))
        return end - start

    def label(self) -> str:
        return f"{self.name} {self.start:%H:%M}–{self.end:%H:%M}"


DEFAULT_SHIFTS: dict[str, ShiftTemplate] = {
    "pagi": ShiftTemplate("pagi", time(7), time(14)),
    "siang": ShiftTemplate("siang", time(14), time(21)),
    "malam": ShiftTemplate("malam", time(21), time(7)),
}


def shifts_for(
    facility_code: str, overrides: Mapping[str, Mapping[str, ShiftTemplate]] | None
) -> Mapping[str, ShiftTemplate]:
    """A facility's own shifts if it has any, else the national default."""
    return (overrides or {}).get(facility_code) or DEFAULT_SHIFTS


def parse_template_spec(spec: str, max_shift: timedelta = MAX_SHIFT) -> ShiftTemplate:
    """`pagi=08:00-15:00` → a template; `malam=21:00-08:00` ends the next morning."""
    match = _SPEC.match(spec.strip())
    if match is None:
        raise ValueError(f"{spec!r} is not NAME=HH:MM-HH:MM (e.g. pagi=08:00-15:00)")
    try:
        template = ShiftTemplate(
            match["name"], time.fromisoformat(match["start"]), time.fromisoformat(match["end"])
        )
    except ValueError as exc:
        raise ValueError(f"{spec!r}: {exc}") from exc
    if template.length > max_shift:
        raise ValueError(f"{spec!r} lasts {template.length}, longer than the maximum {max_shift}")
    return template


def zone_label(zone_name: str) -> str:
    """WIB, WITA or WIT as Indonesians say it; the IANA name for anything else."""
    return {
        "Asia/Jakarta": "WIB",
        "Asia/Pontianak": "WIB",
        "Asia/Makassar": "WITA",
        "Asia/Jayapura": "WIT",
    }.get(zone_name, zone_name)
