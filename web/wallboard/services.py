"""The PSC room's wallboard: what the room must see at a glance, now, for the kabupaten a user holds.

Two sources, kept apart. What only the PBX knows this second (callers waiting in each desk's queue and
for how long, which phones ring, talk or are away) arrives through `PbxStatusSource`, whose `ask` the app
hands over (`siaga.console`: Asterisk's manager interface); the console itself knows no PBX, and "unknown"
(no Asterisk) is a normal answer. Who is on duty comes from the roster, today's answer times from the
call records. `build_snapshot` joins them and is pure: `now` and every datum are its arguments.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from desks.config import is_desk
from geo.facilities import Facility
from shifts.roster import Duty
from shifts.store import load_snapshot
from web.access import Principal
from web.calls.services import CallFilter, CallsService
from web.places import Places

ANSWER_TARGETS_S = (10, 20)
TOPIC_SEPARATOR = "--"  # a consultation topic's queue: <desk>--<topic> (desks/topics.py)
TALKING = frozenset({"INUSE", "BUSY", "ONHOLD", "RINGINUSE"})
RINGING = frozenset({"RINGING", "RINGINUSE"})
REACHABLE = frozenset({"NOT_INUSE", *TALKING, *RINGING})
DEFAULT_ZONE = "Asia/Jakarta"
MAX_DAY_CALLS = 20_000  # a kabupaten's day is hundreds; a national day is read in pages of this many


@dataclass(frozen=True)
class PbxStatus:
    """What the PBX says now. `queues`: queue name → seconds each waiting caller has waited, first in line
    first. `devices`: endpoint → device state (NOT_INUSE, INUSE, RINGING, UNAVAILABLE …). `away`: endpoints
    that pressed *46."""

    queues: Mapping[str, Sequence[float]] = field(default_factory=dict)
    devices: Mapping[str, str] = field(default_factory=dict)
    away: frozenset[str] = frozenset()


class PbxStatusSource:
    """The PBX's status, asked at most once per `ttl_s` however many wallboards are open. `ask` comes
    from whoever starts the console; None from it means the PBX could not be asked."""

    @classmethod
    def unknown(cls) -> PbxStatusSource:
        return cls(lambda: None)

    def __init__(self, ask: Callable[[], PbxStatus | None], ttl_s: float = 1.0) -> None:
        self._ask = ask
        self._ttl_s = ttl_s
        self._lock = threading.Lock()
        self._at = float("-inf")
        self._value: PbxStatus | None = None

    def status(self) -> PbxStatus | None:
        with self._lock:
            if time.monotonic() - self._at >= self._ttl_s:
                self._value = self._ask()
                self._at = time.monotonic()
            return self._value


@dataclass(frozen=True)
class AnsweredCall:
    """A finished call of today, as the answer-time figures need it."""

    outcome: str | None
    time_to_answer_s: float | None


def desk_of_queue(queue: str) -> str:
    return queue.split(TOPIC_SEPARATOR, 1)[0]


def answer_figures(
    calls: Iterable[AnsweredCall], targets_s: Sequence[int] = ANSWER_TARGETS_S
) -> dict[str, Any]:
    """Finished calls, answered ones, the share answered within each target (an unanswered call counts
    against it, as NENA's standard and the calls page count), and the median time to answer."""
    finished = [c for c in calls if c.outcome is not None]
    times = sorted(
        c.time_to_answer_s for c in finished if c.outcome == "answered" and c.time_to_answer_s is not None
    )
    figures: dict[str, Any] = {
        "calls": len(finished),
        "answered": sum(1 for c in finished if c.outcome == "answered"),
        "abandoned": sum(1 for c in finished if c.outcome == "abandoned"),
        "median_answer_s": round(statistics.median(times), 1) if times else None,
    }
    for seconds in targets_s:
        within = sum(1 for t in times if t <= seconds)
        figures[f"within_{seconds}s"] = round(within / len(finished), 4) if finished else None
    return figures


def _operator_state(endpoint: str, pbx: PbxStatus | None) -> str:
    if pbx is None:
        return "unknown"
    if endpoint in pbx.away:
        return "away"
    state = pbx.devices.get(endpoint, "UNAVAILABLE").upper()
    if state in RINGING:
        return "ringing"
    if state in TALKING:
        return "talking"
    if state == "NOT_INUSE":
        return "available"
    return "unreachable"


def build_snapshot(
    now: datetime,
    scope: frozenset[str] | None,
    facilities: Mapping[str, Facility],
    kabupaten_of: Mapping[str, str | None],
    on_duty: Iterable[Duty],
    pbx: PbxStatus | None,
    today: Mapping[str, Any],
) -> dict[str, Any]:
    """The wallboard's JSON: desks with their waiting callers, operators on duty and their state, calls
    ringing / waiting / answered now, and today's figures (already summed, `answer_figures`)."""

    def visible(code: str) -> bool:
        return scope is None or kabupaten_of.get(code) in scope

    desks = sorted((f for f in facilities.values() if is_desk(f) and visible(f.code)), key=lambda f: f.name)
    waits: dict[str, list[float]] = {d.code: [] for d in desks}
    for queue, callers in (pbx.queues if pbx else {}).items():
        if desk_of_queue(queue) in waits:
            waits[desk_of_queue(queue)].extend(callers)
    duties = sorted(
        {d.endpoint: d for d in on_duty if visible(d.facility_code) and d.covers(now)}.values(),
        key=lambda d: (d.facility_code, d.staff_name),
    )
    operators = [
        {
            "endpoint": d.endpoint,
            "name": d.staff_name,
            "role": d.role,
            "facility": d.facility_code,
            "facility_name": facilities[d.facility_code].name
            if d.facility_code in facilities
            else d.facility_code,
            "state": _operator_state(d.endpoint, pbx),
        }
        for d in duties
    ]
    states = [o["state"] for o in operators]
    on_desk = {d.code: [o for o in operators if o["facility"] == d.code] for d in desks}
    return {
        "at": now.astimezone(UTC).isoformat(timespec="seconds"),
        "scope": sorted(scope) if scope is not None else None,
        "pbx": pbx is not None,
        "calls": {
            "ringing": states.count("ringing") if pbx else None,
            "waiting": sum(len(w) for w in waits.values()) if pbx else None,
            "answered": states.count("talking") if pbx else None,
        },
        "desks": [
            {
                "desk": d.code,
                "name": d.name,
                "waiting": len(waits[d.code]) if pbx else None,
                "longest_wait_s": round(max(waits[d.code]), 1) if waits[d.code] else (0.0 if pbx else None),
                "on_duty": len(on_desk[d.code]),
                "available": sum(1 for o in on_desk[d.code] if o["state"] == "available") if pbx else None,
            }
            for d in desks
        ],
        "operators": {
            "on_duty": len(operators),
            **{
                state: (states.count(state) if pbx else None)
                for state in ("available", "ringing", "talking", "away", "unreachable")
            },
            "list": operators,
        },
        "today": dict(today),
    }


class WallboardService:
    """Reads the roster and today's records for one snapshot; the PBX part comes from `pbx`."""

    def __init__(
        self, places: Places, calls: CallsService, pbx: PbxStatusSource, interval_s: float = 2.0
    ) -> None:
        self.places = places
        self.calls = calls
        self.pbx = pbx
        self.interval_s = interval_s
        self.streams_open = 0  # server-sent event streams being served now (tests watch it close)
        self._lock = threading.Lock()

    def zone(self, scope: frozenset[str] | None) -> str:
        """Today is the day of the user's own facilities' zone (WIB, WITA or WIT), Jakarta's nationally."""
        zones = {f.timezone for f in self.places.facilities_in(scope)} if scope is not None else set()
        return zones.pop() if len(zones) == 1 else DEFAULT_ZONE

    def today(self, session: Session, scope: frozenset[str] | None, now: datetime) -> dict[str, Any]:
        zone = self.zone(scope)
        day: date = now.astimezone(ZoneInfo(zone)).date()
        rows = self.calls.page(session, CallFilter(day=day, zone=zone, kabupaten=scope), now, MAX_DAY_CALLS)
        figures = answer_figures(AnsweredCall(r.outcome, r.time_to_answer_s) for r in rows)
        return {"day": day.isoformat(), "zone": zone, **figures}

    def snapshot(self, session: Session, user: Principal, now: datetime) -> dict[str, Any]:
        scope = None if user.national else frozenset(user.kabupaten)
        snapshot, _ = load_snapshot(session, now)
        duties = [d for group in snapshot.by_facility.values() for d in group]
        return build_snapshot(
            now,
            scope,
            self.places.facilities,
            self.places.kabupaten_of,
            duties,
            self.pbx.status(),
            self.today(session, scope, now),
        )

    def stream_opened(self) -> None:
        with self._lock:
            self.streams_open += 1

    def stream_closed(self) -> None:
        with self._lock:
            self.streams_open -= 1
