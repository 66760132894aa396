"""Callbacks at consultation desks: whom to offer one, whose number can be called, and which to place now.

Pure: every decision takes `now` and its data and does no I/O. The edges are thin: the `callback-offer`
and `callback-request` AGI scripts (agi/callback.py) ask `offer_callback` and `callback_number`; the
engine's callback helper (desks/callback_runner.py) reads the open requests and the desks' queues
(through the manager interface) and asks `due_callbacks` which to place, then `after_try` what a try
changed.

The expected wait comes from Asterisk's own queue (app_queue), read by the dialplan when the caller
joins (`QUEUE_VARIABLES` → `QUEUEHOLDTIME`, `QUEUE_WAITING_COUNT`, `QUEUE_MEMBER(…,free|logged)`), not
from the engine's call records: the queue is the only place that knows, at that second, how many callers
are ahead and how many doctors are free, on every engine alike, without a database round trip per call.
app_queue's hold time is the running average wait of its answered callers (the figure its own "expected
wait" announcement says); it is zero on a fresh Asterisk and lags a sudden surge, so it is combined with
what the queue holds now: the callers ahead, shared among the members logged in, each taking an assumed
handle time.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

# A consultation with a doctor, when the queue has no figures of its own yet (Konter's own estimate).
ASSUMED_HANDLE_S = 180
# Caller ids that say "no number": nothing to call back.
HIDDEN = frozenset({"", "anonymous", "unknown", "restricted", "private", "unavailable", "withheld"})
# An Indonesian national number: 0, then a non-zero digit, 9 to 13 digits in all (a Jakarta landline
# 021 1234567 has 10, a mobile 0812 3456 7890 has 12). Short codes (119, 1500132) are not callable.
_NATIONAL = re.compile(r"0[1-9][0-9]{7,11}")
_SEPARATORS = re.compile(r"[ ()./-]")

PENDING, ANSWERED, FAILED = "pending", "answered", "failed"
STATUSES = (PENDING, ANSWERED, FAILED)


class CallbackRefused(ValueError):
    """The caller's number cannot be called back; the message says why (it goes into the engine's log)."""


def callback_number(caller_id: str) -> str:
    """The national number to call back, from the caller id Asterisk gave; refused when it is no phone
    number: hidden, letters, a short code, too short or too long. `+62…`/`62…` become `0…`."""
    text = (caller_id or "").strip()
    if text.lower() in HIDDEN:
        raise CallbackRefused("the caller's number is hidden")
    digits = _SEPARATORS.sub("", text)
    if digits.startswith("+"):
        digits = digits[1:]
        if not digits.startswith("62"):
            raise CallbackRefused(f"{text[:20]!r} is not an Indonesian number")
    if not digits.isascii() or not digits.isdigit():
        raise CallbackRefused(f"{text[:20]!r} is not a phone number (not only digits)")
    if digits.startswith("62"):
        digits = "0" + digits[2:]
    if not _NATIONAL.fullmatch(digits):
        raise CallbackRefused(
            f"{text[:20]!r} is not a phone number that can be called back "
            f"({len(digits)} digits; a national number has 9-13, starting 0 and not 00)"
        )
    return digits


@dataclass(frozen=True)
class QueueFigures:
    """What app_queue says when the caller joins: its average hold time, the callers already waiting,
    the members free now and the members logged in (paused ones included)."""

    holdtime_s: int
    waiting: int
    free: int
    logged: int


def expected_wait_s(figures: QueueFigures, handle_s: float = ASSUMED_HANDLE_S) -> float:
    """How long a caller joining now will wait, in seconds: nothing while a member is free for each
    caller ahead; else the larger of app_queue's average hold time and the callers ahead shared among
    the logged-in members; without end (inf) when nobody is logged in."""
    if figures.free > figures.waiting:
        return 0.0
    if figures.logged <= 0:
        return math.inf
    ahead = figures.waiting + 1 - figures.free  # callers to be served before a member comes free for us
    return float(max(figures.holdtime_s, math.ceil(ahead * handle_s / figures.logged)))


def offer_callback(figures: QueueFigures, offer_over_s: float, handle_s: float = ASSUMED_HANDLE_S) -> bool:
    """Offer the caller a callback only when the expected wait is over the setting."""
    return expected_wait_s(figures, handle_s) > offer_over_s


@dataclass(frozen=True)
class OpenCallback:
    """A stored request still to be placed (or being placed)."""

    id: int
    desk: str  # the desk's own queue: the callback is answered by whoever of the desk is free
    requested_at: datetime
    entered_at: datetime  # when the caller joined the queue: their place
    tries: int
    last_try_at: datetime | None = None  # when the last try ended (the retry spacing counts from there)
    placing: bool = False  # a try is ringing the caller now


@dataclass(frozen=True)
class DeskNow:
    """A desk's queue as Asterisk has it now."""

    free_members: int
    waiting_since: tuple[datetime, ...] = ()  # when each caller waiting in the queue now joined


def due_callbacks(
    now: datetime,
    callbacks: Iterable[OpenCallback],
    desks: Mapping[str, DeskNow],
    *,
    max_tries: int,
    retry_s: float,
) -> list[int]:
    """The callbacks to place now, in the order callers asked.

    A desk takes as many as it has members free (less the callbacks already ringing there). A callback
    waits its turn behind callers still in the queue who joined before it did (it keeps its place, no
    more), and after a try that was not answered it waits `retry_s`; one waiting for its retry does not
    hold up the callbacks behind it. A desk Asterisk does not report has no member free."""
    by_desk: dict[str, list[OpenCallback]] = {}
    for callback in sorted(callbacks, key=lambda c: (c.requested_at, c.id)):
        by_desk.setdefault(callback.desk, []).append(callback)
    due: list[tuple[datetime, int, int]] = []
    for desk, open_here in by_desk.items():
        state = desks.get(desk)
        if state is None:
            continue
        slots = state.free_members - sum(1 for c in open_here if c.placing)
        earliest_waiting = min(state.waiting_since, default=None)
        for callback in open_here:
            if slots <= 0:
                break
            if callback.placing or callback.tries >= max_tries:
                continue
            if callback.last_try_at is not None and now < callback.last_try_at + timedelta(seconds=retry_s):
                continue
            if earliest_waiting is not None and earliest_waiting < callback.entered_at:
                break  # a caller who was there first is still waiting: served first
            due.append((callback.requested_at, callback.id, callback.id))
            slots -= 1
    return [callback_id for _, _, callback_id in sorted(due)]


@dataclass(frozen=True)
class CallbackSummary:
    """What the call record shows of a callback (UTC, naive like every stored time): for the call-record
    side to copy, keyed by the waiting call's id. `tries` and `status` say which state it was taken in."""

    request_id: int
    call_id: str
    requested_at: datetime
    placed_at: datetime | None  # the first try
    answered_at: datetime | None
    tries: int
    status: str


def after_try(tries: int, answered: bool, max_tries: int) -> str:
    """The request's status after its `tries`-th try: answered, failed after the last try, else pending."""
    if answered:
        return ANSWERED
    return FAILED if tries >= max_tries else PENDING
