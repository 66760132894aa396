"""Incidents as pure data: the checks on what an operator types, the intervals of a run, the figures per
kabupaten and shift, and the Indonesian announcement the crew hears and reads.

Priority is the triage colour Indonesian PSC 119 and IGD staff already say aloud (`merah` life-threatening,
`kuning` urgent, `hijau` can wait); `1`/`2`/`3` are accepted as the same three, so a keypad or a script
can send a digit.

The intervals are what the seeds promise (speed): call → dispatch (the call's arrival, or the incident's
opening when it has no call, to the first unit sent), dispatch → on scene, on scene → at hospital, and
call → close. A step nobody reported stays unknown (None) and is left out of the figures, never guessed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from kernel.dataerrors import FieldError
from kernel.messages import N_, Message
from shifts.templates import DEFAULT_SHIFTS

PRIORITIES = ("merah", "kuning", "hijau")
_PRIORITY_DIGITS = {"1": "merah", "2": "kuning", "3": "hijau"}
INTERVALS = ("call_to_dispatch_s", "dispatch_to_scene_s", "scene_to_hospital_s", "call_to_close_s")
MAX_NOTES = 2000
MAX_ADDRESS = 200
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # newlines and tabs are fine in notes
_CALLER = re.compile(r"^\+?[0-9]{3,20}$")
_CATEGORY = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
# How the announcement says a category: the setting's code with its underscores as spaces, unless named.
_SPOKEN = {"henti_jantung": "henti jantung", "sesak_napas": "sesak napas"}
_PRIORITY_SPOKEN = {"merah": "merah (gawat darurat)", "kuning": "kuning (darurat)", "hijau": "hijau"}


@dataclass(frozen=True)
class Dispatch:
    """One unit sent to one incident, with the times its crew reported (aware UTC; None: not reported)."""

    id: int
    incident: int
    unit: str
    actor: str
    dispatched_at: datetime
    en_route_at: datetime | None = None
    on_scene_at: datetime | None = None
    transporting_at: datetime | None = None
    at_hospital_at: datetime | None = None
    returning_at: datetime | None = None
    ended_at: datetime | None = None
    end_reason: str = ""
    endpoint: str = ""  # the crew's phone, for the telephony that rings it
    announcement: str = ""  # what the crew hears and reads (set by `dispatch_unit`)

    @property
    def active(self) -> bool:
        return self.ended_at is None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "incident": self.incident,
            "unit": self.unit,
            "actor": self.actor,
        }
        for name in (
            "dispatched_at",
            "en_route_at",
            "on_scene_at",
            "transporting_at",
            "at_hospital_at",
            "returning_at",
            "ended_at",
        ):
            value = getattr(self, name)
            data[name] = value.isoformat(timespec="seconds") if value else None
        data["end_reason"] = self.end_reason or None
        if self.endpoint:
            data["endpoint"] = self.endpoint
        if self.announcement:
            data["announcement"] = self.announcement
        return data


@dataclass(frozen=True)
class Incident:
    id: int
    call_id: str | None
    caller: str
    lat: float | None
    lon: float | None
    address: str
    location_source: str
    area_code: str
    area_name: str
    kabupaten: str | None
    timezone: str
    category: str
    priority: str
    notes: str
    operator: str
    call_started_at: datetime | None
    opened_at: datetime
    dispatched_at: datetime | None = None
    on_scene_at: datetime | None = None
    at_hospital_at: datetime | None = None
    closed_at: datetime | None = None
    close_reason: str = ""
    dispatches: tuple[Dispatch, ...] = field(default=())

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def started_at(self) -> datetime:
        """When the clock starts: the call's arrival, else the incident's opening."""
        return self.call_started_at or self.opened_at

    @property
    def active_dispatches(self) -> tuple[Dispatch, ...]:
        return tuple(d for d in self.dispatches if d.active)

    def intervals(self) -> dict[str, float | None]:
        return {
            "call_to_dispatch_s": _seconds(self.started_at, self.dispatched_at),
            "dispatch_to_scene_s": _seconds(self.dispatched_at, self.on_scene_at),
            "scene_to_hospital_s": _seconds(self.on_scene_at, self.at_hospital_at),
            "call_to_close_s": _seconds(self.started_at, self.closed_at),
        }

    def age_s(self, now: datetime) -> float:
        return max(0.0, ((self.closed_at or now) - self.started_at).total_seconds())

    def to_json(self, now: datetime, statuses: dict[str, str] | None = None) -> dict[str, Any]:
        """`statuses` (unit → status now) adds each active unit's status, for the board."""
        iso = {
            name: (value.isoformat(timespec="seconds") if value else None)
            for name, value in (
                ("call_started_at", self.call_started_at),
                ("opened_at", self.opened_at),
                ("dispatched_at", self.dispatched_at),
                ("on_scene_at", self.on_scene_at),
                ("at_hospital_at", self.at_hospital_at),
                ("closed_at", self.closed_at),
            )
        }
        units = [{"unit": d.unit, "status": (statuses or {}).get(d.unit)} for d in self.active_dispatches]
        return {
            "incident": self.id,
            "call_id": self.call_id,
            "caller": self.caller,
            "lat": self.lat,
            "lon": self.lon,
            "address": self.address,
            "location_source": self.location_source,
            "area_code": self.area_code,
            "area_name": self.area_name,
            "kabupaten": self.kabupaten,
            "category": self.category,
            "priority": self.priority,
            "notes": self.notes,
            "operator": self.operator,
            "state": "open" if self.is_open else "closed",
            **iso,
            "close_reason": self.close_reason or None,
            "age_s": round(self.age_s(now)),
            "shift": shift_of(self.started_at, self.timezone),
            "intervals": {k: (None if v is None else round(v, 1)) for k, v in self.intervals().items()},
            "units": units,
            "dispatches": [d.to_json() for d in self.dispatches],
        }


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return max(0.0, (end - start).total_seconds())


