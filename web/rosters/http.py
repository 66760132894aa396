"""Roster editor pages and `/api/rosters`: check access, validate, call `RosterService`, render."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from dispatch.store import unit_bases
from kernel.messages import N_, Message
from web.access import Principal
from web.deps import Db, Services, Svc, User, Writer
from web.errors import InputError
from web.i18n import recognise
from web.pages import render
from web.rosters.schemas import AssignmentIn, CopyWeekIn, RotationIn, SwapIn
from web.rosters.services import MAX_IMPORT_BYTES, monday

pages = APIRouter()
api = APIRouter(prefix="/rosters", tags=["rosters"])

MAX_EXPORT_DAYS = 93


def _editable(svc: Services, user: Principal, facility_code: str) -> str:
    svc.rosters.facility(facility_code)
    user.require_edit(svc.places.kabupaten_of.get(facility_code))
    return facility_code


def _readable(svc: Services, user: Principal, facility_code: str) -> str:
    svc.rosters.facility(facility_code)
    user.require_read(svc.places.kabupaten_of.get(facility_code))
    return facility_code


def _assignment_editable(db: Db, svc: Services, user: Principal, assignment_id: int) -> None:
    facility = svc.rosters.assignment_facility(db, assignment_id)
    user.require_edit(svc.places.kabupaten_of.get(facility))


def _decode(raw: bytes) -> str:
    if len(raw) > MAX_IMPORT_BYTES:
        raise InputError.one("file", Message("larger than {n} MB", n=MAX_IMPORT_BYTES // 1_000_000))
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError.one(
            "file", Message("not UTF-8 text (byte {n}); save the sheet as CSV UTF-8", n=exc.start)
        ) from exc


COPIED = N_("copied {n} assignment(s)")
ROTATED = N_("rotation wrote {n} assignment(s); {unfilled} shift(s) left unfilled")
IMPORTED = N_("imported {n} assignment(s) from {name}")


def _notice(done: str | None) -> str | None:
    """`?done=` as a message the page shows in the reader's language."""
    return recognise(done, (COPIED, ROTATED, IMPORTED)) if done else None


def _back_to_grid(facility: str, week: date, done: str) -> RedirectResponse:
    query = urlencode({"facility": facility, "week": monday(week).isoformat(), "done": done})
    return RedirectResponse(f"/roster?{query}", status_code=303)


# -- pages ---------------------------------------------------------------------------------------------


@pages.get("/roster", response_class=HTMLResponse)
def roster_page(
    request: Request,
    db: Db,
    svc: Svc,
    user: User,
    facility: str | None = None,
    week: date | None = None,
    done: Annotated[str | None, Query(max_length=300)] = None,
) -> Response:
    choices = svc.places.facilities_in(None if user.national else user.kabupaten)
    if not choices:
        return render(request, "roster.html", user, grid=None, choices=[], done=_notice(done))
    code = _readable(svc, user, facility or choices[0].code)
    now = datetime.now(UTC)
    tonight = svc.rosters.current_shift(db, code, now)
    grid = svc.rosters.week(db, code, week or tonight[0])
    return render(
        request,
        "roster.html",
        user,
        grid=grid,
        facility=svc.places.facilities[code],
        kabupaten_name=svc.places.area_name(svc.places.kabupaten_of.get(code)),
        choices=choices,
        editable=user.can_edit(svc.places.kabupaten_of.get(code)),
        today=tonight[0],
        current=tonight,
        prev_week=grid.week_start - timedelta(days=7),
        next_week=grid.week_start + timedelta(days=7),
        done=_notice(done),
        units=sorted(u for u, base in unit_bases(db).items() if base == code),
    )


@pages.post("/roster/copy-week")
def copy_week_form(db: Db, svc: Svc, user: Writer, form: Annotated[CopyWeekIn, Form()]) -> Response:
    _editable(svc, user, form.facility_code)
    count = svc.rosters.copy_week(db, user.name, form.facility_code, form.from_week, form.to_week)
    return _back_to_grid(form.facility_code, form.to_week, Message(COPIED, n=count))


@pages.post("/roster/rotation")
def rotation_form(db: Db, svc: Svc, user: Writer, form: Annotated[RotationIn, Form()]) -> Response:
    _editable(svc, user, form.facility_code)
    written, unfilled = svc.rosters.apply_rotation(
        db, user.name, form.facility_code, form.first_day(), form.staff_ids
    )
    done = Message(ROTATED, n=written, unfilled=unfilled)
    return _back_to_grid(form.facility_code, form.first_day(), done)


