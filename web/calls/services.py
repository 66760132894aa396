"""Calls as supervisors read them: what is ringing now, past records with their plan, skip reasons and
attempts, and answer-time figures per shift (share answered within 15 s and 20 s; NENA asks 90 % / 95 %).

Everything is read from the routing package's call records (`routing.records`), which the engine writes
off the call's path. This module only filters, pages and sums; it never writes a record.
A call belongs to a kabupaten when the caller was located there (area codes are hierarchical) or when a
facility of that kabupaten answered it.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.sql.elements import ColumnElement

from routing.records.model import CallAttempt, CallRecord
from routing.records.store import find_call
from shifts.templates import DEFAULT_SHIFTS
from web.errors import NotFound
from web.places import Places

OUTCOMES = ("answered", "abandoned", "unanswered", "live")
PAGE = 50
LIVE_WINDOW = timedelta(hours=1)  # a record without an outcome older than this is a lost report, not live
TARGETS_S = (15, 20)
FIGURES_TTL_S = 10.0
AREA_INDEX = "ix_call_record_area_started"  # declared in routing.records.model
ANSWERED_INDEX = "ix_call_record_answered_started"


@dataclass(frozen=True)
class CallFilter:
    day: date | None = None
    zone: str = "Asia/Jakarta"
    facility: str | None = None
    outcome: str | None = None
    kabupaten: frozenset[str] | None = None  # None: every call
    before_id: int | None = None  # keyset paging: records older than this one


@dataclass(frozen=True)
class Attempt:
    n: int
    endpoint: str
    facility: str | None
    facility_name: str
    started_at: datetime | None
    ring_s: float | None
    outcome: str


@dataclass(frozen=True)
class CallView:
    id: int
    call_id: str
    started_at: datetime | None
    caller: str
    dialled: str
    service: str
    route_status: str
    location_source: str | None
    area_code: str
    area_name: str
    outcome: str | None
    answered_by: str | None
    answered_facility: str | None
    time_to_answer_s: float | None
    plan: dict[str, Any] = field(default_factory=dict)
    attempts: tuple[Attempt, ...] = ()

    @property
    def status(self) -> str:
        return self.outcome or "live"

    def to_json(self, full: bool = False) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "call_id": self.call_id,
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "caller": self.caller,
            "dialled": self.dialled,
            "service": self.service,
            "route_status": self.route_status,
            "location_source": self.location_source,
            "area_code": self.area_code,
            "area_name": self.area_name,
            "outcome": self.status,
            "answered_by": self.answered_by,
            "answered_facility": self.answered_facility,
            "time_to_answer_s": self.time_to_answer_s,
        }
        if full:
            data["plan"] = self.plan
            data["attempts"] = [
                {**a.__dict__, "started_at": a.started_at.isoformat() if a.started_at else None}
                for a in self.attempts
            ]
        return data


@dataclass(frozen=True)
class ShiftFigures:
    shift: str
    start: datetime
    end: datetime
    calls: int
    answered: int
    within: dict[int, int]  # seconds → calls answered within that many seconds
    mean_answer_s: float | None

    def share(self, seconds: int) -> float | None:
        return None if not self.calls else self.within[seconds] / self.calls

    def to_json(self) -> dict[str, Any]:
        return {
            "shift": self.shift,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "calls": self.calls,
            "answered": self.answered,
            "mean_answer_s": self.mean_answer_s,
            **{f"within_{s}s": self.within[s] for s in TARGETS_S},
            **{f"share_within_{s}s": self.share(s) for s in TARGETS_S},
        }


def _aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None else None


def _naive(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None)


def _view(row: CallRecord, full: bool = False) -> CallView:
    plan = json.loads(row.plan_json) if full and row.plan_json else {}
    attempts = tuple(
        Attempt(a.n, a.endpoint, a.facility, a.facility_name, _aware(a.started_at), a.ring_s, a.outcome)
        for a in (row.attempts if full else ())
    )
    return CallView(
        row.id,
        row.call_id,
        _aware(row.started_at),
        row.caller,
        row.dialled,
        row.service,
        row.route_status,
        row.location_source,
        row.area_code,
        row.area_name,
        row.outcome,
        row.answered_by,
        row.answered_facility,
        row.time_to_answer_s,
        plan,
        attempts,
    )


class CallsService:
    def __init__(self, places: Places, figures_ttl_s: float = FIGURES_TTL_S) -> None:
        self.places = places
        self._figures_ttl_s = figures_ttl_s
        self._figures: dict[tuple[object, ...], tuple[float, list[ShiftFigures]]] = {}
        self._lock = threading.Lock()

    def _conditions(
        self, f: CallFilter, now: datetime, by_time_index: bool = True
    ) -> list[ColumnElement[bool]]:
        started_at = CallRecord.started_at if by_time_index else func.coalesce(CallRecord.started_at, None)
        conditions: list[ColumnElement[bool]] = []  # the kabupaten scope comes from `_branches`
        if f.day is not None:
            zone = ZoneInfo(f.zone)
            start = datetime.combine(f.day, datetime.min.time(), tzinfo=zone)
            conditions += [started_at >= _naive(start), started_at < _naive(start + timedelta(days=1))]
        if f.facility:
            attempted = exists().where(
                CallAttempt.call_record_id == CallRecord.id, CallAttempt.facility == f.facility
            )
            conditions.append(or_(CallRecord.answered_facility == f.facility, attempted))
        if f.outcome == "live":
            conditions += [CallRecord.outcome.is_(None), started_at >= _naive(now - LIVE_WINDOW)]
        elif f.outcome:
            conditions.append(CallRecord.outcome == f.outcome)
        return conditions

    def _older_than(self, session: Session, before_id: int) -> ColumnElement[bool]:
        """Keyset paging on (start time, id): records that sort after the given one."""
        started = session.scalar(select(CallRecord.started_at).where(CallRecord.id == before_id))
        if started is None:
            return CallRecord.id < before_id
        return or_(
            CallRecord.started_at < started, and_(CallRecord.started_at == started, CallRecord.id < before_id)
        )

    def _branches(
        self, kabupaten: frozenset[str] | None
    ) -> list[tuple[ColumnElement[bool] | None, str | None]]:
        """The scope as separate index-friendly conditions, one query each, merged afterwards.

        One query with `area in kabupaten OR answered by its facility` makes SQLite walk a whole day of
        the country's calls; one query per branch is an index range each (see the indexes in web.model).
        """
        if kabupaten is None:
            return [(None, None)]
        facilities = [f.code for f in self.places.facilities_in(kabupaten)]
        branches: list[tuple[ColumnElement[bool] | None, str | None]] = [
            (and_(CallRecord.area_code >= code, CallRecord.area_code < f"{code}/"), AREA_INDEX)
            for code in sorted(kabupaten)
        ]
        if facilities:
            branches.append((CallRecord.answered_facility.in_(facilities), ANSWERED_INDEX))
        return branches

    def _newest(
        self, session: Session, f: CallFilter, now: datetime, limit: int, full: bool = False
    ) -> list[CallView]:
        found: dict[int, CallRecord] = {}
        for branch, index in self._branches(f.kabupaten):
            # Within a kabupaten the area (or facility) index finds a handful of calls; left to itself,
            # SQLite would rather walk the whole day's calls by start time. Comparing an expression of
            # the start time keeps it off that index (on SQLite and PostgreSQL alike).
            unscoped = dataclasses.replace(f, kabupaten=None)
            conditions = self._conditions(unscoped, now, by_time_index=index is None)
            if f.before_id is not None:
                conditions.append(self._older_than(session, f.before_id))
            query = (
                select(CallRecord)
                .where(*conditions, *([branch] if branch is not None else []))
                .order_by(CallRecord.started_at.desc(), CallRecord.id.desc())
                .limit(limit)
            )
            if full:
                query = query.options(selectinload(CallRecord.attempts))
            for row in session.scalars(query):
                found[row.id] = row
        rows = sorted(found.values(), key=lambda r: (r.started_at or datetime.min, r.id), reverse=True)
        return [_view(row, full) for row in rows[:limit]]

    def page(self, session: Session, f: CallFilter, now: datetime, limit: int = PAGE) -> list[CallView]:
        """The newest records matching the filter; pass the last id as `before_id` for the next page.

        Keyset paging on (start time, id) never skips or repeats a record and costs the same on page
        one thousand as on page one.
        """
        return self._newest(session, f, now, limit)

    def live(self, session: Session, kabupaten: frozenset[str] | None, now: datetime) -> list[CallView]:
        """Calls with a plan and no outcome yet: ringing through their targets, or in conversation."""
        return self._newest(session, CallFilter(outcome="live", kabupaten=kabupaten), now, 200, full=True)

    def one(self, session: Session, key: str) -> CallView:
        row = find_call(session, key)
        if row is None:
            raise NotFound(f"no call record {key!r}")
        return _view(row, full=True)

    def allowed(self, call: CallView, kabupaten: frozenset[str] | None) -> bool:
        if kabupaten is None:
            return True
        if any(call.area_code == k or call.area_code.startswith(f"{k}.") for k in kabupaten):
            return True
        return self.places.kabupaten_of.get(call.answered_facility or "") in kabupaten

    def figures(self, session: Session, f: CallFilter, now: datetime) -> list[ShiftFigures]:
        """Per shift of the filter's day: calls, answered, and answered within 15 s and 20 s.

        A share counts every finished call in the shift (an unanswered one counts against it), as NENA's
        standard does; calls still in progress are left out until they end. Sums over whole shifts are a
        report, not a live view: they are kept for `figures_ttl_s` (10 s), so many supervisors reading
        the calls page cost one set of sums between them.
        """
        day = f.day or now.astimezone(ZoneInfo(f.zone)).date()
        key = (f.kabupaten, f.facility, f.zone, day)
        with self._lock:
            cached = self._figures.get(key)
        if cached is not None and time.monotonic() - cached[0] < self._figures_ttl_s:
            return cached[1]
        found = self._count_figures(session, f, day, now)
        with self._lock:
            if len(self._figures) > 1000:
                self._figures.clear()
            self._figures[key] = (time.monotonic(), found)
        return found

    def _count_figures(self, session: Session, f: CallFilter, day: date, now: datetime) -> list[ShiftFigures]:
        """Finished calls of the day's shifts, read through the same index-friendly branches as the
        list (a call both located in and answered by the kabupaten counts once), summed here."""
        zone = ZoneInfo(f.zone)
        windows = [(name, *t.window(day, zone)) for name, t in DEFAULT_SHIFTS.items()]
        lo, hi = min(w[1] for w in windows), max(w[2] for w in windows)
        rows: dict[int, tuple[datetime, str, float | None]] = {}
        for branch, index in self._branches(f.kabupaten):
            started_at = (
                CallRecord.started_at if index is None else func.coalesce(CallRecord.started_at, None)
            )
            query = select(
                CallRecord.id, CallRecord.started_at, CallRecord.outcome, CallRecord.time_to_answer_s
            )
            conditions = self._conditions(CallFilter(facility=f.facility), now)
            conditions += [CallRecord.outcome.is_not(None), started_at >= _naive(lo), started_at < _naive(hi)]
            if branch is not None:
                conditions.append(branch)
            for record_id, started, outcome, answer_s in session.execute(query.where(*conditions)):
                rows[record_id] = (started.replace(tzinfo=UTC), outcome, answer_s)
        out = []
        for name, start, end in windows:
            mine = [(o, a) for at, o, a in rows.values() if start <= at < end]
            answered = [a for o, a in mine if o == "answered" and a is not None]
            out.append(
                ShiftFigures(
                    name,
                    start,
                    end,
                    len(mine),
                    sum(o == "answered" for o, _ in mine),
                    {s: sum(a <= s for a in answered) for s in TARGETS_S},
                    round(sum(answered) / len(answered), 1) if answered else None,
                )
            )
        return out
