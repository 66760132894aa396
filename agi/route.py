"""The `route` AGI script: turn the call into a `CallContext`, ask the router, write the plan.

Thin on purpose: every decision lives in routing/. The reply is one EXEC MSet (a handful of SET VARIABLE
commands where MSet fails); ROUTE_STATUS=OK goes last so the dialplan can tell a complete plan from a crash
halfway, and every value, whatever characters a caller id or a facility name brings, reaches Asterisk whole
(agi.protocol.mset_escape). Reading the call costs two GET FULL VARIABLE round trips (location facts;
device states of the router's candidates, all in one, before the router decides). The call record and
decision log are written after the plan, to a local spool, so neither can slow or fail the reply.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, TextIO

from agi import variables as v
from agi.facts import check_header_name, read_device_states, read_location_facts
from agi.protocol import AgiCommandError, AgiSession
from kernel.catalogue import DEFAULT_SERVICE, SERVICES
from routing.plan import CallContext, LocationFacts, RoutePlan
from routing.records.report import plan_event, plan_event_line
from routing.router import Router
from routing.screenpop import attempt_texts, call_texts

log = logging.getLogger("siaga.agi.route")

_CALLER_ID = re.compile(r"\+?[0-9][0-9 ()-]{0,31}")
_DIALLED = re.compile(r"[0-9*#+]{1,32}")
_DIGITS = re.compile(r"[0-9]{0,6}")
_TOPIC = re.compile(r"[0-9]?")
_EPOCH = re.compile(r"[0-9]{9,11}(?:\.[0-9]{1,6})?")
# A call that arrived longer ago than this is not believed: the start time is only used for the budget.
_MAX_CALL_AGE_S = 600
# json.dumps(…, ensure_ascii=False, separators=(",", ":")) without building an encoder on every call.
_PLAN_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode


class RecordSink(Protocol):
    def append(self, record_event: dict[str, Any]) -> None: ...


class VariableWriter(Protocol):
    def set_variable(self, name: str, value: str) -> None: ...


@dataclass(frozen=True)
class RouteOptions:
    carrier_header: str = "X-Caller-Location"
    device_state_check: bool = True
    # The ambulance recommendation for an emergency caller's point, for the screen-pop (X-Siaga-Ambulance;
    # dispatch/screenpop.py): (now, lat, lon) → one line, "" for none.
    ambulance: Callable[[datetime, float, float], str] | None = None


def _started_at(raw: str, now: datetime) -> datetime | None:
    if not _EPOCH.fullmatch(raw):
        return None
    started = datetime.fromtimestamp(float(raw), UTC)
    age = (now - started).total_seconds()
    return started if -5 <= age <= _MAX_CALL_AGE_S else None


def context_from_session(
    session: AgiSession, now: datetime, facts: Mapping[str, str] | None = None
) -> CallContext:
    return context_from_env(session.env, session.args, session.unique_id, now, facts)


def context_from_env(
    env: Mapping[str, str],
    args: Sequence[str],
    unique_id: str,
    now: datetime,
    facts: Mapping[str, str] | None = None,
) -> CallContext:
    """Treat everything Asterisk relays from the caller as hostile: keep only what looks like a number.

    Arguments: service, then "ivr:<digits>" once the IVR has run, then the call's start time, then
    "topic:<digit>" once the consultation line's topic menu has run (one digit 0-9, else none).
    """
    caller = env.get("agi_callerid", "")
    if not _CALLER_ID.fullmatch(caller):
        if caller and caller != "unknown":
            log.warning(
                "call %s: caller id %r is not a phone number; treated as unknown",
                unique_id,
                caller[:40],
            )
        caller = ""
    dialled = env.get("agi_dnid") or env.get("agi_extension") or ""
    if not _DIALLED.fullmatch(dialled):
        dialled = ""
    service = args[0] if args else DEFAULT_SERVICE
    if service not in SERVICES:
        log.warning("call %s: unknown service %r; using %s", unique_id, service[:40], DEFAULT_SERVICE)
        service = DEFAULT_SERVICE
    ivr_done = len(args) > 1 and args[1].startswith(v.IVR_ARG_PREFIX)
    digits = args[1].removeprefix(v.IVR_ARG_PREFIX) if ivr_done else ""
    if not _DIGITS.fullmatch(digits):
        log.warning("call %s: typed digits %r refused", unique_id, digits[:12])
        digits = ""
    started = _started_at(args[2], now) if len(args) > 2 else None
    raw_topic = args[3] if len(args) > 3 else ""
    topic = raw_topic.removeprefix(v.TOPIC_ARG_PREFIX) if raw_topic.startswith(v.TOPIC_ARG_PREFIX) else ""
    if not _TOPIC.fullmatch(topic):
        log.warning("call %s: topic %r refused", unique_id, topic[:12])
        topic = ""
    facts = facts or {}
    location_facts = LocationFacts(
        geoloc_effective=facts.get("effective", ""),
        geoloc_format=facts.get("format", ""),
        carrier_header=facts.get("carrier", ""),
        trunk=facts.get("trunk", ""),
        digits=digits,
        ivr_done=ivr_done,
    )
    return CallContext(unique_id, caller, dialled, service, now, location_facts, started, topic)


def plan_variables(plan: RoutePlan, extra: Sequence[tuple[str, str]] = ()) -> list[tuple[str, str]]:
    """The plan as channel variables (with the operator's screen-pop texts and any `extra` ones),
    ROUTE_STATUS last."""
    pairs: list[tuple[str, str]] = []
    for n, target in enumerate(plan.targets, start=1):
        pairs.append((v.route_n(n), target.dial))
        pairs.append((v.route_timeout_n(n), str(target.timeout_s)))
    pairs.append((v.ROUTE_AREA, plan.area[0].code if plan.area else ""))
    pairs.append((v.ROUTE_LOCATION_SOURCE, plan.location.source if plan.location else "none"))
    pairs.append((v.ROUTE_ASK_DIGITS, "1" if plan.ask_digits else "0"))
    desks = plan.desks[: v.MAX_DESKS]
    for n, desk in enumerate(desks, start=1):
        pairs.append((v.route_desk_n(n), desk.desk))
        pairs.append((v.route_desk_wait_n(n), str(desk.max_wait_s)))
    pairs.append((v.ROUTE_DESK_COUNT, str(len(desks))))
    for header, text in call_texts(plan).items():
        pairs.append((v.SCREENPOP_VARIABLES[header], text))
    for n, text in enumerate(attempt_texts(plan), start=1):
        pairs.append((v.screenpop_attempt_n(n), text))
    pairs.extend(extra)
    pairs.append((v.ROUTE_COUNT, str(len(plan.targets))))
    pairs.append((v.ROUTE_STATUS, v.STATUS_OK))
    return pairs


def write_plan(session: VariableWriter, plan: RoutePlan, extra: Sequence[tuple[str, str]] = ()) -> None:
    """One `EXEC MSet` round trip where the session offers it (ROUTE_STATUS set in the same command, so
    a crash cannot leave half a plan looking whole); one SET VARIABLE each otherwise or if MSet fails.

    MSet's own argument parser groups `(…)` and `[…]` and eats quotes and backslashes, so a caller id
    such as `0812(` once glued every later pair, ROUTE_STATUS included, onto its value: the call went to
    the dispatcher. The session escapes each value for that parser, so no value can take another's place.
    """
    pairs = plan_variables(plan, extra)
    set_many = getattr(session, "set_variables", None)
    if set_many is not None:
        try:
            set_many(pairs)
            return
        except AgiCommandError as exc:
            log.warning("MSet refused (%s); setting the plan one variable at a time", exc)
    for name, value in pairs:
        session.set_variable(name, value)


class DecisionLog:
    """Appends each plan as one JSON line, so a supervisor (and the demo) can see why a call went where."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._path = path
        self._handle: TextIO | None = None

    def write(self, plan: RoutePlan, data: dict[str, Any] | None = None) -> None:
        self.write_text(json.dumps(data or plan.to_json(), ensure_ascii=False))

    def write_text(self, plan_text: str) -> None:
        """A plan already in JSON (one line)."""
        if self._handle is None:
            self._handle = self._path.open("a", encoding="utf-8")
        self._handle.write(plan_text + "\n")
        self._handle.flush()


def _ambulance_pop(options: RouteOptions, ctx: CallContext, plan: RoutePlan) -> list[tuple[str, str]]:
    """The screen-pop's ambulance line for an emergency caller whose point is known; never an error."""
    if options.ambulance is None or ctx.service != "emergency" or plan.location is None:
        return []
    try:
        text = options.ambulance(ctx.at, plan.location.lat, plan.location.lon)
    except Exception:
        log.exception("call %s: no ambulance screen-pop", ctx.call_id)
        return []
    return [(v.SCREENPOP_AMBULANCE, text)] if text else []


def make_route_handler(
    router: Router,
    decisions: DecisionLog | None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    *,
    records: RecordSink | None = None,
    options: RouteOptions | None = None,
) -> Callable[[AgiSession], None]:
    options = options or RouteOptions()
    header = check_header_name(options.carrier_header)

    def route(session: AgiSession) -> None:
        facts, fact_notes = read_location_facts(session, header)
        ctx = context_from_session(session, clock(), facts)

        # Down once and back once: the router's candidates, their device states in one batch, the plan.
        candidates = router.candidates(ctx)
        states: Mapping[str, str] | None = None
        asked, asked_ms = 0, 0.0
        if options.device_state_check and candidates.endpoints:
            started = time.perf_counter()
            states = read_device_states(session, candidates.endpoints)
            asked, asked_ms = len(candidates.endpoints), 1000 * (time.perf_counter() - started)
        plan = router.decide(ctx, candidates=candidates, states=states)
        if fact_notes:
            plan.notes.extend(fact_notes)
        write_plan(session, plan, _ambulance_pop(options, ctx, plan))
        if log.isEnabledFor(logging.INFO):
            first = plan.targets[0] if plan.targets else None
            log.info(
                "call %s from %s: %d target(s), first %s (%s), then desk(s) %s; device states of %d "
                "endpoint(s) in %.2f ms",
                ctx.call_id,
                ctx.caller or "unknown",
                len(plan.targets),
                first.endpoint if first else "-",
                first.why if first else "no facility",
                ">".join(d.desk for d in plan.desks) or "-",
                asked,
                asked_ms,
            )
        # Serialised once, for the record and the decision log.
        text = _PLAN_JSON(plan.to_json())
        if records is not None:
            try:
                started = ctx.started_at.timestamp() if ctx.started_at else None
                append_line = getattr(records, "append_line", None)
                if append_line is not None:
                    append_line(plan_event_line(plan.call_id, started, text))
                else:
                    records.append(plan_event(plan, started, json.loads(text)))
            except OSError as exc:
                log.error("call %s: call record not spooled: %s", ctx.call_id, exc)
        if decisions is not None:
            try:
                decisions.write_text(text)
            except OSError as exc:
                log.error("call %s: decision log not written: %s", ctx.call_id, exc)

    return route
