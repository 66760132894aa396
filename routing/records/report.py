"""Events for the call record, as plain JSON-able dicts: what the engine decided, what the dialplan reports.

The dialplan reports a call once, from its hangup handler, in two AGI arguments (so reporting costs a
live call nothing and needs no GET round trips):

    call      v1|<start>|<end>|<service>|<dialled>|<caller>|<route>
    attempts  <n>|<dial>|<start>|<end>|<DIALSTATUS>|<DIALEDTIME_MS>|<ANSWEREDTIME_MS>;…
              <n>|QUEUE/<desk>|<start>|<end>|<ANSWER|ABANDON|QUEUESTATUS>|<QEHOLDTIME>|<member>|<QEORIGINALPOS>;…

`start`/`end` are epoch seconds with milliseconds; `route` is how the engine's plan went (ok, failed, hung,
noplan, none). The same text is kept in AstDB when the engine cannot be reached and drained later. Every
field is checked here: it crossed the AGI wire, so it is treated like any other input.
"""

from __future__ import annotations

import json
import logging
import math
import re
from dataclasses import asdict, dataclass
from json.encoder import encode_basestring_ascii  # type: ignore[attr-defined]
from typing import Any

from routing.plan import RoutePlan

MAX_REPORT_CHARS = 900
MAX_ATTEMPTS = 20

ROUTE_STATUSES = {
    "ok": "ok",
    "failed": "engine unreachable",
    "hung": "engine hung",
    "noplan": "no plan",
    "none": "not routed",
}
OUTCOMES = {
    "ANSWER": "answered",
    "NOANSWER": "no answer",
    "BUSY": "busy",
    "CHANUNAVAIL": "unavailable",
    "CONGESTION": "unavailable",
    "CANCEL": "caller hung up",
}
# A desk's queue: how the caller left it (QUEUESTATUS, or the dialplan's ANSWER/ABANDON).
QUEUE_OUTCOMES = {
    "ANSWER": "answered",
    "ABANDON": "caller hung up",
    "": "caller hung up",
    "TIMEOUT": "max wait reached",
    "CONTINUE": "no answer",
    "FULL": "unavailable",
    "JOINEMPTY": "unavailable",
    "LEAVEEMPTY": "unavailable",
    "JOINUNAVAIL": "unavailable",
    "LEAVEUNAVAIL": "unavailable",
    "WITHDRAW": "withdrawn",
    "CALLBACK": "callback requested",  # pressed 1 for a callback (dialplans/siaga.conf siaga-callback)
}
_QUEUE = re.compile(r"QUEUE/([A-Za-z0-9][A-Za-z0-9_-]{0,63})")
_MEMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}|")
_SMALL = re.compile(r"[0-9]{0,6}")
# The caller as a phone number: the `route` script's limit (agi/route.py _CALLER_ID) and CallRecord.caller's.
_CALLER = re.compile(r"\+?[0-9]{0,32}")
# What the dialplan's FILTER(0-9+) lets through: a caller of these that is no phone number (33+ digits, a
# '+' inside) is recorded as unknown, since refusing the report would lose the call's record.
_CALLER_CHARS = re.compile(r"[0-9+]*")
_DIALLED = re.compile(r"[0-9*#+]{0,32}|s")
_SERVICE = re.compile(r"[a-z]{0,20}")
_DIAL = re.compile(r"PJSIP/([A-Za-z0-9][A-Za-z0-9_-]{0,63})")
_STATUS = re.compile(r"[A-Z]{0,20}")
_MS = re.compile(r"[0-9]{0,9}")
_EPOCH = re.compile(r"[0-9]{9,11}(?:\.[0-9]{1,6})?")

log = logging.getLogger("siaga.records")


class ReportError(ValueError):
    """A report field is not what the dialplan writes; the message names the field."""


@dataclass(frozen=True)
class AttemptReport:
    n: int
    endpoint: str
    started: float  # epoch seconds
    ring_s: float | None
    dial_status: str
    outcome: str
    answered: bool
    desk: str = ""  # a desk's queue: its code; `endpoint` is the member who answered, else the desk
    queue_position: int | None = None  # the caller's place on joining the queue


@dataclass(frozen=True)
class CallReport:
    call_id: str
    started: float
    ended: float
    service: str
    dialled: str
    caller: str
    route_status: str
    attempts: tuple[AttemptReport, ...]


def _epoch(text: str, field: str) -> float:
    if not _EPOCH.fullmatch(text):
        raise ReportError(f"{field}: {text[:20]!r} is not an epoch time")
    value = float(text)
    if not math.isfinite(value):
        raise ReportError(f"{field}: not finite")
    return value


def _check(pattern: re.Pattern[str], text: str, field: str) -> str:
    if not pattern.fullmatch(text):
        raise ReportError(f"{field}: {text[:20]!r} is not allowed here")
    return text


def _caller(call_id: str, text: str) -> str:
    """The caller's number, or "" (unknown) for digits that are no phone number: the call still gets its
    record, as the `route` script still routes such a call as one from an unknown caller."""
    if _CALLER.fullmatch(text):
        return text
    _check(_CALLER_CHARS, text, "caller")
    log.warning(
        "call %s: caller %r… (%d characters) is no phone number; recorded as unknown",
        call_id,
        text[:20],
        len(text),
    )
    return ""


