"""What every HTTP resource is handed: the request's transaction, the logged-in user, the services.

The transaction is opened here, by the app, once per request (`scope="function"`: it commits after the
handler returns and before the response leaves, and rolls back if the handler raised). Handlers never
begin or commit anything themselves.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from kernel.settings import Settings
from web.access import Principal, csrf_matches, session_principal
from web.beds.services import BedsService
from web.calls.services import CallsService
from web.complaints.services import ComplaintsWeb
from web.coverage.mapsvg import MapRenderer
from web.coverage.services import CoverageService
from web.directory.services import DirectoryService
from web.errors import Forbidden, NotLoggedIn
from web.logins import LoginGuard
from web.pages import FragmentCache
from web.places import Places
from web.rosters.services import RosterService
from web.wallboard.services import WallboardService

SESSION_COOKIE = "siaga_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"


@dataclass(frozen=True)
class Services:
    """Built once in `create_app` and passed to handlers explicitly (constructor injection)."""

    settings: Settings
    engine: Engine
    places: Places
    rosters: RosterService
    coverage: CoverageService
    maps: MapRenderer
    directory: DirectoryService
    calls: CallsService
    fragments: FragmentCache
    wallboard: WallboardService
    logins: LoginGuard = field(default_factory=LoginGuard)  # per process: its throttle is in memory
    beds: BedsService = field(default_factory=BedsService)  # per process: its token throttle too
    complaints: ComplaintsWeb = field(default_factory=ComplaintsWeb)  # per process: its form throttles


def services(request: Request) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


Svc = Annotated[Services, Depends(services)]


def transaction(request: Request) -> Iterator[Session]:
    with Session(services(request).engine) as session, session.begin():
        yield session


Db = Annotated[Session, Depends(transaction, scope="function")]


def current_user(request: Request, db: Db) -> Principal:
    principal = session_principal(db, request.cookies.get(SESSION_COOKIE))
    if principal is None:
        raise NotLoggedIn()
    return principal


User = Annotated[Principal, Depends(current_user)]


async def csrf_checked(request: Request, user: User) -> Principal:
    """The user, after checking the CSRF token of a state-changing request (header or form field).

    A cookie alone proves nothing: another site can make the browser send it. The token is only in our
    own pages (and in the API's login answer), so a forged request cannot carry it.
    """
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    if not csrf_matches(user.csrf_token, given):
        raise Forbidden("missing or wrong CSRF token: reload the page and try again")
    return user


Writer = Annotated[Principal, Depends(csrf_checked)]
