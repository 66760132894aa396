"""The console as `siaga web` serves it: the web app with the registrations of our Asterisk, and its queues
and phone states for the wallboard.

The console (`web`) knows no PBX; the composition here gives it one, for one process or for each
uvicorn worker (`siaga web --workers N`, which reads the settings the parent put in SIAGA_*).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from anyio import to_thread
from fastapi import FastAPI

from ami.client import ManagerError
from ami.login import manager_client
from ami.status import read_status
from kernel.settings import Settings, load
from lab.pbx import asterisk_registrations
from siaga.models import TABLE_MODULES  # noqa: F401  (every table on Base)
from web.app import build_services, create_app, serving
from web.directory.services import Registrations
from web.wallboard.services import PbxStatus, PbxStatusSource

log = logging.getLogger("siaga.console")


def asterisk_status(settings: Settings) -> Callable[[], PbxStatus | None]:
    """How the wallboard asks our Asterisk for its queues and device states (manager interface, one short
    login per ask; the wallboard's source asks at most once a second): None when it does not answer."""

    def ask() -> PbxStatus | None:
        try:
            with manager_client(settings, timeout_s=2.0) as client:
                report = read_status(client)
        except (ManagerError, OSError) as exc:
            log.warning("queue and phone states unknown: %s", exc)
            return None
        return PbxStatus(report.queues, report.devices, report.away)

    return ask


# Threads per process for the sync handlers (anyio's default is 40). One process runs Python on one
# core at a time (the GIL); more threads only overlap the short waits on the database, and every extra
# runnable thread is another one preempting the others every 5 ms. Measured with bench/web_load.py (50
# clients, 2 workers, one run each, the rest of this session's changes in): pages p99 349 ms with 40
# threads, 303 ms with 8, 269 ms with 4. It also keeps the threads (each holding at most one
# connection) well inside SQLAlchemy's pool of 5 + 10.
WORKER_THREADS = 4


def with_worker_threads(app: FastAPI, threads: int = WORKER_THREADS) -> FastAPI:
    """`app` with its worker thread pool set to `threads` when it starts serving (the limiter belongs
    to the event loop, so it can only be set from inside it)."""
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: FastAPI) -> AsyncIterator[Any]:
        to_thread.current_default_thread_limiter().total_tokens = threads
        async with inner(application) as state:
            yield state

    app.router.lifespan_context = lifespan
    return app


def console_app(settings: Settings) -> FastAPI:
    services = build_services(
        settings,
        registrations=Registrations(asterisk_registrations(settings)),
        pbx=PbxStatusSource(asterisk_status(settings)),
    )
    return serving(with_worker_threads(create_app(settings, services)))


def console_from_environment() -> FastAPI:
    return console_app(load())