# -- checks ---------------------------------------------------------------------------------------------


def category_problem(category: str, categories: Sequence[str]) -> str | None:
    if category not in categories:
        return Message("{value!r} is not one of {choices}", value=category, choices=", ".join(categories))
    return None


def categories_problem(categories: Sequence[str]) -> str | None:
    """The setting itself: codes a person can type and the announcement can say."""
    if not categories:
        return N_("incident_categories is empty")
    bad = [c for c in categories if not _CATEGORY.match(c)]
    if bad:
        return Message(
            "incident_categories: {codes} are not codes (a-z, 0-9, _)", codes=", ".join(map(repr, bad))
        )
    return None


def parse_priority(raw: str) -> tuple[str | None, str | None]:
    """(priority, problem): `merah`/`kuning`/`hijau`, or 1/2/3 for the same."""
    value = _PRIORITY_DIGITS.get(raw.strip(), raw.strip().lower())
    if value not in PRIORITIES:
        return None, Message(
            "{value!r} is not one of {choices} (or 1, 2, 3)", value=raw, choices=", ".join(PRIORITIES)
        )
    return value, None


def text_problem(value: str, limit: int) -> str | None:
    if len(value) > limit:
        return Message("longer than {limit} characters", limit=limit)
    if _CONTROL.search(value):
        return N_("control characters")
    return None


def caller_problem(caller: str) -> str | None:
    if not _CALLER.match(caller):
        return Message("{caller!r} is not a phone number (digits, optionally a leading +)", caller=caller)
    return None


def point_problems(lat: float | None, lon: float | None) -> list[FieldError]:
    if lat is None and lon is None:
        return []
    if lat is None or lon is None:
        return [FieldError("lat" if lat is None else "lon", N_("give both lat and lon, or neither"))]
    errors = []
    if not (math.isfinite(lat) and -90 <= lat <= 90):
        errors.append(FieldError("lat", Message("{lat} is not a latitude", lat=lat)))
    if not (math.isfinite(lon) and -180 <= lon <= 180):
        errors.append(FieldError("lon", Message("{lon} is not a longitude", lon=lon)))
    return errors


def kabupaten_of_area(area_code: str) -> str | None:
    """The kabupaten/kota of a Kemendagri area code (`33.74.08` → `33.74`); None above that level."""
    parts = area_code.split(".")
    return ".".join(parts[:2]) if len(parts) >= 2 and all(parts[:2]) else None


# -- the announcement -----------------------------------------------------------------------------------


def spoken_category(category: str) -> str:
    return _SPOKEN.get(category, category.replace("_", " "))


