"""Logging in and out, the home page and the audit log.

Logins go through `web.logins.LoginGuard` (throttled, audited). The cookies' `Secure` flag is the
`web_secure_cookie` setting (`secure_cookies`), never the request's scheme: behind a proxy that is what an
`X-Forwarded-Proto` header says, and a header is the client's to choose.
"""

from __future__ import annotations

import ipaddress
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from kernel.settings import Settings, SettingsError
from web import access, audit
from web.access import csrf_matches
from web.deps import SESSION_COOKIE, Db, Svc, User, Writer
from web.logins import WRONG, LoginOutcome
from web.pages import api_text, render, safe_next

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
    lang: str = "id"


class LanguageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lang: str = Field(min_length=2, max_length=8, description="the console's language: id or en")


_FLAGS = {
    "true": True,
    "yes": True,
    "on": True,
    "1": True,
    "false": False,
    "no": False,
    "off": False,
    "0": False,
}


def secure_cookies(settings: Settings) -> bool:
    """Whether the console's cookies carry `Secure`, from `web_secure_cookie`.

    `auto` (the default) means Secure unless the console listens on a loopback address: then it is plain
    http to a browser on this machine (which would refuse to send a Secure cookie back to it over http
    everywhere but on localhost). Listening on any other address, it must be reached through TLS. A TLS
    proxy on this machine in front of a loopback console sets `true`.
    """
    value = settings.web_secure_cookie.strip().lower()
    if value in _FLAGS:
        return _FLAGS[value]
    if value != "auto":
        raise SettingsError(
            f"setting 'web_secure_cookie': {settings.web_secure_cookie!r} is not auto, true or false"
        )
    host = settings.web_host.strip("[]")
    if host == "localhost":
        return False
    try:
        return not ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name: reachable from elsewhere
        return True


def _set_session(response: Response, token: str, settings: Settings) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(access.SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=secure_cookies(settings),
        path="/",
    )


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _login_form(
    request: Request, settings: Settings, next: str, status: int = 200, **context: object
) -> Response:
    token = secrets.token_urlsafe(24)
    response = render(
        request, "login.html", None, status_code=status, login_csrf=token, next=safe_next(next), **context
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=secure_cookies(settings),
        path="/login",
    )
    if status == 429:
        response.headers["Retry-After"] = str(context.get("retry_after_s", 1))
    return response


@pages.get("/login", response_class=HTMLResponse)
def login_page(request: Request, svc: Svc, next: str = "/") -> Response:
    return _login_form(request, svc.settings, next, error=None)


@pages.post("/login")
def login_submit(
    request: Request,
    db: Db,
    svc: Svc,
    name: Annotated[str, Form(max_length=64)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """The login form carries its own CSRF token (a cookie set with the form), so no site can log a
    browser into someone else's account."""
    if not csrf_matches(request.cookies.get(LOGIN_CSRF_COOKIE, ""), csrf_token):
        return login_page(request, svc, next)
    outcome = svc.logins.log_in(db, name, password, _address(request))
    if not outcome.ok:
        throttled = outcome.status == 429
        error = outcome.reason if throttled else WRONG  # translated when the form is rendered
        status = 429 if throttled else 401
        return _login_form(
            request,
            svc.settings,
            next,
            status,
            error=error,
            name=name,
            retry_after_s=outcome.retry_after_s or 1,
        )
    response = RedirectResponse(safe_next(next), status_code=303)
    _set_session(response, outcome.token, svc.settings)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@pages.post("/logout")
def logout(request: Request, db: Db, user: Writer) -> Response:
    access.log_out(db, request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@pages.post("/language")
def choose_language(
    db: Db,
    user: Writer,
    lang: Annotated[str, Form(max_length=8)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """The header's language form: remembered for the user, then back to the page it was sent from."""
    access.set_language(db, user.user_id, lang)
    return RedirectResponse(safe_next(next), status_code=303)


@pages.get("/")
def home(user: User) -> Response:
    return RedirectResponse("/coverage", status_code=303)


@pages.get("/audit", response_class=HTMLResponse)
def audit_page(request: Request, db: Db, svc: Svc, user: User) -> Response:
    scope = None if user.national else {f.code for f in svc.places.facilities_in(user.kabupaten)}
    home_zone = svc.places.zone_of_scope(None if user.national else user.kabupaten)
    return render(
        request,
        "audit.html",
        user,
        entries=audit.recent(db, scope, 200),
        zone_of=lambda code: svc.places.zone_of_facility(code, home_zone),
    )


def _refused(request: Request, outcome: LoginOutcome) -> Response:
    """Answered, not raised: the audit entry of the attempt commits with the request's transaction."""
    headers = {"Retry-After": str(outcome.retry_after_s)} if outcome.retry_after_s else None
    body = {"errors": [{"field": "password", "reason": api_text(request, outcome.reason)}]}
    return JSONResponse(body, status_code=outcome.status, headers=headers)


@api.post("/login", response_model=LoginOut, responses={422: {}, 429: {}})
def api_login(request: Request, db: Db, svc: Svc, body: LoginIn) -> Response:
    """Log in; the answer sets the session cookie and carries the CSRF token for later writes.

    A JSON body cannot be sent by a plain HTML form of another site, so this needs no CSRF token itself.
    A wrong name or password is answered 422; too many failures (per name, per address) 429 with
    `Retry-After`, before the password is even checked.
    """
    outcome = svc.logins.log_in(db, body.name, body.password, _address(request))
    if outcome.principal is None:
        return _refused(request, outcome)
    principal = outcome.principal
    out = LoginOut(
        name=principal.name,
        role=principal.role,
        kabupaten=sorted(principal.kabupaten),
        csrf_token=principal.csrf_token,
        lang=principal.lang,
    )
    response = JSONResponse(out.model_dump())
    _set_session(response, outcome.token, svc.settings)
    return response


@api.post("/logout", status_code=204)
def api_logout(request: Request, db: Db, user: Writer) -> Response:
    access.log_out(db, request.cookies.get(SESSION_COOKIE))
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@api.get("/me", response_model=LoginOut)
async def api_me(user: User) -> LoginOut:
    """Who is logged in. Async: nothing here blocks, so no worker thread is woken for it."""
    return LoginOut(
        name=user.name,
        role=user.role,
        kabupaten=sorted(user.kabupaten),
        csrf_token=user.csrf_token,
        lang=user.lang,
    )


@api.put("/me/language", response_model=LoginOut, responses={422: {}})
def api_language(db: Db, user: Writer, body: LanguageIn) -> LoginOut:
    """Choose the console's language for this user (`id`, the default, or `en`); pages follow it at once."""
    access.set_language(db, user.user_id, body.lang)
    return LoginOut(
        name=user.name,
        role=user.role,
        kabupaten=sorted(user.kabupaten),
        csrf_token=user.csrf_token,
        lang=body.lang,
    )


@api.get("/audit")
def api_audit(db: Db, svc: Svc, user: User, limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> dict:
    """The newest roster and staff changes the user may see: who, when, before and after."""
    scope = None if user.national else {f.code for f in svc.places.facilities_in(user.kabupaten)}
    return {"entries": [e.to_json() for e in audit.recent(db, scope, limit)]}
