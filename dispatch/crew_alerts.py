"""Ringing the crew of a dispatched unit: the engine's crew alerter, a supervised helper like the callback
placer (issue 11, point 5).

`dispatch_unit` (the console, the API, `siaga incidents dispatch`) only writes the dispatch; this helper
sees it within `poll_s` and, for each dispatch whose crew has not yet taken a call or set off:
1. sends the incident as a SIP MESSAGE to the unit's phone (AMI MessageSend), once: the place and the
   details, which no prompt can say, reach a phone that shows messages even before anyone answers;
2. rings the unit's phone (a synchronous AMI Originate in a thread of its own), and when the crew answers
   Asterisk runs `siaga-crew,s,1`: the same words as a MESSAGE inside the call (what `siaga softphone`
   prints), the brief in Indonesian, then the crew's status keys.
A try not answered is tried again after `retry_s`, up to `max_tries`; a crew that reports en route (a key,
the short code, the console) is not rung again. Every try is recorded (dispatch/alert_model.py) before it
goes out and when it ends, so a restarted helper neither forgets a crew nor rings one twice at once.

Deciding what is due is pure (`due_alerts`); the helper is the thin edge around it.
"""

from __future__ import annotations

import base64
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from ami.client import ManagerClient, ManagerError
from ami.originate import InFlight, originate
from ami.rounds import run_rounds
from dispatch.alert_model import CrewAlertRow
from dispatch.incidents import announcement
from dispatch.model import IncidentDispatchRow, UnitRow
from dispatch.service import get_incident

log = logging.getLogger("siaga.dispatch.crew_alerts")

CREW_CONTEXT = "siaga-crew"
MAX_PLACING = 8  # crews ringing at once; more wait for the next round
SENDER = '"PSC 119" <sip:psc119@siaga.invalid>'


@dataclass(frozen=True)
class AlertState:
    """One dispatch as the alerter sees it."""

    dispatch_id: int
    dispatched_at: datetime  # aware
    moving: bool  # the crew reported en route (or later), or the run ended: nobody to ring any more
    tries: int
    last_try: datetime | None
    answered: bool


def due_alerts(
    now: datetime,
    states: Iterable[AlertState],
    placing: set[int],
    *,
    max_tries: int,
    retry_s: float,
    window: timedelta,
) -> list[int]:
    """The dispatches whose crew should be rung now, oldest first: not answered, not moving, tries left,
    the last try `retry_s` ago, and dispatched within `window` (an alert an hour late helps nobody: the
    dispatcher has long used the radio)."""
    due = []
    for s in sorted(states, key=lambda s: s.dispatched_at):
        if s.dispatch_id in placing or s.moving or s.answered or s.tries >= max_tries:
            continue
        if now - s.dispatched_at > window:
            continue
        if s.last_try is not None and (now - s.last_try).total_seconds() < retry_s:
            continue
        due.append(s.dispatch_id)
    return due


