"""`/beds` (public: free beds per hospital of a kabupaten/kota), `GET /api/beds` (the same as JSON),
`PUT /api/beds/{hospital}/{bed_class}` (a hospital's own count, with its bearer token) and the console's
form, `POST /beds/{hospital}` (a supervisor of the hospital's kabupaten, the same checks)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dispatch.beds import BED_CLASSES, HOSPITAL_KIND, MAX_BEDS
from kernel.messages import Message
from web.access import session_principal
from web.beds.services import MAX_BODY, BedsService, TokenRefusal
from web.deps import SESSION_COOKIE, Db, Services, Svc, Writer
from web.errors import FieldError, InputError, NotFound, schema_reason
from web.pages import api_text, render

pages = APIRouter()
api = APIRouter(tags=["hospital beds"])


class BedsIn(BaseModel):
    """One class's count; `updated_at` (ISO 8601 with offset) defaults to the time it is received."""

    model_config = ConfigDict(extra="forbid")
    total: int = Field(ge=-MAX_BEDS, le=10 * MAX_BEDS)  # the domain check names the real bounds
    occupied: int = Field(ge=-MAX_BEDS, le=10 * MAX_BEDS)
    waiting: int = Field(default=0, ge=-MAX_BEDS, le=10 * MAX_BEDS)
    updated_at: str | None = Field(default=None, max_length=40)


def _beds(svc: Services) -> BedsService:
    return svc.beds


def _stale_after(svc: Services) -> timedelta:
    return timedelta(hours=svc.settings.beds_stale_hours)


def _kabupaten(svc: Services, kabupaten: str | None) -> tuple[str | None, list[tuple[str, str]]]:
    choices = BedsService.kabupaten_with_hospitals(svc.places)
    if kabupaten is None:
        return (choices[0][0] if choices else None), choices
    if kabupaten not in {code for code, _ in choices}:
        raise NotFound(Message("no hospitals known in kabupaten/kota {kabupaten!r}", kabupaten=kabupaten))
    return kabupaten, choices


@pages.get("/beds", response_class=HTMLResponse)
def beds_page(
    request: Request, db: Db, svc: Svc, kabupaten: Annotated[str | None, Query(max_length=20)] = None
) -> Response:
    """Public: no login. Free beds per hospital of one kabupaten/kota, when each was counted, stale marked."""
    chosen, choices = _kabupaten(svc, kabupaten)
    now = datetime.now(UTC)
    board = _beds(svc).board(db, svc.places, chosen, now, _stale_after(svc)) if chosen else []
    # Public page; a logged-in supervisor of this kabupaten (or an admin) also gets the form.
    user = session_principal(db, request.cookies.get(SESSION_COOKIE))
    return render(
        request,
        "beds.html",
        user,
        editable=bool(user and chosen and user.can_edit(chosen)),
        board=board,
        choices=choices,
        chosen=chosen,
        stale_hours=svc.settings.beds_stale_hours,
        classes=BED_CLASSES,
    )


@api.get("/beds")
def list_beds(db: Db, svc: Svc, kabupaten: Annotated[str | None, Query(max_length=20)] = None) -> dict:
    """Public: no login. Each hospital of a kabupaten/kota with its counts (`stale`: not routed to)."""
    chosen, _ = _kabupaten(svc, kabupaten)
    now = datetime.now(UTC)
    board = _beds(svc).board(db, svc.places, chosen, now, _stale_after(svc)) if chosen else []
    return {
        "kabupaten": chosen,
        "stale_after_hours": svc.settings.beds_stale_hours,
        "hospitals": [h.to_json() for h in board],
    }


def _refused(refusal: TokenRefusal) -> Response:
    headers = {"WWW-Authenticate": 'Bearer realm="siaga beds"'} if refusal.status == 401 else {}
    if refusal.retry_after_s is not None:
        headers["Retry-After"] = str(refusal.retry_after_s)
    return JSONResponse(
        {"errors": [{"field": "token", "reason": refusal.reason}]},
        status_code=refusal.status,
        headers=headers,
    )


async def _body(request: Request) -> bytes | None:
    """The body, read no further than `MAX_BODY` bytes (None: larger, whatever Content-Length said)."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY):
        return None
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_BODY:
            return None
    return bytes(data)


@api.put("/beds/{hospital}/{bed_class}")
async def put_beds(request: Request, db: Db, svc: Svc, hospital: str, bed_class: str) -> Response:
    """A hospital's count of one bed class, with the bearer token made by `siaga token add --hospital
    CODE`: 401 without a known token, 403 with another hospital's, 422 naming each bad field."""
    address = request.client.host if request.client else "unknown"
    holder = _beds(svc).authorise(db, request.headers.get("authorization"), address, hospital)
    if isinstance(holder, TokenRefusal):
        return _refused(holder)
    raw = await _body(request)
    if raw is None:
        return JSONResponse(
            {
                "errors": [
                    {
                        "field": "body",
                        "reason": api_text(request, Message("larger than {n} bytes", n=MAX_BODY)),
                    }
                ]
            },
            status_code=413,
        )
    try:
        body = BedsIn.model_validate_json(raw or b"{}")
    except ValidationError as exc:
        errors = [
            FieldError(".".join(str(p) for p in e.get("loc", ())) or "body", schema_reason(e))
            for e in exc.errors()
        ]
        raise InputError(errors) from None
    view = _beds(svc).put(
        db,
        holder.hospital,
        svc.places,
        bed_class,
        body.model_dump(),
        datetime.now(UTC),
        _stale_after(svc),
        f"token:{holder.id}",
    )
    return JSONResponse(view.to_json())


class BedsForm(BaseModel):
    """The console's form: the same fields as the PUT body; an empty `updated_at` means now."""

    bed_class: str = Field(max_length=20)
    total: str = Field(max_length=12)
    occupied: str = Field(max_length=12)
    waiting: str = Field(default="0", max_length=12)
    updated_at: str = Field(default="", max_length=40)


def _count(raw: str, name: str) -> int:
    text = raw.strip()
    if not text.lstrip("-").isdigit():
        raise InputError.one(name, Message("{raw!r} is not a whole number", raw=raw))
    return int(text)


@pages.post("/beds/{hospital}")
def beds_form(db: Db, svc: Svc, user: Writer, hospital: str, form: Annotated[BedsForm, Form()]) -> Response:
    """A supervisor (or admin) of the hospital's kabupaten types the count the hospital phoned in: the same
    checks and the same write as `PUT /api/beds/...`, kept with `console:<user>` as its source."""
    facility = svc.places.facilities.get(hospital)
    if facility is None or facility.kind != HOSPITAL_KIND:
        raise NotFound(Message("no hospital {hospital!r}", hospital=hospital))
    kabupaten = svc.places.kabupaten_of.get(hospital)
    user.require_edit(kabupaten)
    errors: list[FieldError] = []
    counts: dict[str, int] = {}
    for name in ("total", "occupied", "waiting"):
        try:
            counts[name] = _count(getattr(form, name) or "0", name)
        except InputError as exc:
            errors += exc.errors
    if errors:
        raise InputError(errors)
    body = {**counts, "updated_at": form.updated_at.strip() or None}
    _beds(svc).put(
        db,
        hospital,
        svc.places,
        form.bed_class,
        body,
        datetime.now(UTC),
        _stale_after(svc),
        f"console:{user.name}",
    )
    return RedirectResponse(f"/beds?kabupaten={kabupaten}#{hospital}", status_code=303)
