"""Which dispatched crews the alerter rings now (dispatch/crew_alerts.py due_alerts): pure, on `now`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dispatch.crew_alerts import AlertState, due_alerts

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=15)


def _state(
    n: int, *, ago_s: float = 5, tries: int = 0, last_s: float | None = None, **flags: bool
) -> AlertState:
    return AlertState(
        n,
        NOW - timedelta(seconds=ago_s),
        moving=flags.get("moving", False),
        tries=tries,
        last_try=None if last_s is None else NOW - timedelta(seconds=last_s),
        answered=flags.get("answered", False),
    )


def _due(*states: AlertState, placing: set[int] | None = None) -> list[int]:
    return due_alerts(NOW, states, placing or set(), max_tries=3, retry_s=30, window=WINDOW)


def test_a_new_dispatch_is_rung_at_once_oldest_first() -> None:
    assert _due(_state(2, ago_s=3), _state(1, ago_s=9)) == [1, 2]


def test_a_crew_that_answered_or_moved_is_not_rung_again() -> None:
    assert (
        _due(_state(1, tries=1, last_s=60, answered=True), _state(2, tries=1, last_s=60, moving=True)) == []
    )


def test_an_unanswered_try_is_repeated_after_the_retry_wait_up_to_the_limit() -> None:
    assert _due(_state(1, tries=1, last_s=10)) == []
    assert _due(_state(1, tries=1, last_s=31)) == [1]
    assert _due(_state(1, tries=3, last_s=300)) == []


def test_a_crew_being_rung_is_not_rung_twice_at_once() -> None:
    assert _due(_state(1), _state(2), placing={1}) == [2]


def test_a_dispatch_older_than_the_window_is_left_to_the_radio() -> None:
    assert _due(_state(1, ago_s=WINDOW.total_seconds() + 1)) == []
    assert _due(_state(1, ago_s=WINDOW.total_seconds() - 1)) == [1]
