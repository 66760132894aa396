"""Complaints: the officers' console (`/complaints`, `/api/complaints`) and the public side (`/aduan`,
`/aduan/{number}`, `GET /api/public/complaints/{number}`): check access, validate, call
`complaints.service`, render."""

from __future__ import annotations

import hmac
import secrets
from datetime import UTC, datetime, timedelta
from typing import Annotated
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from complaints import lifecycle
from complaints import service as desk
from complaints.service import ComplaintRules, ListFilter
from kernel.messages import N_, Message
from web.access import Principal
from web.complaints.services import MAX_FORM_BYTES, ComplaintsWeb
from web.deps import Db, Services, Svc, User, Writer
from web.errors import FieldError, Forbidden, InputError, NotFound
from web.i18n import recognise
from web.pages import api_text, render

pages = APIRouter()
api = APIRouter(tags=["complaints"])

FIGURE_MONTHS = 6
# What a form's redirect reports (`?done=`), recognised on the page to be shown in the reader's language.
NOTICES = (N_("status: {status}"), N_("assigned to {facility}"))
FORM_COOKIE = "siaga_aduan"


class ComplaintIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    caller: str = Field(default="", max_length=40)
    category: str = Field(max_length=40)
    text: str = Field(max_length=desk.MAX_TEXT + 100)
    facility: str | None = Field(default=None, max_length=64)


class StatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: str = Field(max_length=40)
    note: str = Field(max_length=desk.MAX_NOTE + 100)
    public: bool = False
    text_public: bool | None = None


class AssignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    facility: str = Field(max_length=64)


def _web(svc: Services) -> ComplaintsWeb:
    return svc.complaints


def _rules(svc: Services) -> ComplaintRules:
    return _web(svc).rules(svc.settings)


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _readable(db: Session, user: Principal, number: str) -> None:
    user.require_read(desk.desk_of(db, number) or None)


def _editable(db: Session, user: Principal, number: str) -> None:
    user.require_edit(desk.desk_of(db, number) or None)


def _now() -> datetime:
    return datetime.now(UTC)


# -- officers: API -----------------------------------------------------------------------------------------


@api.get("/complaints")
def list_api(
    db: Db,
    svc: Svc,
    user: User,
    status: Annotated[str | None, Query(max_length=40)] = None,
    category: Annotated[str | None, Query(max_length=40)] = None,
    facility: Annotated[str | None, Query(max_length=64)] = None,
    overdue: bool = False,
    at: datetime | None = None,
) -> dict:
    """Complaints of the desks you may see, newest first; `overdue`: only those past a deadline at `at`."""
    when = _aware(at)
    found = desk.list_complaints(
        db,
        ListFilter(status or None, category or None, facility or None, overdue, _web(svc).desks(user)),
        when,
        rules=_rules(svc),
    )
    return {"at": when.isoformat(), "complaints": [c.to_json() for c in found]}


def _aware(at: datetime | None) -> datetime:
    if at is None:
        return _now()
    if at.tzinfo is None:
        raise InputError.one("at", N_("needs its UTC offset, e.g. 2026-11-30T09:00+07:00"))
    return at


@api.post("/complaints", status_code=201)
def create_api(db: Db, svc: Svc, user: Writer, body: ComplaintIn) -> dict:
    """An officer takes a complaint (channel `web`), e.g. one brought to the desk in person."""
    if body.facility:
        facility = svc.places.facilities.get(body.facility)
        user.require_edit(svc.places.kabupaten_of.get(body.facility) if facility else None)
    elif not user.can_edit_anything:
        user.require_edit(None)
    now = _now()
    number = desk.open_complaint(
        db,
        caller=body.caller,
        category=body.category,
        text=body.text,
        facility=body.facility,
        channel="web",
        recording=None,
        now=now,
        actor=user.name,
        rules=_rules(svc),
    )
    return desk.show(db, number, now, rules=_rules(svc)).to_json()


@api.get("/complaints/review")
def review_api(db: Db, svc: Svc, user: User, at: datetime | None = None) -> dict:
    """What the 8-hourly review lists: per desk, new, overdue and due-soon complaints."""
    return desk.review(db, _aware(at), rules=_rules(svc), desks=_web(svc).desks(user)).to_json()


@api.get("/complaints/{number}")
def show_api(db: Db, svc: Svc, user: User, number: str) -> dict:
    _readable(db, user, number)
    return desk.show(db, number, _now(), rules=_rules(svc)).to_json()


@api.post("/complaints/{number}/status")
def status_api(db: Db, svc: Svc, user: Writer, number: str, body: StatusIn) -> dict:
    _editable(db, user, number)
    return desk.change_status(
        db,
        number,
        body.status,
        note=body.note,
        officer=user.name,
        now=_now(),
        public=body.public,
        text_public=body.text_public,
        rules=_rules(svc),
    ).to_json()


