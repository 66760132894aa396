"""The incident board (`/incidents`: open incidents, units by status on the map, figures), its forms, and
`/api/incidents` (list, open, show, dispatch, PATCH location/notes, close, board, figures) and
`/api/units` (units with status and crew; `POST /api/units/{unit}/status`).

Access: a user sees the incidents located in their kabupaten and the units based there (national users:
all); opening, editing, dispatching and changing a unit's status need edit rights on the incident's
kabupaten and, for a unit, on its base's kabupaten too (a supervisor cannot send another kabupaten's
ambulance). An incident opened from a call of another kabupaten is refused and nothing is written (the
request's transaction rolls back). The page refreshes itself by polling `/api/incidents/board` every
few seconds (`POLL_S`): simpler than a push channel and enough for a board read by people.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from dispatch.incidents import INTERVALS, PRIORITIES, Incident
from dispatch.service import (
    close_incident,
    dispatch_unit,
    get_incident,
    list_incidents,
    open_incident,
    set_unit_status,
    update_incident,
)
from dispatch.store import read_units, statuses
from dispatch.transitions import STATUS_DIGITS
from dispatch.units import STATUSES
from kernel.messages import N_, Message
from web import i18n
from web.access import Principal
from web.deps import Db, Services, Svc, User, Writer
from web.errors import InputError
from web.incidents.services import (
    POLL_S,
    STATUS_COLOUR,
    UnitView,
    board,
    figures_for,
    scope_of,
    unit_map,
    units_view,
)
from web.pages import render

# The figures' column headers, by interval (dispatch.incidents.INTERVALS), for translation.
INTERVAL_NAMES = {
    "call_to_dispatch_s": N_("call to dispatch"),
    "dispatch_to_scene_s": N_("dispatch to scene"),
    "scene_to_hospital_s": N_("scene to hospital"),
    "call_to_close_s": N_("call to close"),
}

pages = APIRouter()
api = APIRouter(tags=["incidents"])

Text = Field(default=None, max_length=4000)


class IncidentIn(BaseModel):
    """From a call (`call_id`, the screen-pop's X-Siaga-Call) or typed (`caller`, `lat`, `lon`)."""

    model_config = ConfigDict(extra="forbid")
    call_id: str | None = Field(default=None, max_length=64)
    caller: str | None = Field(default=None, max_length=40)
    lat: float | None = None
    lon: float | None = None
    address: str | None = Text
    category: str = Field(max_length=40)
    priority: str = Field(max_length=10, description="merah, kuning, hijau (or 1, 2, 3)")
    notes: str = Field(default="", max_length=4000)


class IncidentPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lat: float | None = None
    lon: float | None = None
    address: str | None = Text
    notes: str | None = Text


class DispatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    unit: str = Field(max_length=64)


class CloseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(default="", max_length=400)


class StatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: str = Field(max_length=20)


def _now() -> datetime:
    return datetime.now(UTC)


def _readable(user: Principal, incident: Incident) -> None:
    user.require_read(incident.kabupaten)


def _unit_kabupaten(db: Db, svc: Services, unit: str) -> str | None:
    for u in read_units(db):
        if u.code == unit:
            return svc.places.kabupaten_of.get(u.base_facility)
    raise InputError.one("unit", Message("unknown unit {unit!r}", unit=unit))


# -- the service calls, shared by the API and the forms ---------------------------------------------------


def _open(db: Db, svc: Services, user: Principal, body: IncidentIn) -> Incident:
    if not user.can_edit_anything:
        user.require_edit(None)
    incident = open_incident(
        db,
        call_id=body.call_id or None,
        caller=body.caller or None,
        lat=body.lat,
        lon=body.lon,
        address=body.address,
        category=body.category,
        priority=body.priority,
        notes=body.notes,
        actor=user.name,
        now=_now(),
        categories=svc.settings.incident_categories,
        areas=svc.places.areas,
    )
    user.require_edit(incident.kabupaten)  # refused: the transaction rolls back, nothing is kept
    return incident


def _dispatch(db: Db, svc: Services, user: Principal, incident: str, unit: str) -> dict[str, Any]:
    found = get_incident(db, incident)
    _readable(user, found)
    user.require_edit(found.kabupaten)
    user.require_edit(_unit_kabupaten(db, svc, unit))
    return dispatch_unit(db, incident=incident, unit=unit, actor=user.name, now=_now()).to_json()


def _patch(db: Db, svc: Services, user: Principal, incident: str, body: IncidentPatch) -> Incident:
    found = get_incident(db, incident)
    _readable(user, found)
    user.require_edit(found.kabupaten)
    changed = update_incident(
        db,
        incident=incident,
        actor=user.name,
        now=_now(),
        lat=body.lat,
        lon=body.lon,
        address=body.address,
        notes=body.notes,
        areas=svc.places.areas,
    )
    user.require_edit(changed.kabupaten)  # moved into a kabupaten the user does not hold: refused
    return changed


def _status(db: Db, svc: Services, user: Principal, unit: str, status: str) -> dict[str, Any]:
    user.require_edit(_unit_kabupaten(db, svc, unit))
    change = set_unit_status(db, unit=unit, status=status, source="console", actor=user.name, now=_now())
    return {
        "unit": change.unit,
        "status": change.status,
        "previous": change.previous,
        "at": change.at.isoformat(timespec="seconds"),
        "by": change.by,
        "source": change.source,
        "changed": change.changed,
        "incident": change.incident,
    }


# -- pages ----------------------------------------------------------------------------------------------


def _kabupaten_shown(svc: Services, user: Principal, kabupaten: str | None) -> tuple[str, ...]:
    if kabupaten:
        if kabupaten not in {a.code for a in svc.places.kabupaten_list()}:
            raise InputError.one("kabupaten", Message("unknown kabupaten {kabupaten!r}", kabupaten=kabupaten))
        user.require_read(kabupaten)
        return (kabupaten,)
    mine = sorted(user.kabupaten) if not user.national else [a.code for a in svc.places.kabupaten_list()]
    return tuple(mine[:1])


@pages.get("/incidents", response_class=HTMLResponse)
def incidents_page(
    request: Request,
    db: Db,
    svc: Svc,
    user: User,
    kabupaten: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    now = _now()
    shown = _kabupaten_shown(svc, user, kabupaten)
    data = board(db, svc.places, user, now)
    scope = scope_of(user)
    open_now = list_incidents(db, open_only=True, kabupaten=scope, limit=500)
    units = units_view(db, svc.places, scope, now, open_now)
    return render(
        request,
        "incidents.html",
        user,
        board=data,
        map_svg=_map(svc, user, shown, units, open_now),
        figures=figures_for(db, user, now, 30.0),
        intervals=INTERVALS,
        interval_names=INTERVAL_NAMES,
        categories=svc.settings.incident_categories,
        priorities=PRIORITIES,
        statuses=STATUSES,
        digits=STATUS_DIGITS,
        colours=STATUS_COLOUR,
        kabupaten=shown[0] if shown else "",
        choices=[a for a in svc.places.kabupaten_list() if user.can_read(a.code)],
        area_name=svc.places.area_name,
        poll_s=POLL_S,
        editable={u.unit.code for u in units if user.can_edit(u.kabupaten)},
    )


@pages.get("/incidents/map.svg")
def incidents_map(
    db: Db, svc: Svc, user: User, kabupaten: Annotated[str | None, Query(max_length=20)] = None
) -> Response:
    now = _now()
    shown = _kabupaten_shown(svc, user, kabupaten)
    scope = scope_of(user)
    open_now = list_incidents(db, open_only=True, kabupaten=scope, limit=500)
    units = units_view(db, svc.places, scope, now, open_now)
    return Response(_map(svc, user, shown, units, open_now), media_type="image/svg+xml")


def _map(
    svc: Services, user: Principal, shown: tuple[str, ...], units: list[UnitView], open_now: list[Incident]
) -> str:
    with i18n.language(user.lang):  # the map's titles in the user's language
        return unit_map(svc.maps, svc.places, shown, units, open_now)


def _number(raw: str, name: str) -> float | None:
    if not raw.strip():
        return None
    try:
        value = float(raw)
    except ValueError:
        raise InputError.one(name, Message("{raw!r} is not a number", raw=raw)) from None
    if not math.isfinite(value):
        raise InputError.one(name, Message("{raw!r} is not a number", raw=raw))
    return value


class IncidentForm(BaseModel):
    call_id: str = Field(default="", max_length=64)
    caller: str = Field(default="", max_length=40)
    lat: str = Field(default="", max_length=40)
    lon: str = Field(default="", max_length=40)
    address: str = Field(default="", max_length=4000)
    category: str = Field(max_length=40)
    priority: str = Field(max_length=10)
    notes: str = Field(default="", max_length=4000)


@pages.post("/incidents")
def open_form(db: Db, svc: Svc, user: Writer, form: Annotated[IncidentForm, Form()]) -> Response:
    body = IncidentIn(
        call_id=form.call_id.strip() or None,
        caller=form.caller.strip() or None,
        lat=_number(form.lat, "lat"),
        lon=_number(form.lon, "lon"),
        address=form.address.strip() or None,
        category=form.category,
        priority=form.priority,
        notes=form.notes,
    )
    incident = _open(db, svc, user, body)
    return RedirectResponse(f"/incidents#incident-{incident.id}", status_code=303)


@pages.post("/incidents/{incident}/dispatch")
def dispatch_form(
    db: Db, svc: Svc, user: Writer, incident: str, unit: Annotated[str, Form(max_length=64)]
) -> Response:
    _dispatch(db, svc, user, incident, unit)
    return RedirectResponse(f"/incidents#incident-{incident}", status_code=303)


@pages.post("/incidents/{incident}/close")
def close_form(
    db: Db, user: Writer, incident: str, reason: Annotated[str, Form(max_length=400)] = ""
) -> Response:
    found = get_incident(db, incident)
    user.require_edit(found.kabupaten)
    close_incident(db, incident=incident, actor=user.name, now=_now(), reason=reason)
    return RedirectResponse("/incidents", status_code=303)


@pages.post("/units/{unit}/status")
def status_form(
    db: Db, svc: Svc, user: Writer, unit: str, status: Annotated[str, Form(max_length=20)]
) -> Response:
    _status(db, svc, user, unit, status)
    return RedirectResponse(f"/incidents#unit-{unit}", status_code=303)


# -- API ------------------------------------------------------------------------------------------------


@api.get("/incidents")
def list_api(
    db: Db,
    user: User,
    open: Annotated[bool, Query(description="open incidents only")] = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict:
    """Incidents located in the user's kabupaten, newest first."""
    now = _now()
    found = list_incidents(db, open_only=open, kabupaten=scope_of(user), limit=limit)
    current = statuses(db)
    return {"incidents": [i.to_json(now, current) for i in found]}


@api.post("/incidents", status_code=201)
def open_api(db: Db, svc: Svc, user: Writer, body: IncidentIn) -> dict:
    """Open an incident from a call (`call_id`) or from `caller`, `lat`, `lon`: 422 naming each bad field,
    403 when it lies in a kabupaten the user may not edit (nothing is kept)."""
    return _open(db, svc, user, body).to_json(_now())


@api.get("/incidents/board")
def board_api(db: Db, svc: Svc, user: User) -> dict:
    """Open incidents (oldest first) with their units' status and age, and every unit the user may see."""
    return board(db, svc.places, user, _now())


@api.get("/incidents/figures")
def figures_api(
    db: Db,
    user: User,
    at: Annotated[str | None, Query(max_length=40, description="ISO time with offset; default now")] = None,
    days: Annotated[float, Query(gt=0, le=366)] = 30.0,
) -> dict:
    """Median and p90 of each interval per kabupaten and shift, over the `days` before `at`."""
    now = _now()
    if at:
        try:
            now = datetime.fromisoformat(at)
        except ValueError:
            raise InputError.one("at", Message("{at!r} is not an ISO time", at=at)) from None
        if now.tzinfo is None:
            raise InputError.one("at", N_("give a UTC offset, e.g. 2026-11-30T08:00+07:00"))
    return {
        "at": now.isoformat(timespec="seconds"),
        "days": days,
        "intervals": list(INTERVALS),
        "figures": figures_for(db, user, now, days),
    }


@api.get("/incidents/{incident}")
def show_api(db: Db, user: User, incident: str) -> dict:
    found = get_incident(db, incident)
    _readable(user, found)
    return found.to_json(_now(), statuses(db))


@api.patch("/incidents/{incident}")
def patch_api(db: Db, svc: Svc, user: Writer, incident: str, body: IncidentPatch) -> dict:
    """Correct the location (`lat`+`lon`, `address`) or `notes`."""
    return _patch(db, svc, user, incident, body).to_json(_now(), statuses(db))


@api.post("/incidents/{incident}/dispatch", status_code=201)
def dispatch_api(db: Db, svc: Svc, user: Writer, incident: str, body: DispatchIn) -> dict:
    """Send a unit: 422 naming `unit` when it has no crew in service, is out of service or busy."""
    return _dispatch(db, svc, user, incident, body.unit)


@api.post("/incidents/{incident}/close")
def close_api(db: Db, user: Writer, incident: str, body: CloseIn) -> dict:
    found = get_incident(db, incident)
    _readable(user, found)
    user.require_edit(found.kabupaten)
    return close_incident(db, incident=incident, actor=user.name, now=_now(), reason=body.reason).to_json(
        _now()
    )


@api.get("/units")
def units_api(db: Db, svc: Svc, user: User) -> dict:
    """Units based in the user's kabupaten with status, crew on duty now and the incident they are on."""
    now = _now()
    scope = scope_of(user)
    open_now = list_incidents(db, open_only=True, kabupaten=scope, limit=500)
    return {"units": [u.to_json() for u in units_view(db, svc.places, scope, now, open_now)]}


@api.post("/units/{unit}/status")
def status_api(db: Db, svc: Svc, user: Writer, unit: str, body: StatusIn) -> dict:
    """Change a unit's status from the console (source `console`), by the rules of `dispatch.transitions`."""
    return _status(db, svc, user, unit, body.status)
