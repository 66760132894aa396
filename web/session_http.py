"""Logging in and out, the home page and the audit log."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from web import access, audit
from web.access import csrf_matches
from web.deps import SESSION_COOKIE, Db, Svc, User, Writer
from web.errors import InputError
from web.pages import render, safe_next

pages = APIRouter()
api = APIRouter(tags=["session"])

LOGIN_CSRF_COOKIE = "siaga_login_csrf"


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class LoginOut(BaseModel):
    name: str
    role: str
    kabupaten: list[str]
    csrf_token: str


def _set_session(response: Response, token: str, request: Request) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(access.SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )


@pages.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> Response:
    token = secrets.token_urlsafe(24)
    response = render(request, "login.html", None, login_csrf=token, next=safe_next(next), error=None)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", path="/login")
    return response


@pages.post("/login")
def login_submit(
    request: Request,
    db: Db,
    name: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """The login form carries its own CSRF token (a cookie set with the form), so no site can log a
    browser into someone else's account."""
    if not csrf_matches(request.cookies.get(LOGIN_CSRF_COOKIE, ""), csrf_token):
        return login_page(request, next)
    try:
        token, _ = access.log_in(db, name, password)
    except InputError:
        fresh = secrets.token_urlsafe(24)
        response = render(
            request,
            "login.html",
            None,
            status_code=401,
            login_csrf=fresh,
            next=safe_next(next),
            error="Unknown user or wrong password.",
            name=name,
        )
        response.set_cookie(LOGIN_CSRF_COOKIE, fresh, httponly=True, samesite="strict", path="/login")
        return response
    response = RedirectResponse(safe_next(next), status_code=303)
    _set_session(response, token, request)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@pages.post("/logout")
def logout(request: Request, db: Db, user: Writer) -> Response:
    access.log_out(db, request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@pages.get("/")
def home(user: User) -> Response:
    return RedirectResponse("/coverage", status_code=303)


@pages.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, db: Db, svc: Svc, user: User) -> Response:
    scope = None if user.national else {f.code for f in svc.places.facilities_in(user.kabupaten)}
    return render(request, "audit.html", user, entries=audit.recent(db, scope, 200))


@api.post("/login", response_model=LoginOut)
def api_login(request: Request, db: Db, body: LoginIn) -> Response:
    """Log in; the answer sets the session cookie and carries the CSRF token for later writes.

    A JSON body cannot be sent by a plain HTML form of another site, so this needs no CSRF token itself.
    """
    token, principal = access.log_in(db, body.name, body.password)
    out = LoginOut(
        name=principal.name,
        role=principal.role,
        kabupaten=sorted(principal.kabupaten),
        csrf_token=principal.csrf_token,
    )
    response = JSONResponse(out.model_dump())
    _set_session(response, token, request)
    return response


@api.post("/logout", status_code=204)
def api_logout(request: Request, db: Db, user: Writer) -> Response:
    access.log_out(db, request.cookies.get(SESSION_COOKIE))
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@api.get("/me", response_model=LoginOut)
def api_me(user: User) -> LoginOut:
    return LoginOut(
        name=user.name, role=user.role, kabupaten=sorted(user.kabupaten), csrf_token=user.csrf_token
    )


@api.get("/audit")
def api_audit(db: Db, svc: Svc, user: User, limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict:
    """The newest roster and staff changes the user may see: who, when, before and after."""
    scope = None if user.national else {f.code for f in svc.places.facilities_in(user.kabupaten)}
    return {"entries": [e.to_json() for e in audit.recent(db, scope, limit)]}