@api.post("/complaints/{number}/assign")
def assign_api(db: Db, svc: Svc, user: Writer, number: str, body: AssignIn) -> dict:
    _editable(db, user, number)
    if body.facility in svc.places.facilities:
        user.require_edit(svc.places.kabupaten_of.get(body.facility))
    return desk.assign_facility(
        db, number, body.facility, officer=user.name, now=_now(), rules=_rules(svc)
    ).to_json()


# -- officers: pages ---------------------------------------------------------------------------------------


@pages.get("/complaints", response_class=HTMLResponse)
def complaints_page(
    request: Request,
    db: Db,
    svc: Svc,
    user: User,
    status: Annotated[str | None, Query(max_length=40)] = None,
    category: Annotated[str | None, Query(max_length=40)] = None,
    facility: Annotated[str | None, Query(max_length=64)] = None,
    overdue: bool = False,
) -> Response:
    now = _now()
    rules = _rules(svc)
    desks = _web(svc).desks(user)
    filters = ListFilter(status or None, category or None, facility or None, overdue, desks)
    return render(
        request,
        "complaints.html",
        user,
        complaints=desk.list_complaints(db, filters, now, rules=rules),
        review=desk.review(db, now, rules=rules, desks=desks),
        f=filters,
        statuses=lifecycle.STATUSES,
        categories=rules.categories,
        desk_name=svc.places.area_name,
        zone=svc.places.zone_of_scope(None if user.national else user.kabupaten),
    )


@pages.get("/complaints/{number}", response_class=HTMLResponse)
def complaint_page(
    request: Request,
    db: Db,
    svc: Svc,
    user: User,
    number: str,
    done: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    _readable(db, user, number)
    view = desk.show(db, number, _now(), rules=_rules(svc))
    facilities = svc.places.facilities_in(None if user.national else user.kabupaten)
    return render(
        request,
        "complaints_detail.html",
        user,
        c=view,
        editable=user.can_edit(view.desk or None),
        facilities=facilities,
        labels=lifecycle.LABELS,
        desk_name=svc.places.area_name,
        done=recognise(done, NOTICES) if done else None,
    )


@pages.post("/complaints/{number}/status")
def status_form(
    db: Db,
    svc: Svc,
    user: Writer,
    number: str,
    status: Annotated[str, Form(max_length=40)],
    note: Annotated[str, Form(max_length=desk.MAX_NOTE + 100)] = "",
    public: Annotated[bool, Form()] = False,
    text_public: Annotated[bool, Form()] = False,
) -> Response:
    _editable(db, user, number)
    desk.change_status(
        db,
        number,
        status,
        note=note,
        officer=user.name,
        now=_now(),
        public=public,
        text_public=text_public,
        rules=_rules(svc),
    )
    return RedirectResponse(
        f"/complaints/{number}?{urlencode({'done': Message('status: {status}', status=status)})}",
        status_code=303,
    )


@pages.post("/complaints/{number}/assign")
def assign_form(
    db: Db, svc: Svc, user: Writer, number: str, facility: Annotated[str, Form(max_length=64)]
) -> Response:
    _editable(db, user, number)
    if facility in svc.places.facilities:
        user.require_edit(svc.places.kabupaten_of.get(facility))
    desk.assign_facility(db, number, facility, officer=user.name, now=_now(), rules=_rules(svc))
    return RedirectResponse(
        f"/complaints/{number}?{urlencode({'done': Message('assigned to {facility}', facility=facility)})}",
        status_code=303,
    )


@pages.get("/complaints/{number}/recording")
def recording(db: Db, svc: Svc, user: User, number: str) -> Response:
    """The phone recording, to logged-in officers of the complaint's desk only."""
    _readable(db, user, number)
    view = desk.show(db, number, _now(), rules=_rules(svc))
    path, media = _web(svc).recording_file(svc.settings, view.recording)
    return FileResponse(path, media_type=media, headers={"Cache-Control": "private, no-store"})


# -- public ------------------------------------------------------------------------------------------------


def _figures(db: Session, svc: Services) -> list[desk.DeskMonth]:
    now = _now()
    return desk.monthly_figures(
        db, now - timedelta(days=31 * FIGURE_MONTHS), now + timedelta(seconds=1), now, rules=_rules(svc)
    )


def _public(db: Session, svc: Services, request: Request, number: str) -> desk.PublicComplaint | Response:
    """The public view, or a refusal once this address has tried too many wrong or unknown numbers."""
    web = _web(svc)
    address = _address(request)
    wait = web.lookups.wait(address)
    if wait > 0:
        return JSONResponse(
            {
                "errors": [
                    {
                        "field": "number",
                        "reason": api_text(
                            request, N_("too many wrong numbers from this address; try later")
                        ),
                    }
                ]
            },
            status_code=429,
            headers={"Retry-After": str(max(1, int(wait + 0.999)))},
        )
    try:
        return desk.public_status(db, number)
    except (InputError, NotFound):
        web.lookups.failed(address)
        raise


@api.get("/public/complaints/{number}")
def public_api(request: Request, db: Db, svc: Svc, number: str) -> Response:
    """No login: a complaint's status history and how long each step took, without personal data."""
    found = _public(db, svc, request, number)
    if isinstance(found, Response):
        return found
    return JSONResponse(found.to_json())


@api.get("/public/complaints")
def public_figures_api(db: Db, svc: Svc) -> dict:
    """No login: per month and desk, received, % answered within the first-response deadline, medians."""
    return {"figures": [f.to_json() for f in _figures(db, svc)]}


@pages.get("/aduan", response_class=HTMLResponse)
def aduan_page(request: Request, db: Db, svc: Svc) -> Response:
    return _aduan(request, db, svc)


def _aduan(request: Request, db: Session, svc: Services, **extra: object) -> HTMLResponse:
    """The public page with the form. The form carries a token that must equal its cookie (double
    submit): another site can make a browser post here but cannot read the cookie to copy it."""
    token = request.cookies.get(FORM_COOKIE) or secrets.token_urlsafe(24)
    response = render(
        request,
        "complaints_public.html",
        None,
        figures=_figures(db, svc),
        categories=_rules(svc).categories,
        desk_name=svc.places.area_name,
        facilities=sorted(svc.places.facilities.values(), key=lambda f: f.name),
        max_text=desk.MAX_TEXT,
        form_token=token,
        **extra,
    )
    response.set_cookie(
        FORM_COOKIE, token, max_age=24 * 3600, httponly=True, samesite="strict", path="/aduan"
    )
    return response


async def _bounded_body(request: Request) -> bytes | None:
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_FORM_BYTES):
        return None
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_FORM_BYTES:
            return None
    return bytes(data)


