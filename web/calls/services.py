"""Calls as supervisors read them: what is ringing now, past records with their plan, skip reasons and
attempts, and answer-time figures per shift (share answered within 15 s and 20 s; NENA asks 90 % / 95 %).

Everything is read from the routing package's call records (`routing.records`), which the engine writes
off the call's path. This module only filters, pages and sums; it never writes a record.
A call belongs to a kabupaten when the caller was located there (area codes are hierarchical) or when a
facility of that kabupaten answered it.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, bindparam, case, exists, func, or_, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.sql.elements import ColumnElement

from routing.records.model import CallAttempt, CallRecord
from routing.records.store import find_call
from routing.router import WHY_ORDERS, WHY_SERVES
from shifts.templates import DEFAULT_SHIFTS
from web.errors import NotFound
from web.i18n import Recogniser, msgids_of, translate
from web.places import Places

log = logging.getLogger("siaga.web.calls")

OUTCOMES = ("answered", "abandoned", "unanswered", "live")
PAGE = 50
LIVE_WINDOW = timedelta(hours=1)  # a record without an outcome older than this is a lost report, not live
TARGETS_S = (15, 20)
FIGURES_TTL_S = 10.0
LISTS_TTL_S = 2.0
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


@dataclass(frozen=True)
class _Branch:
    """One index-friendly part of a kabupaten scope: its condition (None: everything), the index it
    reads (None: the start-time index) and its parameters."""

    condition: ColumnElement[bool] | None
    index: str | None
    params: dict[str, Any]


_ANSWERED_HERE = CallRecord.answered_facility.in_(bindparam("scope_facilities", expanding=True))
_LIST_COLUMNS = (
    CallRecord.id,
    CallRecord.call_id,
    CallRecord.started_at,
    CallRecord.caller,
    CallRecord.dialled,
    CallRecord.service,
    CallRecord.route_status,
    CallRecord.location_source,
    CallRecord.area_code,
    CallRecord.area_name,
    CallRecord.outcome,
    CallRecord.answered_by,
    CallRecord.answered_facility,
    CallRecord.time_to_answer_s,
)


def _list_view(row: Any) -> CallView:
    """A list row (`_LIST_COLUMNS`, in that order) as a view without plan or attempts."""
    return CallView(row[0], row[1], _aware(row[2]), *row[3:])


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
    def __init__(
        self, places: Places, figures_ttl_s: float = FIGURES_TTL_S, lists_ttl_s: float = LISTS_TTL_S
    ) -> None:
        self.places = places
        self._figures_ttl_s = figures_ttl_s
        self._lists_ttl_s = lists_ttl_s
        self._lists: dict[tuple[object, ...], tuple[float, list[CallView]]] = {}
        self._figures: dict[tuple[object, ...], tuple[float, list[ShiftFigures]]] = {}
        self._counting: dict[tuple[object, ...], threading.Event] = {}
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

    def _branches(self, kabupaten: frozenset[str] | None) -> list[_Branch]:
        """The scope as separate index-friendly conditions, one query each, merged afterwards.

        One query with `area in kabupaten OR answered by its facility` makes SQLite walk a whole day of
        the country's calls; one query per branch is an index range each (see the indexes in web.model).
        The facility list is one expanding parameter, so the statement's shape (and SQLAlchemy's cache
        key for it) does not grow with the number of facilities.
        """
        if kabupaten is None:
            return [_Branch(None, None, {})]
        facilities = [f.code for f in self.places.facilities_in(kabupaten)]
        branches = [
            _Branch(and_(CallRecord.area_code >= code, CallRecord.area_code < f"{code}/"), AREA_INDEX, {})
            for code in sorted(kabupaten)
        ]
        if facilities:
            branches.append(_Branch(_ANSWERED_HERE, ANSWERED_INDEX, {"scope_facilities": facilities}))
        return branches

    def _newest(
        self, session: Session, f: CallFilter, now: datetime, limit: int, full: bool = False
    ) -> list[CallView]:
        """Up to `limit` newest records of the filter. The list reads plain columns (no ORM objects,
        no plan): building a hundred mapped objects a page cost more than the two index reads; the
        plan and attempts are read only when shown (`full`)."""
        found: dict[int, Any] = {}
        for branch in self._branches(f.kabupaten):
            # Within a kabupaten the area (or facility) index finds a handful of calls; left to itself,
            # SQLite would rather walk the whole day's calls by start time. Comparing an expression of
            # the start time keeps it off that index (on SQLite and PostgreSQL alike).
            unscoped = dataclasses.replace(f, kabupaten=None)
            conditions = self._conditions(unscoped, now, by_time_index=branch.index is None)
            if f.before_id is not None:
                conditions.append(self._older_than(session, f.before_id))
            if branch.condition is not None:
                conditions.append(branch.condition)
            order = (CallRecord.started_at.desc(), CallRecord.id.desc())
            if full:
                query = select(CallRecord).where(*conditions).order_by(*order).limit(limit)
                query = query.options(selectinload(CallRecord.attempts))
                rows: Any = session.scalars(query, branch.params)
            else:
                query = select(*_LIST_COLUMNS).where(*conditions).order_by(*order).limit(limit)
                rows = session.execute(query, branch.params)
            for row in rows:
                found[row.id] = row
        ordered = sorted(found.values(), key=lambda r: (r.started_at or datetime.min, r.id), reverse=True)
        if full:
            return [_view(row, full) for row in ordered[:limit]]
        return [_list_view(row) for row in ordered[:limit]]

    def page(self, session: Session, f: CallFilter, now: datetime, limit: int = PAGE) -> list[CallView]:
        """The newest records matching the filter; pass the last id as `before_id` for the next page.

        Keyset paging on (start time, id) never skips or repeats a record and costs the same on page
        one thousand as on page one. Shared for `lists_ttl_s` by everyone asking the same (`_shared`).
        """
        return self._shared(("page", f, limit), lambda: self._newest(session, f, now, limit))

    def live(self, session: Session, kabupaten: frozenset[str] | None, now: datetime) -> list[CallView]:
        """Calls with a plan and no outcome yet: ringing through their targets, or in conversation."""
        live = CallFilter(outcome="live", kabupaten=kabupaten)
        return self._shared(("live", kabupaten), lambda: self._newest(session, live, now, 200, full=True))

    def _shared(self, key: tuple[object, ...], read: Callable[[], list[CallView]]) -> list[CallView]:
        """The lists one scope's readers share for `lists_ttl_s` (2 s): the calls page of a kabupaten
        (or the country) is the same for all its supervisors, and a list a second or two old is what a
        reader reloading it would see anyway; the wallboard is the live view. A new call shows up in the
        list at most `lists_ttl_s` late; a detail page (`one`) is always read afresh."""
        if self._lists_ttl_s <= 0:
            return read()
        with self._lock:
            cached = self._lists.get(key)
        if cached is not None and time.monotonic() - cached[0] < self._lists_ttl_s:
            return list(cached[1])
        found = read()
        with self._lock:
            if len(self._lists) > 2000:
                self._lists.clear()
            self._lists[key] = (time.monotonic(), found)
        return list(found)

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
            running = self._counting.get(key)
            if running is None:  # this request (or a thread for it) counts; the others don't
                running = self._counting[key] = threading.Event()
                counts_here = True
            else:
                counts_here = False
        # One count at a time per key: without this, every request arriving while the country's sums
        # were being made made them again, all at once, on the same two cores. Sums already there are
        # answered at once, even when old (at most one count older than `figures_ttl_s`), and the new
        # ones are made off the request, on a session of their own; only the very first count of a key
        # is waited for.
        if cached is not None:
            if counts_here:
                work = (session.get_bind(), f, day, now, key, running)
                threading.Thread(target=self._count_apart, args=work, daemon=True).start()
            return cached[1]
        if not counts_here:
            running.wait(30)
            with self._lock:
                cached = self._figures.get(key)
            return cached[1] if cached is not None else self._count_figures(session, f, day, now)
        try:
            return self._store_figures(key, self._count_figures(session, f, day, now))
        finally:
            self._counted(key, running)

    def _count_apart(
        self,
        bind: Any,
        f: CallFilter,
        day: date,
        now: datetime,
        key: tuple[object, ...],
        running: threading.Event,
    ) -> None:
        try:
            with Session(bind) as session:
                self._store_figures(key, self._count_figures(session, f, day, now))
        except Exception:  # the old sums stay; the next request after `figures_ttl_s` tries again
            log.exception("answer-time figures not refreshed")
        finally:
            self._counted(key, running)

    def _store_figures(self, key: tuple[object, ...], found: list[ShiftFigures]) -> list[ShiftFigures]:
        with self._lock:
            if len(self._figures) > 1000:
                self._figures.clear()
            self._figures[key] = (time.monotonic(), found)
        return found

    def _counted(self, key: tuple[object, ...], running: threading.Event) -> None:
        with self._lock:
            self._counting.pop(key, None)
        running.set()

    def _count_figures(self, session: Session, f: CallFilter, day: date, now: datetime) -> list[ShiftFigures]:
        """Finished calls of the day's shifts, read through the same index-friendly branches as the
        list (a call both located in and answered by the kabupaten counts once), summed here."""
        zone = ZoneInfo(f.zone)
        windows = [(name, *t.window(day, zone)) for name, t in DEFAULT_SHIFTS.items()]
        lo, hi = min(w[1] for w in windows), max(w[2] for w in windows)
        branches = self._branches(f.kabupaten)
        if len(branches) == 1:
            return self._sum_figures(session, f, windows, lo, hi, branches[0], now)
        rows: dict[int, tuple[datetime, str, float | None]] = {}
        for branch in branches:
            started_at = (
                CallRecord.started_at if branch.index is None else func.coalesce(CallRecord.started_at, None)
            )
            query = select(
                CallRecord.id, CallRecord.started_at, CallRecord.outcome, CallRecord.time_to_answer_s
            )
            conditions = self._conditions(CallFilter(facility=f.facility), now)
            conditions += [CallRecord.outcome.is_not(None), started_at >= _naive(lo), started_at < _naive(hi)]
            if branch.condition is not None:
                conditions.append(branch.condition)
            for record_id, started, outcome, answer_s in session.execute(
                query.where(*conditions), branch.params
            ):
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

    def _sum_figures(
        self,
        session: Session,
        f: CallFilter,
        windows: list[tuple[str, datetime, datetime]],
        lo: datetime,
        hi: datetime,
        branch: _Branch,
        now: datetime,
    ) -> list[ShiftFigures]:
        """The same sums made by the database, for a scope read in one branch (the whole country: a
        day's calls are ~15,000 rows, ~50 ms to carry into Python and add up there, ~5 ms in SQL).
        With one branch no call can be counted twice, so nothing needs its id."""
        shift = case(
            *(
                (and_(CallRecord.started_at >= _naive(s), CallRecord.started_at < _naive(e)), n)
                for n, s, e in windows
            ),
            else_=None,
        )
        answered = and_(CallRecord.outcome == "answered", CallRecord.time_to_answer_s.is_not(None))
        conditions = self._conditions(CallFilter(facility=f.facility), now)
        conditions += [
            CallRecord.outcome.is_not(None),
            CallRecord.started_at >= _naive(lo),
            CallRecord.started_at < _naive(hi),
        ]
        if branch.condition is not None:
            conditions.append(branch.condition)
        query = (
            select(
                shift,
                func.count(),
                func.sum(case((CallRecord.outcome == "answered", 1), else_=0)),
                *(
                    func.sum(case((and_(answered, CallRecord.time_to_answer_s <= s), 1), else_=0))
                    for s in TARGETS_S
                ),
                func.sum(case((answered, CallRecord.time_to_answer_s), else_=None)),
                func.count(case((answered, 1), else_=None)),
            )
            .where(*conditions)
            .group_by(shift)
        )
        sums = {row[0]: row[1:] for row in session.execute(query, branch.params)}
        out = []
        for name, start, end in windows:
            calls, answered_n, *within, total_s, timed = sums.get(name) or (
                0,
                0,
                *(0 for _ in TARGETS_S),
                None,
                0,
            )
            out.append(
                ShiftFigures(
                    name,
                    start,
                    end,
                    int(calls),
                    int(answered_n or 0),
                    {s: int(w or 0) for s, w in zip(TARGETS_S, within, strict=True)},
                    round(total_s / timed, 1) if timed else None,
                )
            )
        return out


# --- the plan in its reader's language ------------------------------------------------------------------

_ROUTING_FIELDS_NESTED = ("passed", "reasons", "reason", "note")


@functools.cache
def _routing_words() -> Recogniser:
    """The router's messages, read back from the plan's stored English (built on first use: it reads the
    catalog's locations once)."""
    return Recogniser(
        msgids_of("routing/"),
        choices={"order": WHY_ORDERS, "serves": (str(WHY_SERVES), "")},
        nested=_ROUTING_FIELDS_NESTED,
    )


def said_in_language(text: Any) -> Any:
    """One of the router's texts (a "why", a skip reason, a note; stored, or fresh from a plan, where the
    router writes some as plain English for speed) in the current language; anything else as it is."""
    return translate(_routing_words()(text)) if isinstance(text, str) else text


def plan_in_language(plan: dict[str, Any]) -> dict[str, Any]:
    """A copy of a stored plan whose targets' and desks' "why", skip reasons and notes are in the current
    language (`web.i18n.language`); names, codes and numbers as stored. What the record kept is not
    changed: the JSON API still gives the stored English."""
    if not plan:
        return plan
    said = said_in_language
    shown = dict(plan)
    for key, field_name in (("targets", "why"), ("desks", "why"), ("skipped", "reason")):
        if isinstance(plan.get(key), list):
            shown[key] = [
                {**item, field_name: said(item.get(field_name))} if isinstance(item, dict) else item
                for item in plan[key]
            ]
    if isinstance(plan.get("notes"), list):
        shown["notes"] = [said(note) for note in plan["notes"]]
    return shown
