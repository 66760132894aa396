"""Erlang C: how many operators a desk needs so that a share of its calls is answered within a time.

The model is the M/M/N queue every call-centre calculator uses: calls arrive at random (Poisson), handle
times are exponential, callers wait in line rather than hang up, and any free operator takes the next
caller. With `erlangs` A (calls per second × average handle time) offered to N operators,

    P(wait)          C(N, A) = B / (1 - ρ (1 - B)),  ρ = A / N, B = Erlang B(N, A)
    service level    SL(t)   = 1 - C(N, A) · exp(-(N - A) · t / AHT)
    speed of answer  ASA     = C(N, A) · AHT / (N - A)

Erlang B comes from the recurrence B(0) = 1, B(k) = A·B(k-1) / (k + A·B(k-1)): no factorials and no
powers, so it stays accurate for a national desk of hundreds of operators, where the textbook sum of
A^k/k! overflows a float long before. A queue with N ≤ A never empties: everyone waits, for ever.

Pure arithmetic, no I/O; `staffing.report` applies it to a desk's call records and roster.
"""

from __future__ import annotations

import math


def _check(agents: int, erlangs: float) -> None:
    if agents < 0:
        raise ValueError(f"agents must be 0 or more, not {agents}")
    if not erlangs >= 0 or math.isinf(erlangs):  # also refuses NaN
        raise ValueError(f"erlangs must be a finite number ≥ 0, not {erlangs}")


def erlang_b(agents: int, erlangs: float) -> float:
    """Probability that a call finds all `agents` busy when callers cannot wait (the blocking formula)."""
    _check(agents, erlangs)
    blocking = 1.0
    for k in range(1, agents + 1):
        blocking = erlangs * blocking / (k + erlangs * blocking)
    return blocking


def _c_from_b(agents: int, erlangs: float, blocking: float) -> float:
    if erlangs == 0:
        return 0.0
    if agents <= erlangs:
        return 1.0
    rho = erlangs / agents
    return blocking / (1 - rho * (1 - blocking))


def erlang_c(agents: int, erlangs: float) -> float:
    """Probability that a call has to wait at all (not answered at once) with `agents` operators."""
    return _c_from_b(agents, erlangs, erlang_b(agents, erlangs))


def _level(agents: int, erlangs: float, wait_probability: float, aht_s: float, within_s: float) -> float:
    if erlangs == 0:
        return 1.0
    if agents <= erlangs:
        return 0.0
    return 1.0 - wait_probability * math.exp(-(agents - erlangs) * within_s / aht_s)


def _check_times(aht_s: float, within_s: float) -> None:
    if not aht_s > 0 or math.isinf(aht_s):
        raise ValueError(f"the average handle time must be a finite number of seconds > 0, not {aht_s}")
    if not within_s >= 0 or math.isinf(within_s):
        raise ValueError(f"the answer time must be a finite number of seconds ≥ 0, not {within_s}")


def service_level(agents: int, erlangs: float, aht_s: float, within_s: float) -> float:
    """Share of calls answered within `within_s` seconds (0 when the queue can never catch up)."""
    _check_times(aht_s, within_s)
    return _level(agents, erlangs, erlang_c(agents, erlangs), aht_s, within_s)


def average_speed_of_answer(agents: int, erlangs: float, aht_s: float) -> float:
    """Mean wait of all calls (those answered at once count as 0 s); infinite when N ≤ A."""
    _check_times(aht_s, 0.0)
    if erlangs == 0:
        return 0.0
    if agents <= erlangs:
        return math.inf
    return erlang_c(agents, erlangs) * aht_s / (agents - erlangs)


def agents_needed(erlangs: float, aht_s: float, within_s: float, share: float) -> int:
    """The fewest operators N (more than A, so the queue empties) with a service level of at least `share`.

    Walks N upwards from ⌊A⌋ + 1, carrying Erlang B along the recurrence, so finding N costs one pass of
    O(N) rather than a fresh O(N) evaluation per candidate. No traffic needs no one.
    """
    _check(0, erlangs)
    _check_times(aht_s, within_s)
    if not 0 < share < 1:
        raise ValueError(f"the target share must be between 0 and 1 (exclusive), not {share}")
    if erlangs == 0:
        return 0
    agents = math.floor(erlangs) + 1
    blocking = erlang_b(agents, erlangs)
    while _level(agents, erlangs, _c_from_b(agents, erlangs, blocking), aht_s, within_s) < share:
        agents += 1
        blocking = erlangs * blocking / (agents + erlangs * blocking)
    return agents
