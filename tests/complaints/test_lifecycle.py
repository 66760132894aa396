"""LAPOR!/SP4N statuses: one step at a time, a refusal names both ends."""

from __future__ import annotations

import pytest

from complaints.lifecycle import STATUSES, next_statuses, transition_problem


def test_statuses_are_exactly_these() -> None:
    assert STATUSES == ("received", "verified", "in_progress", "done", "not_our_authority", "rejected")


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("received", "verified"),
        ("verified", "in_progress"),
        ("in_progress", "done"),
        ("received", "not_our_authority"),
        ("received", "rejected"),
        ("verified", "not_our_authority"),
        ("verified", "rejected"),
    ],
)
def test_allowed(current: str, target: str) -> None:
    assert transition_problem(current, target) is None
    assert target in next_statuses(current)


@pytest.mark.parametrize(
    ("current", "target"),
    [
        ("received", "in_progress"),
        ("received", "done"),
        ("verified", "done"),
        ("in_progress", "rejected"),
        ("in_progress", "verified"),
        ("done", "in_progress"),
        ("rejected", "verified"),
        ("not_our_authority", "done"),
    ],
)
def test_refused_names_from_and_to(current: str, target: str) -> None:
    problem = transition_problem(current, target)
    assert problem is not None and current in problem and target in problem


def test_unknown_and_same() -> None:
    assert "not a status" in (transition_problem("received", "closed") or "")
    assert "already" in (transition_problem("verified", "verified") or "")
