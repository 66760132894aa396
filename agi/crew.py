"""The `incident-brief` and `unit-status` AGI scripts: an ambulance crew's side of a dispatch (issue 11), in
the dialplan's contexts siaga-crew (the call that rings the crew, placed by dispatch/crew_alerts.py) and
siaga-unit-status (a status key, on that call or after the short code *5<key> from the unit's phone).

- `incident-brief,<incident>`: what the crew hears: SIAGA_BRIEF_PRIORITY and SIAGA_BRIEF_CATEGORY (prompt
  names: `siaga-prioritas-<p>`, `siaga-kategori-<c>`) and SIAGA_BRIEF_CALLER (the caller's number, read
  as digits), and SENDTEXT_BODY the whole incident in words (dispatch/incidents.py announcement), which
  the dialplan sends with SendText() as a SIP MESSAGE inside the call: the place, which no prompt can say,
  is on the crew's screen while they listen.
- `unit-status,<key>,<source>,<endpoint>`: the unit whose phone `endpoint` is reports the status of its
  key (dispatch/transitions.py STATUS_DIGITS); SIAGA_UNIT_STATUS is the status recorded (and confirmed to
  the crew), REFUSED for a key, a phone or a step the rules refuse. The unit is always the calling phone's
  own: a key cannot report for another unit.

Anything else (the database down) leaves the variables empty: the brief is then only "a dispatch call",
and a status key is refused aloud, so the crew knows to report by radio.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from agi.protocol import AgiSession
from dispatch.incidents import announcement
from dispatch.service import STATUS_DIGITS, get_incident, set_unit_status, unit_for_endpoint
from dispatch.transitions import SOURCES
from kernel.dataerrors import InputError, NotFound

BRIEF_PRIORITY = "SIAGA_BRIEF_PRIORITY"
BRIEF_CATEGORY = "SIAGA_BRIEF_CATEGORY"
BRIEF_CALLER = "SIAGA_BRIEF_CALLER"
BRIEF_TEXT = "SENDTEXT_BODY"  # Asterisk's own: SendText() sends it as a SIP MESSAGE inside the call
UNIT_STATUS = "SIAGA_UNIT_STATUS"
REFUSED = "REFUSED"

_INCIDENT = re.compile(r"[0-9]{1,12}")
_PROMPT_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")
_DIGITS = re.compile(r"[0-9]{3,20}")
_ENDPOINT = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")


def make_brief_handler(make_db: Callable[[], Engine]) -> Callable[[AgiSession], None]:
    engine: list[Engine] = []

    def incident_brief(session: AgiSession) -> None:
        incident = session.args[0] if session.args else ""
        if not _INCIDENT.fullmatch(incident):
            session.log.warning("incident brief: %r is not an incident id", incident[:20])
            return
        if not engine:
            engine.append(make_db())
        try:
            with Session(engine[0]) as db:
                found = get_incident(db, incident)
        except (NotFound, InputError):
            session.log.warning("incident brief: no incident %s", incident)
            return
        if _PROMPT_NAME.fullmatch(found.priority):
            session.set_variable(BRIEF_PRIORITY, found.priority)
        if _PROMPT_NAME.fullmatch(found.category):
            session.set_variable(BRIEF_CATEGORY, found.category)
        caller = found.caller.lstrip("+")
        if _DIGITS.fullmatch(caller):
            session.set_variable(BRIEF_CALLER, caller)
        session.set_variable(BRIEF_TEXT, announcement(found))
        session.log.info("incident %s briefed: %s, %s", found.id, found.category, found.priority)

    return incident_brief


def make_status_handler(
    make_db: Callable[[], Engine], clock: Callable[[], datetime] | None = None
) -> Callable[[AgiSession], None]:
    now_of = clock or (lambda: datetime.now(UTC))
    engine: list[Engine] = []

    def unit_status(session: AgiSession) -> None:
        key, source, endpoint = ([*session.args, "", "", ""])[:3]
        status = STATUS_DIGITS.get(key)
        if status is None or source not in SOURCES or not _ENDPOINT.fullmatch(endpoint):
            session.log.info("unit status refused: key %r from %r (%s)", key[:4], endpoint[:64], source[:20])
            session.set_variable(UNIT_STATUS, REFUSED)
            return
        if not engine:
            engine.append(make_db())
        with Session(engine[0]) as db, db.begin():
            unit = unit_for_endpoint(db, endpoint)
            if unit is None:
                session.log.info("unit status refused: %s is no unit's phone", endpoint)
                session.set_variable(UNIT_STATUS, REFUSED)
                return
            try:
                change = set_unit_status(
                    db, unit=unit, status=status, source=source, actor=endpoint, now=now_of()
                )
            except InputError as exc:
                session.log.info("unit %s: %s refused: %s", unit, status, exc)
                session.set_variable(UNIT_STATUS, REFUSED)
                return
        session.log.info(
            "unit %s: %s -> %s by %s%s",
            unit,
            change.previous,
            change.status,
            source,
            f" (incident {change.incident})" if change.incident is not None else "",
        )
        session.set_variable(UNIT_STATUS, status)

    return unit_status
