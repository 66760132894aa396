"""Collecting the call reports Asterisk kept in AstDB while the engine could not take them.

The dialplan's hangup handler keeps a report in AstDB (`siaga_pending/<UNIQUEID>`) when the engine is
down or hung. The `outcome` script collects a few of them with every later call; that is enough while
calls keep coming, but after a surge or an outage the last reports would wait for the next caller, and a
supervisor counting records would find calls missing. So the engine also drains the family through the
manager interface every few seconds, whether calls come or not.

Each report is spooled (`records.append`) *before* its key is deleted: a crash in between leaves the key
for the next pass, and applying a report twice is harmless (records are upserts). A key that is gone
when we delete it was collected by an `outcome` meanwhile; nothing is lost either way.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass

from agi.variables import PENDING_FAMILY
from ami.client import ManagerClient, ManagerError
from routing.records.report import ReportError, outcome_event, parse_report

log = logging.getLogger("siaga.ami.pending")

_UNIQUE_ID = re.compile(r"(?:[A-Za-z0-9_-]{1,32}-)?[0-9]{1,12}\.[0-9]{1,9}")
MAX_PER_PASS = 2000


class RecordSink:  # the structural type the drain needs (routing.records.writer.RecordKeeper)
    def append(self, record_event: dict[str, object]) -> None: ...


@dataclass(frozen=True)
class DrainResult:
    collected: int = 0
    refused: int = 0


def drain_pending(client: ManagerClient, records: RecordSink, dispatcher_endpoint: str) -> DrainResult:
    """One pass over the family: spool each report, then delete its key."""
    reply = client.action("DBGetTree", Family=PENDING_FAMILY)
    if not reply.response.is_success:
        # An empty family answers "Database entry not found": nothing is waiting.
        return DrainResult()
    collected = refused = 0
    for event in reply.events[:MAX_PER_PASS]:
        key = event.get("Key").rsplit("/", 1)[-1]
        value = event.get("Val")
        if not _UNIQUE_ID.fullmatch(key):
            log.warning("AstDB %s has an odd key %r; left alone", PENDING_FAMILY, key[:40])
            continue
        call, _, attempts = value.partition("#")
        try:
            records.append(outcome_event(parse_report(key, call, attempts), dispatcher_endpoint))
            collected += 1
        except ReportError as exc:
            log.error("call %s: report kept in AstDB refused, deleted: %s", key, exc)
            refused += 1
        client.action("DBDel", Family=PENDING_FAMILY, Key=key)
    return DrainResult(collected, refused)


def run_pending_drain(
    connect: Callable[[], ManagerClient],
    records: RecordSink,
    dispatcher_endpoint: str,
    interval_s: float,
    stop: threading.Event,
) -> None:
    """Drain every `interval_s` until `stop`; an unreachable Asterisk is retried with a growing delay."""
    client: ManagerClient | None = None
    delay = interval_s
    failures = 0
    while not stop.is_set():
        try:
            if client is None or not client.connected:
                client = connect()
            result = drain_pending(client, records, dispatcher_endpoint)
            if result.collected or result.refused:
                log.info(
                    "collected %d call report(s) Asterisk kept while the engine was away (%d refused)",
                    result.collected,
                    result.refused,
                )
            if failures:
                log.info("manager interface reachable again after %d failed attempt(s)", failures)
            failures, delay = 0, interval_s
        except ManagerError as exc:
            failures += 1
            if failures == 1 or failures % 20 == 0:
                log.warning("reports kept in AstDB not collected yet: %s", exc)
            if client is not None:
                client.close()
            client = None
            delay = min(delay * 2, 60.0)
        stop.wait(delay)
    if client is not None:
        client.close()
