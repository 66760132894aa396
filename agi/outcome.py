"""The `outcome` AGI script: the dialplan's report of what happened to a call, into the call record.

Called once per call from the hangup handler (the caller is gone, so it costs nobody a second), with the
report in its arguments (see routing.records.report). It also collects reports the dialplan had to keep
in AstDB while the engine was unreachable, a few per call, so an outage leaves records too.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from agi import variables as v
from agi.protocol import AgiSession
from agi.route import RecordSink
from routing.records.report import ReportError, outcome_event, parse_report

log = logging.getLogger("siaga.agi.outcome")

_UNIQUE_ID = re.compile(r"(?:[A-Za-z0-9_-]{1,32}-)?[0-9]{1,12}\.[0-9]{1,9}")
PENDING_PER_CALL = 10


def _collect_pending(session: AgiSession, records: RecordSink, dispatcher: str) -> int:
    keys = session.get_full_variable(f"${{DB_KEYS({v.PENDING_FAMILY})}}") or ""
    collected = 0
    for key in [k for k in keys.split(",") if k][:PENDING_PER_CALL]:
        if not _UNIQUE_ID.fullmatch(key):
            log.warning("AstDB %s has an odd key %r; left alone", v.PENDING_FAMILY, key[:40])
            continue
        value = session.get_full_variable(f"${{DB_DELETE({v.PENDING_FAMILY}/{key})}}") or ""
        call, _, attempts = value.partition("#")
        try:
            records.append(outcome_event(parse_report(key, call, attempts), dispatcher))
            collected += 1
        except ReportError as exc:
            log.error("pending report for call %s dropped: %s", key, exc)
    return collected


def make_outcome_handler(records: RecordSink, dispatcher_endpoint: str) -> Callable[[AgiSession], None]:
    def outcome(session: AgiSession) -> None:
        args = session.args
        if not _UNIQUE_ID.fullmatch(session.unique_id):
            log.warning("outcome: odd unique id %r; report ignored", session.unique_id[:40])
            return
        try:
            report = parse_report(
                session.unique_id, args[0] if args else "", args[1] if len(args) > 1 else ""
            )
        except ReportError as exc:
            log.error("call %s: outcome report refused: %s", session.unique_id, exc)
            return
        records.append(outcome_event(report, dispatcher_endpoint))
        session.set_variable(v.OUTCOME_STATUS, v.STATUS_OK)
        collected = _collect_pending(session, records, dispatcher_endpoint)
        if collected:
            log.info("collected %d report(s) kept in AstDB while the engine was away", collected)

    return outcome
