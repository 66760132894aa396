"""The staffing page and `/api/staffing`: per desk, day of the week and shift, the operators Erlang C
says meet the target beside those rostered. Read-only: any logged-in user, for the desks of the
kabupaten they hold (every desk for a national user)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from staffing.report import DEFAULT_TARGET, StaffingTable
from web.deps import Db, Svc, User
from web.pages import render
from web.staffing.services import StaffingService

pages = APIRouter()
api = APIRouter(tags=["staffing"])

DeskQuery = Annotated[str | None, Query(max_length=64, description="one desk's facility code; default: all")]
FromQuery = Annotated[
    date | None, Query(alias="from", description="first shift date; default: four weeks up to `to`")
]
ToQuery = Annotated[date | None, Query(alias="to", description="last shift date; default: yesterday")]
TargetQuery = Annotated[
    str, Query(max_length=20, description="SHARE/SECONDS: 0.9/15 = 90 % of calls answered within 15 s")
]


def staffing_service(svc: Svc) -> StaffingService:
    """Stateless and cheap, so built per request from the app's places rather than kept in `Services`."""
    return StaffingService(svc.places)


Staffing = Annotated[StaffingService, Depends(staffing_service)]


def _tables(
    db: Db,
    staffing: StaffingService,
    user: User,
    desk: str | None,
    first: date | None,
    last: date | None,
    target: str,
) -> list[StaffingTable]:
    chosen = staffing.target(target)
    return staffing.tables(db, staffing.desks(user, desk), chosen, datetime.now(UTC), first, last)


@pages.get("/staffing", response_class=HTMLResponse)
def staffing_page(
    request: Request,
    db: Db,
    staffing: Staffing,
    user: User,
    desk: DeskQuery = None,
    first: FromQuery = None,
    last: ToQuery = None,
    target: TargetQuery = DEFAULT_TARGET,
) -> Response:
    tables = _tables(db, staffing, user, desk, first, last, target)
    return render(
        request,
        "staffing.html",
        user,
        tables=tables,
        desk=desk or "",
        first=first,
        last=last,
        target=target,
        choices=staffing.desks(user),
    )


@api.get("/staffing")
def staffing_api(
    db: Db,
    staffing: Staffing,
    user: User,
    desk: DeskQuery = None,
    first: FromQuery = None,
    last: ToQuery = None,
    target: TargetQuery = DEFAULT_TARGET,
) -> dict:
    """Per desk the user may see: per day of the week and shift, calls per hour, average handle time,
    Erlangs, operators needed (Erlang C) and rostered, and the service level the roster gives."""
    return {"desks": [t.to_json() for t in _tables(db, staffing, user, desk, first, last, target)]}