def announcement(incident: Incident) -> str:
    """What the crew hears on the dispatch call and reads in the SIP MESSAGE: incident number, category,
    priority, where (the address if known, the coordinates if known, else the area), the caller's number.
    One line of plain text (no control characters), so the same words fit speech and a message."""
    where = []
    if incident.address:
        where.append(incident.address)
    if incident.area_name:  # "Semarang Selatan < Kota Semarang < Jawa Tengah": kecamatan and kabupaten
        where.append(", ".join(incident.area_name.split(" < ")[:2]))
    if incident.lat is not None and incident.lon is not None:
        where.append(f"koordinat {incident.lat:.5f}, {incident.lon:.5f}")
    place = "; ".join(where) or "lokasi belum diketahui"
    caller = f"Nomor penelepon {incident.caller}." if incident.caller else "Nomor penelepon tidak diketahui."
    text = (
        f"Insiden {incident.id}: {spoken_category(incident.category)}, prioritas "
        f"{_PRIORITY_SPOKEN.get(incident.priority, incident.priority)}. Lokasi: {place}. {caller}"
    )
    return _CONTROL.sub(" ", text.replace("\n", " ").replace("\t", " "))


# -- figures --------------------------------------------------------------------------------------------


def shift_of(at: datetime, zone: str) -> str | None:
    """The shift (pagi, siang, malam) running at `at` in `zone`; a night shift belongs to its start date."""
    tz = ZoneInfo(zone)
    local = at.astimezone(tz)
    for day in (local.date(), local.date() - timedelta(days=1)):
        for name, template in DEFAULT_SHIFTS.items():
            start, end = template.window(day, tz)
            if start <= local < end:
                return name
    return None


def percentile(values: Sequence[float], share: float) -> float | None:
    """Nearest-rank percentile (the value at least `share` of the values are at or below)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def median(values: Sequence[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


@dataclass(frozen=True)
class IntervalFigure:
    count: int
    median_s: float | None
    p90_s: float | None

    def to_json(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "median_s": None if self.median_s is None else round(self.median_s, 1),
            "p90_s": None if self.p90_s is None else round(self.p90_s, 1),
        }


@dataclass(frozen=True)
class FigureRow:
    kabupaten: str | None
    shift: str | None
    incidents: int
    intervals: dict[str, IntervalFigure]

    def to_json(self) -> dict[str, Any]:
        return {
            "kabupaten": self.kabupaten,
            "shift": self.shift,
            "incidents": self.incidents,
            **{name: figure.to_json() for name, figure in self.intervals.items()},
        }


def figures(
    incidents: Iterable[Incident], now: datetime, since: timedelta = timedelta(days=30)
) -> list[FigureRow]:
    """Median and p90 of each interval per kabupaten and shift, over incidents whose clock started in
    (`now` - `since`, `now`]; ordered by kabupaten, then shift in the day's order."""
    if now.tzinfo is None:
        raise ValueError("figures needs a timezone-aware time")
    now = now.astimezone(UTC)
    groups: dict[tuple[str | None, str | None], list[Incident]] = {}
    for incident in incidents:
        if not (now - since < incident.started_at <= now):
            continue
        key = (incident.kabupaten, shift_of(incident.started_at, incident.timezone))
        groups.setdefault(key, []).append(incident)
    order = {name: i for i, name in enumerate(DEFAULT_SHIFTS)}
    rows = []
    for (kabupaten, shift), members in sorted(
        groups.items(), key=lambda g: (g[0][0] or "~", order.get(g[0][1] or "", 99))
    ):
        per: dict[str, IntervalFigure] = {}
        for name in INTERVALS:
            # an interval whose end lies after `now` was not yet known at `now`
            values = [v for v, m in _known(members, name, now) if v is not None]
            per[name] = IntervalFigure(len(values), median(values), percentile(values, 0.9))
        rows.append(FigureRow(kabupaten, shift, len(members), per))
    return rows


def _known(members: list[Incident], name: str, now: datetime) -> list[tuple[float | None, Incident]]:
    ends = {
        "call_to_dispatch_s": "dispatched_at",
        "dispatch_to_scene_s": "on_scene_at",
        "scene_to_hospital_s": "at_hospital_at",
        "call_to_close_s": "closed_at",
    }
    found = []
    for member in members:
        end = getattr(member, ends[name])
        found.append((member.intervals()[name] if end is not None and end <= now else None, member))
    return found
