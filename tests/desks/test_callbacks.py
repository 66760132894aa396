"""Callbacks' pure decisions (desks/callbacks.py): whose number can be called back, when a callback is
offered, which callbacks go out now and what a try changes."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from desks.callbacks import (
    ANSWERED,
    FAILED,
    PENDING,
    CallbackRefused,
    DeskNow,
    OpenCallback,
    QueueFigures,
    after_try,
    callback_number,
    due_callbacks,
    expected_wait_s,
    offer_callback,
)

NOW = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
DESK = "konter-semarang"


def _ago(seconds: float) -> datetime:
    return NOW - timedelta(seconds=seconds)


def _callback(
    id: int,
    asked_s_ago: float,
    *,
    desk: str = DESK,
    entered_s_ago: float | None = None,
    tries: int = 0,
    last_try_s_ago: float | None = None,
    placing: bool = False,
) -> OpenCallback:
    return OpenCallback(
        id=id,
        desk=desk,
        requested_at=_ago(asked_s_ago),
        entered_at=_ago(entered_s_ago if entered_s_ago is not None else asked_s_ago + 30),
        tries=tries,
        last_try_at=_ago(last_try_s_ago) if last_try_s_ago is not None else None,
        placing=placing,
    )


# -- the caller's number --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("caller_id", "number"),
    [
        ("081240000004", "081240000004"),
        ("0247000001", "0247000001"),
        ("+6281240000004", "081240000004"),
        ("6281240000004", "081240000004"),
        ("0812-4000-0004", "081240000004"),
    ],
)
def test_a_national_or_international_indonesian_number_can_be_called_back(
    caller_id: str, number: str
) -> None:
    assert callback_number(caller_id) == number


@pytest.mark.parametrize(
    ("caller_id", "why"),
    [
        ("", "hidden"),
        ("anonymous", "hidden"),
        ("Restricted", "hidden"),
        ("0812abc0004", "not only digits"),
        ("119", "9-13"),
        ("1500132", "9-13"),
        ("0812", "9-13"),
        ("08124000000412345", "9-13"),
        ("0081240000004", "9-13"),
        ("+4420794600000", "not an Indonesian number"),
        ("٠٨١٢٤٠٠٠٠٠٠٤", "not only digits"),  # Arabic-Indic digits: isdigit() alone would take them
    ],
)
def test_a_caller_id_that_is_no_phone_number_is_refused_with_the_reason(caller_id: str, why: str) -> None:
    with pytest.raises(CallbackRefused, match=why):
        callback_number(caller_id)


# -- the expected wait and the offer --------------------------------------------------------------------


def test_no_wait_while_a_member_is_free_for_everyone_ahead() -> None:
    assert expected_wait_s(QueueFigures(holdtime_s=300, waiting=1, free=2, logged=3)) == 0.0
    assert not offer_callback(QueueFigures(300, 1, 2, 3), offer_over_s=120)


def test_the_callers_ahead_shared_among_the_members_when_the_queue_has_no_figures_yet() -> None:
    # A fresh Asterisk: hold time 0. Four waiting, nobody free, two doctors: 5 × 180 / 2 = 450 s.
    figures = QueueFigures(holdtime_s=0, waiting=4, free=0, logged=2)
    assert expected_wait_s(figures) == 450.0
    assert offer_callback(figures, offer_over_s=120)
    assert not offer_callback(figures, offer_over_s=450), "only a wait over the setting is offered"


def test_app_queues_own_hold_time_counts_when_it_is_longer() -> None:
    assert expected_wait_s(QueueFigures(holdtime_s=900, waiting=0, free=0, logged=4)) == 900.0


def test_nobody_logged_in_is_an_endless_wait() -> None:
    assert math.isinf(expected_wait_s(QueueFigures(0, 0, 0, 0)))
    assert offer_callback(QueueFigures(0, 0, 0, 0), offer_over_s=120)


def test_one_paused_doctor_makes_a_wait_the_offer_threshold_decides() -> None:
    figures = QueueFigures(holdtime_s=0, waiting=0, free=0, logged=1)  # the only doctor is paused
    assert expected_wait_s(figures) == 180.0
    assert offer_callback(figures, offer_over_s=0) and not offer_callback(figures, offer_over_s=180)


# -- which callbacks go out now -------------------------------------------------------------------------


def test_callbacks_go_out_in_the_order_callers_asked_as_many_as_members_are_free() -> None:
    callbacks = [_callback(3, 10), _callback(1, 50), _callback(2, 30)]
    assert due_callbacks(NOW, callbacks, {DESK: DeskNow(2)}, max_tries=3, retry_s=60) == [1, 2]
    assert due_callbacks(NOW, callbacks, {DESK: DeskNow(5)}, max_tries=3, retry_s=60) == [1, 2, 3]


def test_no_member_free_or_a_desk_asterisk_does_not_report_places_nothing() -> None:
    callbacks = [_callback(1, 50)]
    assert due_callbacks(NOW, callbacks, {DESK: DeskNow(0)}, max_tries=3, retry_s=60) == []
    assert due_callbacks(NOW, callbacks, {}, max_tries=3, retry_s=60) == []


def test_a_callback_ringing_now_takes_its_members_place() -> None:
    callbacks = [_callback(1, 50, placing=True, tries=1, last_try_s_ago=5), _callback(2, 30)]
    assert due_callbacks(NOW, callbacks, {DESK: DeskNow(1)}, max_tries=3, retry_s=60) == []
    assert due_callbacks(NOW, callbacks, {DESK: DeskNow(2)}, max_tries=3, retry_s=60) == [2]


def test_a_caller_still_in_the_queue_who_was_there_first_is_served_first() -> None:
    callbacks = [_callback(1, asked_s_ago=20, entered_s_ago=60)]
    earlier = DeskNow(1, waiting_since=(_ago(90),))
    later = DeskNow(1, waiting_since=(_ago(30),))
    assert due_callbacks(NOW, callbacks, {DESK: earlier}, max_tries=3, retry_s=60) == []
    assert due_callbacks(NOW, callbacks, {DESK: later}, max_tries=3, retry_s=60) == [1]


def test_a_retry_waits_its_spacing_without_holding_up_those_behind_it() -> None:
    callbacks = [_callback(1, 100, tries=1, last_try_s_ago=20), _callback(2, 50)]
    assert due_callbacks(NOW, callbacks, {DESK: DeskNow(1)}, max_tries=3, retry_s=60) == [2]
    assert due_callbacks(NOW, callbacks, {DESK: DeskNow(1)}, max_tries=3, retry_s=20) == [1]


def test_a_callback_out_of_tries_is_never_placed_again() -> None:
    callbacks = [_callback(1, 500, tries=3, last_try_s_ago=400)]
    assert due_callbacks(NOW, callbacks, {DESK: DeskNow(3)}, max_tries=3, retry_s=60) == []


def test_each_desk_spends_only_its_own_free_members() -> None:
    callbacks = [_callback(1, 50), _callback(2, 40, desk="konter-jambi"), _callback(3, 30)]
    desks = {DESK: DeskNow(1), "konter-jambi": DeskNow(0)}
    assert due_callbacks(NOW, callbacks, desks, max_tries=3, retry_s=60) == [1]


# -- after a try ----------------------------------------------------------------------------------------


def test_a_try_answered_ends_the_request_an_unanswered_last_try_fails_it() -> None:
    assert after_try(1, answered=True, max_tries=3) == ANSWERED
    assert after_try(1, answered=False, max_tries=3) == PENDING
    assert after_try(2, answered=False, max_tries=3) == PENDING
    assert after_try(3, answered=False, max_tries=3) == FAILED
