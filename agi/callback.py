"""The `callback-offer` and `callback-request` AGI scripts: a consultation desk's callback, at its two
moments in the dialplan (dialplans/siaga.conf, contexts siaga-callback-offer and siaga-callback).

- `callback-offer,<queue>,<holdtime>,<waiting>,<free>,<logged>`: as a consultation caller joins a desk's
  queue, with app_queue's own figures; sets SIAGA_CALLBACK_OFFER to 1 when the expected wait is over
  `callback_offer_wait_s` (desks/callbacks.py) and callbacks can be placed at all (`callback_dial`), else 0.
- `callback-request,<queue>,<joined epoch>,<position>`: the caller pressed 1 in the queue. Their number
  (the caller id Asterisk has) is checked; a number that cannot be called back is refused and the refusal
  logged naming the call. A good one is stored (desks/callback_store.py) before SIAGA_CALLBACK_STATUS=OK
  is set, so "you will be called back" is only said once it is true. Anything else leaves the status
  empty: the dialplan then treats it as refused and puts the caller back in the queue at their place.

Variables (written here only; the dialplan reads them):
  SIAGA_CALLBACK_OFFER   1: play the offer and let 1 take the caller out of the queue; 0 or empty: not
  SIAGA_CALLBACK_STATUS  OK: stored, say so and end the call; REFUSED: not a callable number; empty: failed
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Collection
from datetime import UTC, datetime

from agi.protocol import AgiSession
from desks.callback_store import CallbackStore
from desks.callbacks import CallbackRefused, QueueFigures, callback_number, offer_callback
from desks.topics import desk_of_queue

log = logging.getLogger("siaga.agi.callback")

CALLBACK_OFFER = "SIAGA_CALLBACK_OFFER"
CALLBACK_STATUS = "SIAGA_CALLBACK_STATUS"
REFUSED = "REFUSED"

_QUEUE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,79}")
_COUNT = re.compile(r"[0-9]{1,6}")
_EPOCH = re.compile(r"[0-9]{9,11}(?:\.[0-9]{1,6})?")
_UNIQUE_ID = re.compile(r"(?:[A-Za-z0-9_-]{1,32}-)?[0-9]{1,12}\.[0-9]{1,9}")
_MAX_ENTRY_AGE_S = 6 * 3600  # a join time further back than this is not believed


def _count(text: str) -> int:
    """An app_queue figure; anything odd (an empty function result, a negative) counts as 0."""
    return int(text) if _COUNT.fullmatch(text or "") else 0


def make_offer_handler(
    consultation_desks: Collection[str], offer_over_s: float, enabled: bool
) -> Callable[[AgiSession], None]:
    def callback_offer(session: AgiSession) -> None:
        args = session.args + [""] * 5
        queue = args[0]
        offer = False
        if enabled and _QUEUE.fullmatch(queue) and desk_of_queue(queue) in consultation_desks:
            figures = QueueFigures(*(_count(a) for a in args[1:5]))
            offer = offer_callback(figures, offer_over_s)
            session.log.info("queue %s %s: callback offered: %s", queue, figures, offer)
        session.set_variable(CALLBACK_OFFER, "1" if offer else "0")

    return callback_offer


def make_request_handler(
    store: CallbackStore, consultation_desks: Collection[str], clock: Callable[[], datetime] | None = None
) -> Callable[[AgiSession], None]:
    now_of = clock or (lambda: datetime.now(UTC))

    def callback_request(session: AgiSession) -> None:
        args = session.args + [""] * 3
        queue, joined, position = args[0], args[1], args[2]
        call = session.unique_id
        if not _UNIQUE_ID.fullmatch(call) or not _QUEUE.fullmatch(queue):
            log.warning("callback request refused: odd call id %r or queue %r", call[:40], queue[:40])
            session.set_variable(CALLBACK_STATUS, REFUSED)
            return
        desk = desk_of_queue(queue)
        if desk not in consultation_desks:
            session.log.warning("call %s: callback refused: %s is not a consultation desk", call, queue)
            session.set_variable(CALLBACK_STATUS, REFUSED)
            return
        try:
            number = callback_number(session.env.get("agi_callerid", ""))
        except CallbackRefused as exc:
            session.log.warning("call %s at %s: callback refused: %s", call, queue, exc)
            session.set_variable(CALLBACK_STATUS, REFUSED)
            return
        now = now_of()
        entered = now
        if _EPOCH.fullmatch(joined):
            moment = datetime.fromtimestamp(float(joined), UTC)
            if 0 <= (now - moment).total_seconds() <= _MAX_ENTRY_AGE_S:
                entered = moment
        stored = store.add_request(
            call_id=call,
            desk=desk,
            queue=queue,
            number=number,
            now=now,
            entered_at=entered,
            position=_count(position) or None,
        )
        session.log.info(
            "call %s: callback to %s at %s %s", call, number, desk, "stored" if stored else "already stored"
        )
        session.set_variable(CALLBACK_STATUS, "OK")

    return callback_request
