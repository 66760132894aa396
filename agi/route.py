"""The `route` AGI script: turn the call into a `CallContext`, ask the router, write the plan.

Thin on purpose: every decision lives in routing/. The reply is a handful of SET VARIABLE commands;
ROUTE_STATUS=OK goes last so the dialplan can tell a complete plan from a crash halfway.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from agi import variables as v
from agi.protocol import AgiSession
from routing.plan import CallContext, RoutePlan
from routing.router import Router
from routing.services import DEFAULT_SERVICE, SERVICES

log = logging.getLogger("siaga.agi.route")

_CALLER_ID = re.compile(r"\+?[0-9][0-9 ()-]{0,31}")
_DIALLED = re.compile(r"[0-9*#+]{1,32}")


def context_from_session(session: AgiSession, now: datetime) -> CallContext:
    """Treat everything Asterisk relays from the caller as hostile: keep only what looks like a number."""
    env = session.env
    caller = env.get("agi_callerid", "")
    if not _CALLER_ID.fullmatch(caller):
        if caller and caller != "unknown":
            log.warning(
                "call %s: caller id %r is not a phone number; treated as unknown",
                session.unique_id,
                caller[:40],
            )
        caller = ""
    dialled = env.get("agi_dnid") or env.get("agi_extension") or ""
    if not _DIALLED.fullmatch(dialled):
        dialled = ""
    service = session.args[0] if session.args else DEFAULT_SERVICE
    if service not in SERVICES:
        log.warning("call %s: unknown service %r; using %s", session.unique_id, service[:40], DEFAULT_SERVICE)
        service = DEFAULT_SERVICE
    return CallContext(session.unique_id, caller, dialled, service, now)


def write_plan(session: AgiSession, plan: RoutePlan) -> None:
    for n, target in enumerate(plan.targets, start=1):
        session.set_variable(v.route_n(n), target.dial)
        session.set_variable(v.route_timeout_n(n), str(target.timeout_s))
    session.set_variable(v.ROUTE_AREA, plan.area[0].code if plan.area else "")
    session.set_variable(v.ROUTE_LOCATION_SOURCE, plan.location.source if plan.location else "none")
    session.set_variable(v.ROUTE_COUNT, str(len(plan.targets)))
    session.set_variable(v.ROUTE_STATUS, v.STATUS_OK)


class DecisionLog:
    """Appends each plan as one JSON line, so a supervisor (and the demo) can see why a call went where."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._path = path
        self._handle: TextIO | None = None

    def write(self, plan: RoutePlan) -> None:
        if self._handle is None:
            self._handle = self._path.open("a", encoding="utf-8")
        self._handle.write(json.dumps(plan.to_json(), ensure_ascii=False) + "\n")
        self._handle.flush()


def make_route_handler(
    router: Router, decisions: DecisionLog | None, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
) -> Callable[[AgiSession], None]:
    def route(session: AgiSession) -> None:
        ctx = context_from_session(session, clock())
        plan = router.decide(ctx)
        write_plan(session, plan)
        first = plan.targets[0]
        log.info(
            "call %s from %s: %d target(s), first %s (%s)",
            ctx.call_id,
            ctx.caller or "unknown",
            len(plan.targets),
            first.endpoint,
            first.why,
        )
        if decisions is not None:
            try:
                decisions.write(plan)
            except OSError as exc:
                log.error("call %s: decision log not written: %s", ctx.call_id, exc)

    return route
