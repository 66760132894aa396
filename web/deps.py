"""What every HTTP resource is handed: the request's transaction, the logged-in user, the services.

The transaction is opened here, by the app, once per request (`scope="function"`: it commits after the
handler returns and before the response leaves, and rolls back if the handler raised). Handlers never
begin or commit anything themselves.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Connection, Engine, event
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from kernel.messages import N_
from kernel.settings import Settings
from web.access import Principal, SessionReader, csrf_matches
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
    session_reader: SessionReader = field(default_factory=SessionReader)  # per process: its connection
    logins: LoginGuard = field(default_factory=LoginGuard)  # per process: its throttle is in memory
    beds: BedsService = field(default_factory=BedsService)  # per process: its token throttle too
    complaints: ComplaintsWeb = field(default_factory=ComplaintsWeb)  # per process: its form throttles


def services(request: Request) -> Services:
    return request.app.state.services  # type: ignore[no-any-return]


Svc = Annotated[Services, Depends(services)]


_DRIVER = "siaga.driver_connection"  # in Session.info


class RequestSession(Session):
    """The request's session; it notes the driver connection its transaction begins on, so that the end
    of a transaction that wrote nothing can be told apart without asking the database."""


@event.listens_for(RequestSession, "after_begin")
def _note_connection(session: Session, _transaction: object, connection: Connection) -> None:
    session.info[_DRIVER] = connection.connection.dbapi_connection


def _ends_in_place(session: Session) -> bool:
    """Whether ending this transaction does no I/O worth a thread: it never reached the database, or
    it did on SQLite and only read (the driver opens a write transaction at the first write only).
    Anything else (a write to commit, a server database) may wait on the disk or the network."""
    driver = session.info.get(_DRIVER)
    return driver is None or (isinstance(driver, sqlite3.Connection) and not driver.in_transaction)


async def transaction(request: Request) -> AsyncIterator[Session]:
    """The request's transaction, without a worker thread of its own.

    A sync generator dependency costs two hand-overs to the thread pool per request (to open, to
    close), each a wake-up of a thread competing for the GIL; under load those hand-overs were a third
    of a worker's time. Opening a Session does no I/O (it connects at the first statement, in the
    handler's thread); ending it is done here when it does none either (`_ends_in_place`), else in a
    worker thread.
    """
    session = RequestSession(services(request).engine)
    session.begin()
    try:
        yield session
    except BaseException:
        if _ends_in_place(session):
            session.close()
        else:
            await run_in_threadpool(session.close)  # rolls back
        raise
    if _ends_in_place(session):
        _commit_and_close(session)
    else:
        await run_in_threadpool(_commit_and_close, session)


def _commit_and_close(session: Session) -> None:
    try:
        session.commit()
    finally:
        session.close()


Db = Annotated[Session, Depends(transaction, scope="function")]


async def current_user(request: Request) -> Principal:
    """The logged-in user, checked on every request in the event loop rather than a worker thread: one
    primary-key read (~0.1 ms) costs less than the hand-over to a thread and back. It reads on the
    process's own connection (`web.access.SessionReader`), outside the request's transaction."""
    svc = services(request)
    principal = svc.session_reader.principal(svc.engine, request.cookies.get(SESSION_COOKIE))
    if principal is None:
        raise NotLoggedIn()
    request.state.lang = principal.lang  # for an error page, rendered without the principal
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
        raise Forbidden(N_("missing or wrong CSRF token: reload the page and try again"))
    return user


Writer = Annotated[Principal, Depends(csrf_checked)]
