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
# The longest key _UNIQUE_ID accepts, and its comma: 33 + 12 + 1 + 9 + 1.
_MAX_KEY_CHARS = 56
PENDING_KEYS_CHARS = PENDING_PER_CALL * _MAX_KEY_CHARS
"""How much of ``${DB_KEYS(...)}`` is read: enough for PENDING_PER_CALL keys of the longest kind.

DB_KEYS lists the whole family, and a backlog of a few hundred keys (an outage of an hour at a busy
hotline) makes that list longer than the longest reply line the engine accepts (8 KB); read whole, it
failed every `outcome` and the backlog never drained. Asterisk cuts it instead: ``${DB_KEYS(f):0:n}``
applies the substring to the function's result (parse_variable_name() in main/pbx_variables.c), so
the reply stays short however long the backlog is.
"""


def pending_keys_expression(family: str = v.PENDING_FAMILY, chars: int = PENDING_KEYS_CHARS) -> str:
    """The first ``chars`` characters of the family's key list, cut by Asterisk."""
    return f"${{DB_KEYS({family}):0:{chars}}}"


def first_keys(listing: str, chars: int = PENDING_KEYS_CHARS) -> list[str]:
    """The whole keys in a cut ``DB_KEYS`` listing: the last is dropped when the cut may have split it."""
    keys = listing.split(",")
    if len(listing) >= chars:
        keys = keys[:-1]  # a key cut in two would be refused as odd, or worse, match a shorter one
    return [key for key in keys if key]


def _collect_pending(session: AgiSession, records: RecordSink, dispatcher: str) -> int:
    listing = session.get_full_variable(pending_keys_expression()) or ""
    collected = 0
    for key in first_keys(listing)[:PENDING_PER_CALL]:
        if not _UNIQUE_ID.fullmatch(key):
            log.warning("AstDB %s has an odd key %r; left alone", v.PENDING_FAMILY, key[:40])
            continue
        value = session.get_full_variable(f"${{DB_DELETE({v.PENDING_FAMILY}/{key})}}") or ""
        if not value:
            # DB_DELETE gives "" when the key is gone: another worker's `outcome` read the same list
            # and deleted it first, and that worker spools the report. Not a loss.
            log.debug("pending report for call %s already collected elsewhere", key)
            continue
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
