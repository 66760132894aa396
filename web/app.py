"""The console's app factory: services built once from `Settings`, routes mounted, errors turned into
answers that name the field and the reason.

Handlers stay thin (access check, schema, one service call, render); everything they need arrives
through `web.deps`.
"""

from __future__ import annotations

import gc
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine

from kernel.db import make_engine
from kernel.messages import N_
from kernel.settings import Settings
from web import i18n, session_http
from web.beds import http as beds_http
from web.calls import http as calls_http
from web.calls.services import CallsService
from web.complaints import http as complaints_http
from web.coverage import http as coverage_http
from web.coverage.mapsvg import MapRenderer
from web.coverage.services import CoverageService
from web.deps import Services
from web.directory import http as directory_http
from web.directory.services import DirectoryService, Registrations
from web.errors import FieldError, Forbidden, InputError, NotFound, NotLoggedIn, schema_reason
from web.incidents import http as incidents_http
from web.pages import FragmentCache, api_language, render, safe_back
from web.phone import http as phone_http
from web.places import Places, load_places
from web.rosters import http as rosters_http
from web.rosters.services import RosterService
from web.staffing import http as staffing_http
from web.wallboard import http as wallboard_http
from web.wallboard.services import PbxStatusSource, WallboardService

# Each feature module has `pages` (HTML, left out of the OpenAPI spec) and `api` (mounted under /api).
FEATURES = (
    session_http,
    rosters_http,
    coverage_http,
    directory_http,
    calls_http,
    staffing_http,
    beds_http,
    incidents_http,
    complaints_http,
    wallboard_http,
    phone_http,
)

API_DESCRIPTION = """Everything the supervisors' console does, for scripts: log in with `POST /api/login`
(it sets the session cookie and returns a CSRF token); send that token as `X-CSRF-Token` with every
POST, PATCH and DELETE. Bad input is answered with 422 and `{"errors": [{"field", "reason", "line"?}]}`,
and nothing is changed; data of a kabupaten you do not hold is answered with 403. Each `reason` is in
the language asked for with `Accept-Language` (`id` or `en`), in English when none is asked for; the
pages are in the user's own language (`PUT /api/me/language`), Indonesian by default."""

NOTHING_CHANGED = N_("Nothing was changed: please fix these problems")


def build_services(
    settings: Settings,
    engine: Engine | None = None,
    places: Places | None = None,
    registrations: Registrations | None = None,
    pbx: PbxStatusSource | None = None,
) -> Services:
    places = places or load_places(settings)
    calls = CallsService(places)
    return Services(
        settings=settings,
        engine=engine or make_engine(settings.db_url),
        places=places,
        rosters=RosterService(places),
        coverage=CoverageService(places),
        maps=MapRenderer(places),
        directory=DirectoryService(places, registrations or Registrations.unknown()),
        calls=calls,
        fragments=FragmentCache(),
        wallboard=WallboardService(places, calls, pbx or PbxStatusSource.unknown()),
    )


def create_app(settings: Settings, services: Services | None = None) -> FastAPI:
    app = FastAPI(
        title="siaga supervisors' console",
        version="0.1.0",
        description=API_DESCRIPTION,
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    # A bad web_secure_cookie stops the console at start, not at the first login.
    session_http.secure_cookies(settings)
    app.state.services = services or build_services(settings)
    app.mount("/static", StaticFiles(directory=str(Path(__file__).parent / "static")), name="static")
    for module in FEATURES:
        app.include_router(module.pages, include_in_schema=False)
        app.include_router(module.api, prefix="/api")
    _error_handlers(app)
    return app


def serving(app: FastAPI) -> FastAPI:
    """Before serving: the country's areas and facilities, loaded once, never become garbage; moving them
    out of the collector's sight keeps its full passes (pauses every request would wait on) short."""
    gc.collect()
    gc.freeze()
    return app


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _translated(error: FieldError) -> dict:
    return {**error.to_json(), "reason": i18n.translate(error.reason)}


def _problems(request: Request, status: int, title: str, errors: list[FieldError]) -> Response:
    if _is_api(request):
        with i18n.language(api_language(request)):
            body = {"errors": [_translated(e) for e in errors]}
        return JSONResponse(body, status_code=status)
    return render(
        request,
        "problems.html",
        None,
        status_code=status,
        title=title,
        errors=errors,
        back=safe_back(request),
    )


def _reason(exc: Exception) -> str:
    """The exception's message, still a `Message` (translatable) if it was raised with one."""
    first = exc.args[0] if len(exc.args) == 1 else None
    return first if isinstance(first, str) else str(exc)


def _error_handlers(app: FastAPI) -> None:
    @app.exception_handler(InputError)
    async def bad_input(request: Request, exc: InputError) -> Response:
        return _problems(request, 422, NOTHING_CHANGED, exc.errors)

    @app.exception_handler(RequestValidationError)
    async def bad_schema(request: Request, exc: RequestValidationError) -> Response:
        errors = []
        for e in exc.errors():
            loc = [str(p) for p in e.get("loc", ()) if p not in ("body", "query", "path", "form")]
            errors.append(FieldError(".".join(loc) or "request", schema_reason(e)))
        return _problems(request, 422, NOTHING_CHANGED, errors)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden) -> Response:
        return _problems(request, 403, N_("Not allowed"), [FieldError("access", _reason(exc))])

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> Response:
        return _problems(request, 404, N_("Not found"), [FieldError("id", _reason(exc))])

    @app.exception_handler(NotLoggedIn)
    async def not_logged_in(request: Request, exc: NotLoggedIn) -> Response:
        if _is_api(request):
            with i18n.language(api_language(request)):
                reason = i18n.gettext("log in first")
            return JSONResponse({"errors": [{"field": "session", "reason": reason}]}, status_code=401)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