@pages.post("/roster/import")
async def import_form(
    db: Db,
    svc: Svc,
    user: Writer,
    file: Annotated[UploadFile, File()],
    facility: Annotated[str, Form(max_length=64)] = "",
    replace: Annotated[bool, Form()] = False,
) -> Response:
    if not user.can_edit_anything:
        user.require_edit(None)
    text = _decode(await file.read(MAX_IMPORT_BYTES + 1))
    name = file.filename or "upload.csv"
    count = await run_in_threadpool(
        svc.rosters.import_csv, db, user.name, text, name, user.writable_kabupaten, replace
    )
    back = facility if facility in svc.places.facilities else ""
    query = urlencode({"facility": back, "done": Message(IMPORTED, n=count, name=name)})
    return RedirectResponse(f"/roster?{query}", status_code=303)


@pages.get("/roster/export.csv")
def export_page(
    db: Db,
    svc: Svc,
    user: User,
    facility: str,
    start: Annotated[date, Query(alias="from")],
    end: Annotated[date, Query(alias="to")],
) -> Response:
    return export(db, svc, user, start, end, facility)


# -- API -----------------------------------------------------------------------------------------------


@api.get("")
def week(db: Db, svc: Svc, user: User, facility_code: str, week: date | None = None) -> dict:
    """A facility's week from Monday: its staff and every assignment (local times), as the editor shows."""
    _readable(svc, user, facility_code)
    first = week or svc.rosters.current_shift(db, facility_code, datetime.now(UTC))[0]
    return svc.rosters.week(db, facility_code, first).to_json()


@api.get("/export", response_class=PlainTextResponse)
def export(
    db: Db,
    svc: Svc,
    user: User,
    start: Annotated[date, Query(alias="from")],
    end: Annotated[date, Query(alias="to", description="exclusive")],
    facility_code: str | None = None,
) -> Response:
    """The roster as CSV in the import format, for one facility or every facility the user may see."""
    if end <= start or end - start > timedelta(days=MAX_EXPORT_DAYS):
        raise InputError.one(
            "to", Message("must be after 'from' and at most {n} days later", n=MAX_EXPORT_DAYS)
        )
    if facility_code:
        codes = [_readable(svc, user, facility_code)]
    else:
        codes = [f.code for f in svc.places.facilities_in(None if user.national else user.kabupaten)]
    text = svc.rosters.export_csv(db, codes, start, end)
    name = f"roster-{facility_code or 'all'}-{start}-{end}.csv"
    return Response(
        text, media_type="text/csv", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@api.post("/assignments", status_code=201)
def add_assignment(db: Db, svc: Svc, user: Writer, body: AssignmentIn) -> dict:
    _editable(svc, user, body.facility_code)
    slot = svc.rosters.add(
        db,
        user.name,
        body.facility_code,
        body.staff_id,
        body.date,
        body.shift,
        body.start,
        body.end,
        body.unit,
    )
    return slot.to_json()


@api.delete("/assignments/{assignment_id}")
def remove_assignment(db: Db, svc: Svc, user: Writer, assignment_id: int) -> dict:
    _assignment_editable(db, svc, user, assignment_id)
    return {"removed": svc.rosters.remove(db, user.name, assignment_id)}


@api.post("/assignments/{assignment_id}/swap")
def swap_assignment(db: Db, svc: Svc, user: Writer, assignment_id: int, body: SwapIn) -> dict:
    """Someone else works this shift (a swap exception: the plan keeps who was rostered)."""
    _assignment_editable(db, svc, user, assignment_id)
    return svc.rosters.swap(db, user.name, assignment_id, body.staff_id).to_json()


@api.post("/copy-week")
def copy_week(db: Db, svc: Svc, user: Writer, body: CopyWeekIn) -> dict:
    """Replace the target week of one facility with a copy of the source week."""
    _editable(svc, user, body.facility_code)
    return {"written": svc.rosters.copy_week(db, user.name, body.facility_code, body.from_week, body.to_week)}


@api.post("/rotation")
def rotation(db: Db, svc: Svc, user: Writer, body: RotationIn) -> dict:
    """Replace one facility's month with the rotation template (three people take the shifts in turn)."""
    _editable(svc, user, body.facility_code)
    written, unfilled = svc.rosters.apply_rotation(
        db, user.name, body.facility_code, body.first_day(), body.staff_ids
    )
    return {"written": written, "unfilled": unfilled}


@api.post("/import", openapi_extra={"requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}}}})
async def import_roster(
    request: Request,
    db: Db,
    svc: Svc,
    user: Writer,
    replace: bool = False,
    source: Annotated[str, Query(max_length=200)] = "upload.csv",
) -> dict:
    """Import a roster CSV sent as the body (`Content-Type: text/csv`); all or nothing, every bad line
    listed with its number. With `replace`, each facility's existing assignments in the file's dates go."""
    if not user.can_edit_anything:
        user.require_edit(None)
    text = _decode(await request.body())
    count = await run_in_threadpool(
        svc.rosters.import_csv, db, user.name, text, source, user.writable_kabupaten, replace
    )
    return {"imported": count}