@pages.post("/aduan")
async def aduan_submit(request: Request, db: Db, svc: Svc) -> Response:
    """The public form: no login, at most `FORM_LIMIT` complaints per address and window, bodies of at most
    `MAX_FORM_BYTES`. The text is stored as typed and always shown escaped."""
    web = _web(svc)
    address = _address(request)
    wait = web.forms.wait(address)
    if wait > 0:
        errors = [FieldError("form", N_("too many complaints from this address; please try again later"))]
        response = _aduan(request, db, svc, errors=errors)
        response.status_code = 429
        response.headers["Retry-After"] = str(max(1, int(wait + 0.999)))
        return response
    raw = await _bounded_body(request)
    if raw is None:
        response = _aduan(
            request,
            db,
            svc,
            errors=[FieldError("text", Message("the form is larger than {n} bytes", n=MAX_FORM_BYTES))],
        )
        response.status_code = 413
        return response
    try:
        fields = {
            k: v[0]
            for k, v in parse_qs(raw.decode("utf-8"), keep_blank_values=True, max_num_fields=10).items()
        }
    except (UnicodeDecodeError, ValueError):
        raise InputError.one("form", N_("not a form in UTF-8")) from None
    cookie = request.cookies.get(FORM_COOKIE)
    if not cookie or not hmac.compare_digest(cookie.encode(), fields.get("form_token", "").encode()):
        raise Forbidden(
            N_("the form has expired or was sent from another site: reload /aduan and send it again")
        )
    number = desk.open_complaint(
        db,
        caller=fields.get("phone", ""),
        category=fields.get("category", ""),
        text=fields.get("text", ""),
        facility=fields.get("facility") or None,
        channel="web",
        recording=None,
        now=_now(),
        actor=f"web:{address}",
        rules=_rules(svc),
    )
    web.forms.failed(address)  # counts every complaint taken from this address
    return RedirectResponse(f"/aduan/{number}?baru=1", status_code=303)


@pages.get("/aduan/{number}", response_class=HTMLResponse)
def aduan_status_page(request: Request, db: Db, svc: Svc, number: str, baru: int = 0) -> Response:
    found = _public(db, svc, request, number)
    if isinstance(found, Response):
        return found
    return render(
        request,
        "complaints_status.html",
        None,
        c=found,
        labels=lifecycle.LABELS,
        desk_name=svc.places.area_name,
        new=bool(baru),
    )
