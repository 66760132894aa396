"""Calls pages and `/api/calls`: live calls, past records with their plan, figures per shift."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from typing import Annotated
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from geo.facilities import Facility
from kernel.messages import Message
from web import i18n
from web.access import Principal
from web.calls.services import OUTCOMES, PAGE, TARGETS_S, CallFilter, plan_in_language
from web.deps import Db, Services, Svc, User
from web.errors import Forbidden, InputError
from web.pages import page_language, render

MAX_CHOICES = 400
pages = APIRouter()
api = APIRouter(prefix="/calls", tags=["calls"])

DateQuery = Annotated[date | None, Query(description="the calls of this day (local time); default: all")]
FacilityQuery = Annotated[str | None, Query(max_length=64, description="rung or answered at this facility")]
OutcomeQuery = Annotated[
    str | None, Query(max_length=20, description="answered, abandoned, unanswered or live")
]
BeforeQuery = Annotated[int | None, Query(ge=1, description="next page: records older than this id")]


def _filter(
    svc: Services,
    user: Principal,
    day: date | None,
    facility: str | None,
    outcome: str | None,
    before: int | None,
) -> CallFilter:
    scope = None if user.national else frozenset(user.kabupaten)
    if outcome and outcome not in OUTCOMES:
        raise InputError.one(
            "outcome",
            Message("{outcome!r} is not one of {choices}", outcome=outcome, choices=", ".join(OUTCOMES)),
        )
    if facility:
        if facility not in svc.places.facilities:
            raise InputError.one("facility", Message("unknown facility {facility!r}", facility=facility))
        user.require_read(svc.places.kabupaten_of.get(facility))
    zone = (
        "Asia/Jakarta"
        if scope is None
        else next((f.timezone for f in svc.places.facilities_in(scope)), "Asia/Jakarta")
    )
    return CallFilter(day, zone, facility or None, outcome or None, scope, before)


def _choices(svc: Services, f: CallFilter) -> list[Facility] | None:
    """A pick list for a kabupaten's facilities; the whole country's would be a megabyte of options."""
    found = svc.places.facilities_in(f.kabupaten)
    return found if len(found) <= MAX_CHOICES else None


def _next_url(f: CallFilter, before: int) -> str:
    query = {"date": f.day.isoformat() if f.day else None, "facility": f.facility, "outcome": f.outcome}
    return "/calls?" + urlencode({**{k: v for k, v in query.items() if v}, "before": before})


@pages.get("/calls", response_class=HTMLResponse)
def calls_page(
    request: Request,
    db: Db,
    svc: Svc,
    user: User,
    date: DateQuery = None,
    facility: FacilityQuery = None,
    outcome: OutcomeQuery = None,
    before: BeforeQuery = None,
) -> Response:
    now = datetime.now(UTC)
    f = _filter(svc, user, date, facility, outcome, before)
    if f.day is None:  # the page opens on today, in the user's own time zone
        f = dataclasses.replace(f, day=now.astimezone(ZoneInfo(f.zone)).date())
    calls = svc.calls.page(db, f, now)
    return render(
        request,
        "calls.html",
        user,
        calls=calls,
        live=svc.calls.live(db, f.kabupaten, now) if before is None else [],
        figures=svc.calls.figures(db, f, now),
        targets=TARGETS_S,
        f=f,
        outcomes=OUTCOMES,
        facilities=_choices(svc, f),
        next_url=_next_url(f, calls[-1].id) if len(calls) == PAGE else None,
        call_zone=lambda c: svc.places.zone_of_facility(
            c.answered_facility, svc.places.zone_of_area(c.area_code or None, f.zone)
        ),
    )


@pages.get("/calls/{key}", response_class=HTMLResponse)
def call_page(request: Request, db: Db, svc: Svc, user: User, key: str) -> Response:
    call = svc.calls.one(db, key)
    if not svc.calls.allowed(call, None if user.national else frozenset(user.kabupaten)):
        raise Forbidden(Message("{name} may not see call {key}", name=user.name, key=key))
    # The call's own zone: where it was answered, else where the caller is, else the user's.
    home = svc.places.zone_of_scope(None if user.national else user.kabupaten)
    zone = svc.places.zone_of_facility(
        call.answered_facility, svc.places.zone_of_area(call.area_code or None, home)
    )
    with i18n.language(page_language(request, user)):  # the stored why and notes, in the reader's words
        call = dataclasses.replace(call, plan=plan_in_language(call.plan))
    return render(request, "call.html", user, call=call, facilities=svc.places.facilities, zone=zone)


@api.get("")
def list_calls(
    db: Db,
    svc: Svc,
    user: User,
    date: DateQuery = None,
    facility: FacilityQuery = None,
    outcome: OutcomeQuery = None,
    before: BeforeQuery = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> dict:
    """Call records, newest first (50 a page; `before` = the last id for the next page)."""
    f = _filter(svc, user, date, facility, outcome, before)
    calls = svc.calls.page(db, f, datetime.now(UTC), limit)
    return {
        "calls": [c.to_json() for c in calls],
        "next_before": calls[-1].id if len(calls) == limit else None,
    }


@api.get("/live")
def live_calls(db: Db, svc: Svc, user: User) -> dict:
    """Calls in progress: their plan (who rings next) and the attempts so far."""
    scope = None if user.national else frozenset(user.kabupaten)
    return {"calls": [c.to_json(full=True) for c in svc.calls.live(db, scope, datetime.now(UTC))]}


@api.get("/figures")
def figures(db: Db, svc: Svc, user: User, date: DateQuery = None, facility: FacilityQuery = None) -> dict:
    """Per shift of a day: calls, answered, and the share answered within 15 s and 20 s."""
    f = _filter(svc, user, date, facility, None, None)
    return {"zone": f.zone, "shifts": [s.to_json() for s in svc.calls.figures(db, f, datetime.now(UTC))]}


@api.get("/{key}")
def one_call(db: Db, svc: Svc, user: User, key: str) -> dict:
    """One record with its plan (targets and why, skipped facilities and why) and every attempt."""
    call = svc.calls.one(db, key)
    if not svc.calls.allowed(call, None if user.national else frozenset(user.kabupaten)):
        raise Forbidden(Message("{name} may not see call {key}", name=user.name, key=key))
    return call.to_json(full=True)
