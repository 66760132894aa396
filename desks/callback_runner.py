"""Placing callbacks: the engine's callback helper, a supervised process like the desk-member sync.

Every `poll_s` it keeps the call records' callback columns in step, reads the pending requests, asks
Asterisk (QueueStatus) how many members of each of those desks are free and since when its waiting
callers joined, and lets desks.callbacks.due_callbacks decide which to place. Each try is one
synchronous AMI `Originate` in a thread of its own (with its own manager connection), so a caller who
lets it ring for `ring_s` holds up nobody else: Asterisk calls the caller through `dial` (a Dial string
with `{number}`), and when they answer runs `siaga-callback,s,1`, which puts them at the head of the
desk's queue. The Originate answers Success only once the caller has answered; anything else (no answer,
busy, an unreachable number) is a try not answered. Every try is recorded before it goes out and when it
ends.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta

from ami.client import ManagerClient
from ami.originate import InFlight, originate
from ami.rounds import run_rounds
from desks.callback_store import CallbackStore
from desks.callbacks import DeskNow, due_callbacks

log = logging.getLogger("siaga.desks.callbacks")

CALLBACK_CONTEXT = "siaga-callback"
MAX_PLACING = 8  # tries ringing at once; more wait for the next round


def desk_state(client: ManagerClient, desk: str, now: datetime, wrapup_s: float) -> DeskNow:
    """Members free (registered and idle, not paused, not on a call, past their wrap-up) and when each
    waiting caller joined, from one QueueStatus of the desk's queue."""
    reply = client.action("QueueStatus", Queue=desk)
    free = 0
    waiting: list[datetime] = []
    for event in reply.events:
        if event.get("Queue") != desk:
            continue
        kind = event.get("Event")
        if kind == "QueueMember":
            last_call = event.get("LastCall", "0")
            rested = not last_call.isdigit() or now.timestamp() - int(last_call) >= wrapup_s
            if (
                event.get("Status") == "1"  # AST_DEVICE_NOT_INUSE
                and event.get("Paused", "0") == "0"
                and event.get("InCall", "0") == "0"
                and rested
            ):
                free += 1
        elif kind == "QueueEntry":
            wait = event.get("Wait", "0")
            waiting.append(now - timedelta(seconds=int(wait) if wait.isdigit() else 0))
    return DeskNow(free, tuple(waiting))


class CallbackPlacer:
    """The helper's state: which requests are ringing now. One per helper process."""

    def __init__(
        self,
        connect: Callable[[float], ManagerClient],
        store: CallbackStore,
        *,
        dial: str,
        max_tries: int,
        retry_s: float,
        ring_s: int,
        wrapup_s: float,
        sync_records: Callable[[], object] = lambda: None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.connect = connect
        self.store = store
        self.dial = dial
        self.max_tries = max_tries
        self.retry_s = retry_s
        self.ring_s = ring_s
        self.wrapup_s = wrapup_s
        self.sync_records = sync_records  # the call records' callback columns brought in step (siaga.serve)
        self.clock = clock
        self._ringing = InFlight("callback")

    def placing(self) -> set[int]:
        return self._ringing.ids()

    def round(self, client: ManagerClient) -> list[int]:
        """One look: records in step, then the callbacks due now started; returns their ids."""
        self.sync_records()
        placing = self.placing()
        open_callbacks = self.store.open_callbacks(placing)
        if not open_callbacks:
            return []
        now = self.clock()
        desks = {c.desk for c in open_callbacks}
        state = {desk: desk_state(client, desk, now, self.wrapup_s) for desk in sorted(desks)}
        due = due_callbacks(now, open_callbacks, state, max_tries=self.max_tries, retry_s=self.retry_s)
        due = due[: max(0, MAX_PLACING - len(placing))]
        for request_id in due:
            self._ringing.start(request_id, self._place)
        return due

    def _place(self, request_id: int) -> None:
        try:
            request = self.store.request(request_id)
            if request is None:
                return
            n = self.store.start_try(request_id, self.clock())
            answered, detail = self._originate(request.number, request.desk, request_id, request.call_id)
            status = self.store.finish_try(
                request_id, n, answered=answered, detail=detail, now=self.clock(), max_tries=self.max_tries
            )
            log.info(
                "callback %d (call %s) to %s for %s: try %d %s; %s",
                request_id,
                request.call_id,
                request.number,
                request.desk,
                n,
                "answered" if answered else f"not answered ({detail})",
                status,
            )
        except Exception:  # a thread must not die silently: the request stays pending for the next round
            log.exception("callback %d: the try could not be made or recorded", request_id)

    def _originate(self, number: str, desk: str, request_id: int, call_id: str) -> tuple[bool, str]:
        return originate(
            self.connect,
            channel=self.dial.format(number=number),
            context=CALLBACK_CONTEXT,
            ring_s=self.ring_s,
            caller_id=f'"Konter" <{desk}>',
            variables={
                "SIAGA_CALLBACK_QUEUE": desk,
                "SIAGA_CALLBACK_ID": request_id,
                "SIAGA_CALLBACK_CALL": call_id,
                "SIAGA_CALLBACK_NUMBER": number,
            },
        )

    def wait_idle(self, timeout_s: float) -> None:
        self._ringing.wait_idle(timeout_s)


def run_callbacks(
    placer: CallbackPlacer, poll_s: float, stop: threading.Event, desks: Iterable[str] = ()
) -> None:
    """Rounds every `poll_s` until `stop`; Asterisk or the database away is retried, logged now and then."""
    log.info("callback helper: desks %s", ", ".join(sorted(desks)) or "none")
    run_rounds(
        lambda: placer.connect(5.0).connect(),
        placer.round,
        poll_s,
        stop,
        log,
        failing="callbacks not placed",
    )
    placer.wait_idle(placer.ring_s + 15.0)
