"""`/wallboard` (the page for the PSC room's screen), `/api/wallboard` (one JSON snapshot) and
`/api/wallboard/stream` (a snapshot every few seconds as server-sent events, so the screen never reloads).

Any logged-in user; a supervisor sees the desks and operators of their kabupaten, a national user all.
The stream holds no transaction between events (each snapshot reads in its own), ends when the browser
goes, and ends by itself after `STREAM_LIMIT_S`: the browser's EventSource then reconnects, and the login
is checked again.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from sqlalchemy.orm import Session

from web.access import Principal
from web.deps import Db, Svc, User
from web.pages import render

pages = APIRouter()
api = APIRouter(tags=["wallboard"])

STREAM_LIMIT_S = 600.0


@pages.get("/wallboard", response_class=HTMLResponse)
def wallboard_page(request: Request, db: Db, svc: Svc, user: User) -> Response:
    snapshot = svc.wallboard.snapshot(db, user, datetime.now(UTC))
    return render(request, "wallboard.html", user, snapshot=snapshot, snapshot_json=json.dumps(snapshot))


@api.get("/wallboard")
def wallboard_api(db: Db, svc: Svc, user: User) -> dict[str, Any]:
    """Desks (callers waiting, longest wait), operators on duty and their state, calls ringing, waiting
    and answered now, today's answer times. PBX figures are null while Asterisk cannot be asked."""
    return svc.wallboard.snapshot(db, user, datetime.now(UTC))


def _one_event(svc: Any, user: Principal) -> str:
    with Session(svc.engine) as session, session.begin():
        snapshot = svc.wallboard.snapshot(session, user, datetime.now(UTC))
    return f"event: snapshot\ndata: {json.dumps(snapshot)}\n\n"


@api.get("/wallboard/stream")
async def wallboard_stream(request: Request, svc: Svc, user: User) -> StreamingResponse:
    """`event: snapshot` with the same JSON as `/api/wallboard`, every couple of seconds."""
    service = svc.wallboard

    async def events() -> AsyncIterator[str]:
        service.stream_opened()
        try:
            yield f"retry: {int(service.interval_s * 1000)}\n\n"
            deadline = time.monotonic() + STREAM_LIMIT_S
            while time.monotonic() < deadline:
                yield await anyio.to_thread.run_sync(_one_event, svc, user)
                waited = 0.0
                while waited < service.interval_s:
                    if await request.is_disconnected():
                        return
                    step = min(0.25, service.interval_s - waited)
                    await anyio.sleep(step)
                    waited += step
        finally:
            service.stream_closed()

    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(events(), media_type="text/event-stream", headers=headers)