def parse_report(call_id: str, call: str, attempts: str) -> CallReport:
    fields = call.split("|")
    if len(fields) != 7 or fields[0] != "v1":
        raise ReportError(f"call: expected 'v1|start|end|service|dialled|caller|route', got {call[:40]!r}")
    _, start, end, service, dialled, caller, route = fields
    # The caller is not counted: a long caller id costs its number (see _caller), never the record.
    if len(call) - len(caller) + len(attempts) > MAX_REPORT_CHARS:
        raise ReportError(f"report: longer than {MAX_REPORT_CHARS} characters")
    if route not in ROUTE_STATUSES:
        raise ReportError(f"route: {route[:20]!r} is not one of {', '.join(ROUTE_STATUSES)}")
    started = _epoch(start, "start")
    ended = _epoch(end, "end") if end else started
    parsed: list[AttemptReport] = []
    for number, chunk in enumerate((c for c in attempts.split(";") if c), start=1):
        if number > MAX_ATTEMPTS:
            raise ReportError(f"attempts: more than {MAX_ATTEMPTS}")
        parts = chunk.split("|")
        if len(parts) == 8 and _QUEUE.fullmatch(parts[1]):
            parsed.append(_queue_attempt(parts, ended))
            continue
        if len(parts) != 7:
            raise ReportError(f"attempt {number}: expected 7 fields, got {len(parts)}")
        n, dial, a_start, a_end, status, dialed_ms, answered_ms = parts
        if not n.isdigit() or not 0 < int(n) <= MAX_ATTEMPTS:
            raise ReportError(f"attempt {number}: n {n[:5]!r} is not 1..{MAX_ATTEMPTS}")
        match = _DIAL.fullmatch(dial)
        if match is None:
            raise ReportError(f"attempt {n}: dial {dial[:40]!r} is not PJSIP/<endpoint>")
        _check(_STATUS, status, f"attempt {n} status")
        _check(_MS, dialed_ms, f"attempt {n} DIALEDTIME_MS")
        _check(_MS, answered_ms, f"attempt {n} ANSWEREDTIME_MS")
        began = _epoch(a_start, f"attempt {n} start")
        finished = _epoch(a_end, f"attempt {n} end") if a_end else ended
        answered = status == "ANSWER"
        if answered and dialed_ms and answered_ms:
            ring = max(0.0, (int(dialed_ms) - int(answered_ms)) / 1000)
        else:
            ring = max(0.0, finished - began)
        outcome = OUTCOMES.get(status, status.lower() or "caller hung up")
        parsed.append(AttemptReport(int(n), match.group(1), began, round(ring, 3), status, outcome, answered))
    return CallReport(
        call_id,
        started,
        ended,
        _check(_SERVICE, service, "service"),
        _check(_DIALLED, dialled, "dialled"),
        _caller(call_id, caller),
        ROUTE_STATUSES[route],
        tuple(parsed),
    )


def _queue_attempt(parts: list[str], call_ended: float) -> AttemptReport:
    """One desk: `n|QUEUE/<desk>|start|end|status|hold_s|member|position` (see the module's doc)."""
    n, queue, a_start, a_end, status, hold_s, member, position = parts
    if not n.isdigit() or not 0 < int(n) <= MAX_ATTEMPTS:
        raise ReportError(f"attempt: n {n[:5]!r} is not 1..{MAX_ATTEMPTS}")
    desk = _QUEUE.fullmatch(queue).group(1)  # type: ignore[union-attr]  # checked by the caller
    _check(_STATUS, status, f"attempt {n} status")
    _check(_SMALL, hold_s, f"attempt {n} QEHOLDTIME")
    _check(_MEMBER, member, f"attempt {n} member")
    _check(_SMALL, position, f"attempt {n} QEORIGINALPOS")
    began = _epoch(a_start, f"attempt {n} start")
    finished = _epoch(a_end, f"attempt {n} end") if a_end else call_ended
    answered = status == "ANSWER" and bool(member)
    wait = float(hold_s) if answered and hold_s else max(0.0, finished - began)
    if answered and wait > finished - began + 1:
        wait = max(0.0, finished - began)  # never more than the time spent here
    outcome = QUEUE_OUTCOMES.get(status, status.lower())
    return AttemptReport(
        int(n),
        member if answered else desk,
        began,
        round(wait, 3),
        status or "ABANDON",
        outcome,
        answered,
        desk,
        int(position) if position else None,
    )


def plan_event(
    plan: RoutePlan, started: float | None = None, data: dict[str, Any] | None = None
) -> dict[str, Any]:
    """What the engine decided, for the record (written by the `route` script after it answered);
    `data` is `plan.to_json()` when the caller already has it."""
    data = data if data is not None else plan.to_json()
    return {"kind": "plan", "call_id": plan.call_id, "started": started, "plan": data}


def plan_event_line(call_id: str, started: float | None, plan_text: str) -> str:
    """`plan_event` as its spool line, around a plan already in JSON: the route script serialises a plan
    once for the record and the decision log (a second `json.dumps` was a tenth of a call's CPU)."""
    # What json.dumps gives for these two, without its per-call setup.
    call_id_json = encode_basestring_ascii(call_id)
    started_json = repr(started) if started is not None and math.isfinite(started) else json.dumps(started)
    return f'{{"kind":"plan","call_id":{call_id_json},"started":{started_json},"plan":{plan_text}}}\n'


def outcome_event(report: CallReport, dispatcher_endpoint: str) -> dict[str, Any]:
    """What happened to the call, for the record (from the `outcome` script)."""
    return {
        "kind": "outcome",
        "call_id": report.call_id,
        "dispatcher": dispatcher_endpoint,
        "report": asdict(report),
    }
