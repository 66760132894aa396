"""The coverage page, its map picture and `/api/coverage`: who is on duty where at a chosen time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from kernel.messages import N_, Message
from shifts.templates import DEFAULT_SHIFTS
from web.access import Principal
from web.coverage.mapsvg import LABEL
from web.coverage.services import shift_time
from web.deps import Db, Services, Svc, User
from web.errors import InputError
from web.pages import render

pages = APIRouter()
api = APIRouter(tags=["coverage"])

AtQuery = Annotated[
    str | None,
    Query(
        max_length=40,
        description="ISO time; without an offset it is read in the kabupaten's own time zone. Default: now.",
    ),
]
DateQuery = Annotated[date | None, Query(description="with `shift`: the middle of that shift on that date")]
ShiftQuery = Annotated[str | None, Query(max_length=20, description="pagi, siang or malam")]


def _zone(svc: Services, kabupaten: list[str]) -> str:
    for facility in svc.places.facilities_in(set(kabupaten)):
        return facility.timezone
    return "Asia/Jakarta"


def _scope(svc: Services, user: Principal, kabupaten: list[str]) -> list[str]:
    """The kabupaten asked for (each checked), or the first one the user holds."""
    known = {a.code for a in svc.places.kabupaten_list()}
    for code in kabupaten:
        if code not in known:
            raise InputError.one("kabupaten", Message("unknown kabupaten {code!r}", code=code))
        user.require_read(code)
    if kabupaten:
        return sorted(set(kabupaten))
    mine = sorted(user.kabupaten) if not user.national else [a.code for a in svc.places.kabupaten_list()]
    return mine[:1]


def _when(zone: str, at: str | None, day: date | None, shift: str | None) -> datetime:
    if shift is not None or day is not None:
        if shift not in DEFAULT_SHIFTS:
            raise InputError.one(
                "shift",
                Message("{shift!r} is not one of {choices}", shift=shift, choices=", ".join(DEFAULT_SHIFTS)),
            )
        if day is None:
            raise InputError.one("date", N_("give the date of the shift"))
        return shift_time(day, shift, zone)
    if not at:
        return datetime.now(UTC)
    try:
        value = datetime.fromisoformat(at)
    except ValueError as exc:
        raise InputError.one(
            "at", Message("{at!r} is not an ISO time such as 2026-11-23T02:00", at=at)
        ) from exc
    return value if value.tzinfo else value.replace(tzinfo=ZoneInfo(zone))


def _shift_of(at: datetime, zone: str) -> str | None:
    local = at.astimezone(ZoneInfo(zone))
    for day in (local.date(), local.date() - timedelta(days=1)):
        for name, template in DEFAULT_SHIFTS.items():
            start, end = template.window(day, ZoneInfo(zone))
            if start <= local < end:
                return name
    return None


@pages.get("/coverage", response_class=HTMLResponse)
def coverage_page(
    request: Request,
    db: Db,
    svc: Svc,
    user: User,
    kabupaten: Annotated[str | None, Query(max_length=20)] = None,
    at: AtQuery = None,
    date: DateQuery = None,
    shift: ShiftQuery = None,
) -> Response:
    scope = _scope(svc, user, [kabupaten] if kabupaten else [])
    zone = _zone(svc, scope)
    when = _when(zone, at, date, shift)
    coverage = svc.coverage.coverage(db, when, scope)
    local_at = when.astimezone(ZoneInfo(zone))
    chosen = scope[0] if scope else None
    picture = svc.fragments.render(
        (
            "coverage",
            coverage.kabupaten,
            coverage.revision,
            coverage.valid_until,
            local_at.date(),
            tuple((g.gap.code, g.gap.service, g.gap.start, g.gap.end) for g in coverage.ahead),
        ),
        "coverage_picture.html",
        lambda: {
            "coverage": coverage,
            "map_svg": svc.maps.render(coverage),
            "day": local_at.date(),
            "area_name": svc.places.area_name,
            "labels": LABEL,
        },
        lang=user.lang,
    )
    holds = "national" if user.national else tuple(sorted(user.kabupaten))
    choices = svc.fragments.render(
        ("kabupaten-options", holds, chosen),
        "kabupaten_options.html",
        lambda: {
            "choices": [a for a in svc.places.kabupaten_list() if user.can_read(a.code)],
            "kabupaten": chosen,
        },
        lang=user.lang,
    )
    return render(
        request,
        "coverage.html",
        user,
        coverage=coverage,
        picture=picture,
        choices=choices,
        kabupaten=chosen,
        zone=zone,
        local_at=local_at,
        shifts=list(DEFAULT_SHIFTS),
        shift_now=_shift_of(when, zone),
        area_name=svc.places.area_name,
    )


@pages.get("/coverage/map.svg")
def coverage_map(
    db: Db,
    svc: Svc,
    user: User,
    kabupaten: Annotated[list[str] | None, Query()] = None,
    at: AtQuery = None,
    date: DateQuery = None,
    shift: ShiftQuery = None,
) -> Response:
    scope = _scope(svc, user, kabupaten or [])
    coverage = svc.coverage.coverage(db, _when(_zone(svc, scope), at, date, shift), scope)
    return Response(svc.maps.render(coverage), media_type="image/svg+xml")


@api.get("/coverage")
def coverage_api(
    db: Db,
    svc: Svc,
    user: User,
    kabupaten: Annotated[list[str] | None, Query(description="repeatable; default: the user's first")] = None,
    at: AtQuery = None,
    date: DateQuery = None,
    shift: ShiftQuery = None,
) -> dict:
    """Per facility who is on duty, per kecamatan whether it is covered, and the gaps."""
    scope = _scope(svc, user, kabupaten or [])
    return svc.coverage.coverage(db, _when(_zone(svc, scope), at, date, shift), scope).to_json()