def _aware(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def _naive(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None)


class CrewAlerter:
    """The helper's state: which dispatches are being rung now. One per helper process."""

    def __init__(
        self,
        connect: Callable[[float], ManagerClient],
        make_db: Callable[[], Engine],
        *,
        ring_s: int = 30,
        max_tries: int = 3,
        retry_s: float = 30.0,
        window: timedelta = timedelta(minutes=15),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.connect = connect
        self.make_db = make_db
        self.ring_s = ring_s
        self.max_tries = max_tries
        self.retry_s = retry_s
        self.window = window
        self.clock = clock
        self._engine: Engine | None = None
        self._ringing = InFlight("crew")

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = self.make_db()
        return self._engine

    def placing(self) -> set[int]:
        return self._ringing.ids()

    def states(self, now: datetime) -> list[AlertState]:
        since = _naive(now - self.window)
        with Session(self.engine) as session:
            rows = session.execute(
                select(IncidentDispatchRow, CrewAlertRow)
                .outerjoin(CrewAlertRow, CrewAlertRow.dispatch_id == IncidentDispatchRow.id)
                .where(IncidentDispatchRow.dispatched_utc >= since)
            ).all()
        states = []
        for run, alert in rows:
            dispatched = _aware(run.dispatched_utc)
            assert dispatched is not None
            states.append(
                AlertState(
                    run.id,
                    dispatched,
                    moving=run.en_route_utc is not None
                    or run.on_scene_utc is not None
                    or run.ended_utc is not None,
                    tries=alert.tries if alert else 0,
                    last_try=_aware(alert.last_try_utc) if alert else None,
                    answered=bool(alert and alert.answered_utc),
                )
            )
        return states

    def round(self, client: ManagerClient) -> list[int]:
        """One look: the crews due now are rung (each in its own thread); returns their dispatch ids. The
        round's own manager connection is only proof that Asterisk is there to ring through."""
        now = self.clock()
        placing = self.placing()
        due = due_alerts(
            now,
            self.states(now),
            placing,
            max_tries=self.max_tries,
            retry_s=self.retry_s,
            window=self.window,
        )[: max(0, MAX_PLACING - len(placing))]
        for dispatch_id in due:
            self._ringing.start(dispatch_id, self._alert)
        return due

    def _alert(self, dispatch_id: int) -> None:
        try:
            now = self.clock()
            with Session(self.engine) as session, session.begin():
                run = session.get(IncidentDispatchRow, dispatch_id)
                unit = session.get(UnitRow, run.unit) if run is not None else None
                if run is None or unit is None:
                    return
                incident = get_incident(session, run.incident_id)
                alert = session.get(CrewAlertRow, dispatch_id) or CrewAlertRow(
                    dispatch_id=dispatch_id, tries=0
                )
                alert.tries += 1
                alert.last_try_utc = _naive(now)
                session.add(alert)
                endpoint, unit_code, tries = unit.endpoint, unit.code, alert.tries
                send_text = alert.messaged_utc is None
            text = announcement(incident)
            messaged = self._message(endpoint, text) if send_text else ""
            answered, detail = self._ring(endpoint, unit_code, incident.id)
            with Session(self.engine) as session, session.begin():
                alert = session.get(CrewAlertRow, dispatch_id)
                if alert is not None:
                    if messaged == "sent":
                        alert.messaged_utc = _naive(now)
                    if answered:
                        alert.answered_utc = _naive(self.clock())
                    alert.result = detail[:200]
            log.info(
                "incident %s: crew of %s at %s: try %d %s%s",
                incident.id,
                unit_code,
                endpoint,
                tries,
                "answered" if answered else f"not answered ({detail})",
                f"; message {messaged}" if messaged else "",
            )
        except Exception:  # a thread must not die silently: the dispatch is tried again next round
            log.exception("dispatch %d: the crew could not be rung or the try recorded", dispatch_id)

    def _message(self, endpoint: str, text: str) -> str:
        """The incident as a SIP MESSAGE to the unit's phone: "sent", or why not."""
        try:
            with self.connect(10.0) as client:
                reply = client.action(
                    "MessageSend",
                    Destination=f"pjsip:{endpoint}",
                    From=SENDER,
                    Base64Body=base64.b64encode(text.encode("utf-8")).decode("ascii"),
                )
        except ManagerError as exc:
            return f"not sent ({str(exc)[:120]})"
        return "sent" if reply.response.is_success else f"not sent ({reply.response.get('Message')[:120]})"

    def _ring(self, endpoint: str, unit: str, incident: int) -> tuple[bool, str]:
        return originate(
            self.connect,
            channel=f"PJSIP/{endpoint}",
            context=CREW_CONTEXT,
            ring_s=self.ring_s,
            caller_id='"PSC 119" <119>',
            variables={"SIAGA_INCIDENT": incident, "SIAGA_UNIT": unit},
        )

    def wait_idle(self, timeout_s: float) -> None:
        self._ringing.wait_idle(timeout_s)


def run_crew_alerts(alerter: CrewAlerter, poll_s: float, stop: threading.Event) -> None:
    """Rounds every `poll_s` until `stop`; Asterisk or the database away is retried, logged now and then."""
    log.info("crew alerter: dispatched units' crews are messaged and rung")
    run_rounds(
        lambda: alerter.connect(5.0).connect(),
        alerter.round,
        poll_s,
        stop,
        log,
        failing="crews not rung",
    )
    alerter.wait_idle(alerter.ring_s + 15.0)
