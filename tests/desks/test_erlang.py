"""Erlang B and C against published worked examples and tables, and against the textbook sum computed
independently here in exact rational arithmetic (no floats, no recurrence)."""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction

import pytest

from staffing.erlang import (
    agents_needed,
    average_speed_of_answer,
    erlang_b,
    erlang_c,
    service_level,
)


def erlang_c_by_sum(agents: int, erlangs: Fraction) -> Fraction:
    """C(N, A) = (A^N/N! · N/(N-A)) / (Σ_{k<N} A^k/k! + A^N/N! · N/(N-A)), exactly."""
    top = erlangs**agents / math.factorial(agents) * Fraction(agents) / (agents - erlangs)
    return top / (sum(erlangs**k / math.factorial(k) for k in range(agents)) + top)


def erlang_b_by_sum(agents: int, erlangs: Fraction) -> Fraction:
    """B(N, A) = (A^N/N!) / Σ_{k≤N} A^k/k!, exactly."""
    terms = [erlangs**k / math.factorial(k) for k in range(agents + 1)]
    return terms[-1] / sum(terms)


@pytest.mark.parametrize(
    ("agents", "erlangs"),
    [
        (1, Fraction(1, 2)),
        (3, Fraction(2)),
        (11, Fraction(10)),
        (14, Fraction(10)),
        (26, Fraction(20)),
        (60, Fraction(48)),
    ],
)
def test_the_stable_recurrence_agrees_with_the_exact_textbook_sum(agents: int, erlangs: Fraction) -> None:
    assert erlang_c(agents, float(erlangs)) == pytest.approx(
        float(erlang_c_by_sum(agents, erlangs)), rel=1e-12
    )
    assert erlang_b(agents, float(erlangs)) == pytest.approx(
        float(erlang_b_by_sum(agents, erlangs)), rel=1e-12
    )


def test_the_classic_example_100_calls_in_30_minutes_of_3_minutes_needs_14_for_80_in_20() -> None:
    """pyworkforce's README (ErlangC(transactions=100, aht=3, interval=30, asa=20/60), service level 0.8):
    raw_positions 14, service_level 0.8883500191794669, waiting_probability 0.1741319335950498."""
    erlangs = 100 * 180 / 1800
    assert erlangs == 10
    assert agents_needed(erlangs, 180, 20, 0.8) == 14
    assert erlang_c(14, erlangs) == pytest.approx(0.1741319335950498, abs=1e-12)
    assert service_level(14, erlangs, 180, 20) == pytest.approx(0.8883500191794669, abs=1e-12)
    # 13 operators fall just short (79.6 %): 14 is the smallest that meets 80 %.
    assert service_level(13, erlangs, 180, 20) == pytest.approx(0.7956, abs=1e-4)
    # Computed the second way: the exact sum, then the same service-level formula.
    exact = float(erlang_c_by_sum(14, Fraction(10)))
    assert 1 - exact * math.exp(-(14 - 10) * 20 / 180) == pytest.approx(0.8883500191794669, abs=1e-12)


def test_600_calls_an_hour_of_120_seconds_needs_26_circuits_for_15_percent_delay() -> None:
    """The Erlang C calculator example (20 E): 26 circuits for a 15 % delay probability, about 3 s of
    average delay per call; with 30 circuits the delay probability falls to 2.5 %."""
    erlangs = 600 * 120 / 3600
    assert erlang_c(25, erlangs) > 0.15 >= erlang_c(26, erlangs)
    assert average_speed_of_answer(26, erlangs, 120) == pytest.approx(3, abs=0.15)
    assert erlang_c(30, erlangs) == pytest.approx(0.025, abs=0.0005)
    assert float(erlang_c_by_sum(30, Fraction(20))) == pytest.approx(erlang_c(30, erlangs), rel=1e-12)


def test_erlang_b_matches_the_published_table_10_lines_carry_4_46_erlangs_at_1_percent() -> None:
    assert erlang_b(10, 4.46) == pytest.approx(0.01, abs=0.0002)
    assert erlang_b(10, 4.46) == pytest.approx(float(erlang_b_by_sum(10, Fraction("4.46"))), rel=1e-12)


def test_a_national_desk_of_hundreds_stays_finite_where_the_factorial_sum_overflows_floats() -> None:
    with pytest.raises(OverflowError):
        _ = 900.0**400 / math.factorial(400)
    needed = agents_needed(900.0, 180, 15, 0.9)
    assert 900 < needed < 960
    assert service_level(needed, 900.0, 180, 15) >= 0.9 > service_level(needed - 1, 900.0, 180, 15)
    assert 0 < erlang_c(needed, 900.0) < 1


def test_edges_no_traffic_needs_no_one_and_an_overloaded_queue_answers_nobody_in_time() -> None:
    assert agents_needed(0.0, 180, 15, 0.9) == 0
    assert erlang_c(0, 0.0) == 0.0 and service_level(0, 0.0, 180, 15) == 1.0
    assert erlang_c(5, 5.0) == 1.0 and service_level(5, 5.0, 180, 15) == 0.0
    assert service_level(4, 6.0, 180, 15) == 0.0
    assert average_speed_of_answer(5, 5.0, 180) == math.inf
    # Needed is always more than the load, even when a lower count would "meet" a lax target.
    assert agents_needed(2.0, 180, 600, 0.1) == 3


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: erlang_c(-1, 1.0), "agents"),
        (lambda: erlang_c(1, -1.0), "erlangs"),
        (lambda: erlang_c(1, math.nan), "erlangs"),
        (lambda: service_level(3, 1.0, 0, 15), "handle time"),
        (lambda: agents_needed(1.0, 180, 15, 1.0), "share"),
        (lambda: agents_needed(1.0, 180, -1, 0.9), "answer time"),
    ],
)
def test_nonsense_is_refused_with_the_reason(call: Callable[[], float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()
