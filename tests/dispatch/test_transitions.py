"""Which unit status may follow which (dispatch/transitions.py): a run starts only by dispatch, goes
forward only (steps may be skipped), `available` ends it except with a patient aboard, `out_of_service`
from anywhere and left only to `available`."""

from __future__ import annotations

import pytest

from dispatch.transitions import RUN, SOURCES, STATUS_DIGITS, transition_problem
from dispatch.units import STATUSES


@pytest.mark.parametrize(
    ("previous", "status"),
    [
        ("dispatched", "en_route"),
        ("en_route", "on_scene"),
        ("on_scene", "transporting"),
        ("transporting", "at_hospital"),
        ("at_hospital", "returning"),
        ("returning", "available"),
        ("dispatched", "on_scene"),  # a forgotten key press: the on-scene time still counts
        ("on_scene", "returning"),  # treated on scene, no transport
        ("en_route", "available"),  # stood down on the way
        ("transporting", "out_of_service"),  # broke down with a patient: must be reportable
        ("out_of_service", "available"),
    ],
)
def test_allowed(previous: str, status: str) -> None:
    assert transition_problem(previous, status, "dtmf") is None


@pytest.mark.parametrize(
    ("previous", "status", "source", "reason"),
    [
        ("available", "on_scene", "dtmf", "only after being dispatched"),
        ("available", "en_route", "short_code", "only after being dispatched"),
        ("transporting", "on_scene", "dtmf", "forward only"),
        ("at_hospital", "en_route", "console", "forward only"),
        ("transporting", "available", "dtmf", "a patient is aboard"),
        ("out_of_service", "en_route", "dtmf", "report it available first"),
        ("out_of_service", "dispatched", "dispatch", "report it available first"),
        ("available", "dispatched", "cli", "siaga incidents dispatch"),
        ("en_route", "dispatched", "dispatch", "busy (en_route)"),
        ("available", "flying", "cli", "'flying' is not one of"),
        ("available", "out_of_service", "pager", "source 'pager' is not one of"),
    ],
)
def test_refused_with_the_reason(previous: str, status: str, source: str, reason: str) -> None:
    problem = transition_problem(previous, status, source)
    assert problem is not None and reason in problem


def test_dispatch_alone_starts_a_run_and_a_repeat_is_no_problem() -> None:
    assert transition_problem("available", "dispatched", "dispatch") is None
    assert transition_problem("returning", "dispatched", "dispatch") == "the unit is busy (returning)"
    for status in STATUSES:
        assert transition_problem(status, status, "dtmf") is None


def test_the_keypad_covers_every_status_a_crew_reports() -> None:
    assert STATUS_DIGITS == {
        "1": "en_route",
        "2": "on_scene",
        "3": "transporting",
        "4": "at_hospital",
        "5": "returning",
        "6": "available",
        "9": "out_of_service",
    }
    crew_reports = set(STATUSES) - {"dispatched"}
    assert set(STATUS_DIGITS.values()) == crew_reports
    assert list(RUN[1:]) == [STATUS_DIGITS[d] for d in "12345"]  # digits rise as the run goes on
    assert set(SOURCES) == {"dtmf", "short_code", "softphone", "console", "cli", "dispatch"}
