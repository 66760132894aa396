"""Facilities and staff pages and `/api/facilities`, `/api/staff`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from kernel.catalogue import ROLES
from kernel.messages import Message
from web.access import Principal
from web.deps import Db, Services, Svc, User, Writer
from web.errors import InputError
from web.pages import render

pages = APIRouter()
api = APIRouter(tags=["facilities and staff"])


class StaffIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    staff_id: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    role: str = Field(max_length=20)
    endpoint: str = Field(min_length=1, max_length=64)
    facility_code: str = Field(min_length=1, max_length=64)


class StaffPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, min_length=1, max_length=200)
    role: str | None = Field(default=None, max_length=20)
    endpoint: str | None = Field(default=None, min_length=1, max_length=64)
    facility_code: str | None = Field(default=None, min_length=1, max_length=64)


class StaffForm(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    role: str = Field(max_length=20)
    endpoint: str = Field(min_length=1, max_length=64)
    facility_code: str = Field(min_length=1, max_length=64)


def _scope(svc: Services, user: Principal) -> set[str] | None:
    return None if user.national else {f.code for f in svc.places.facilities_in(user.kabupaten)}


def _require_facility_edit(svc: Services, user: Principal, facility_code: str | None) -> None:
    if facility_code is not None and facility_code not in svc.places.facilities:
        raise InputError.one(
            "facility_code", Message("unknown facility {facility_code!r}", facility_code=facility_code)
        )
    user.require_edit(svc.places.kabupaten_of.get(facility_code or ""))


def _patch(db: Db, svc: Services, user: Principal, staff_id: str, body: StaffPatch) -> dict:
    _require_facility_edit(svc, user, svc.directory.staff_facility(db, staff_id))
    if body.facility_code is not None:  # moving someone needs the right to edit both ends
        _require_facility_edit(svc, user, body.facility_code)
    view = svc.directory.update_staff(
        db, user.name, staff_id, body.name, body.role, body.endpoint, body.facility_code
    )
    return view.to_json()


@pages.get("/facilities", response_class=HTMLResponse)
def facilities_page(request: Request, db: Db, svc: Svc, user: User) -> Response:
    scope = None if user.national else set(user.kabupaten)
    return render(request, "facilities.html", user, facilities=svc.directory.facilities(db, scope))


@pages.get("/staff", response_class=HTMLResponse)
def staff_page(request: Request, db: Db, svc: Svc, user: User, facility: str | None = None) -> Response:
    scope = _scope(svc, user)
    if facility:
        if facility not in svc.places.facilities:
            raise InputError.one("facility", Message("unknown facility {facility!r}", facility=facility))
        user.require_read(svc.places.kabupaten_of.get(facility))
        scope = {facility}
    staff = svc.directory.staff(db, scope)
    return render(
        request,
        "staff.html",
        user,
        staff=staff,
        facility=facility,
        roles=ROLES,
        editable={
            s.staff_id for s in staff if user.can_edit(svc.places.kabupaten_of.get(s.facility_code or ""))
        },
        facilities=svc.places.facilities,
    )


@pages.post("/staff/{staff_id}")
def staff_form(db: Db, svc: Svc, user: Writer, staff_id: str, form: Annotated[StaffForm, Form()]) -> Response:
    _patch(db, svc, user, staff_id, StaffPatch(**form.model_dump()))
    return RedirectResponse(f"/staff?facility={form.facility_code}", status_code=303)


@api.get("/facilities")
def list_facilities(db: Db, svc: Svc, user: User) -> dict:
    """Facilities the user may see, with their kabupaten, kecamatan and number of staff."""
    scope = None if user.national else set(user.kabupaten)
    return {"facilities": [f.to_json() for f in svc.directory.facilities(db, scope)]}


@api.get("/staff")
def list_staff(db: Db, svc: Svc, user: User, facility_code: str | None = None) -> dict:
    """Staff the user may see; `registered` is the softphone's state (null when Asterisk is not running)."""
    scope = _scope(svc, user)
    if facility_code is not None:
        if facility_code not in svc.places.facilities:
            raise InputError.one(
                "facility_code", Message("unknown facility {facility_code!r}", facility_code=facility_code)
            )
        user.require_read(svc.places.kabupaten_of.get(facility_code))
        scope = {facility_code}
    return {"staff": [s.to_json() for s in svc.directory.staff(db, scope)]}


@api.post("/staff", status_code=201)
def add_staff(db: Db, svc: Svc, user: Writer, body: StaffIn) -> dict:
    _require_facility_edit(svc, user, body.facility_code)
    view = svc.directory.add_staff(
        db, user.name, body.staff_id, body.name, body.role, body.endpoint, body.facility_code
    )
    return view.to_json()


@api.patch("/staff/{staff_id}")
def update_staff(db: Db, svc: Svc, user: Writer, staff_id: str, body: StaffPatch) -> dict:
    return _patch(db, svc, user, staff_id, body)
