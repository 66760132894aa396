"""How a finished call record is held against a scenario's expectations: pure, so the comparisons
themselves are tested without the chain (tests/scenarios/test_spec.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.scenarios.spec import RecordExpect

if TYPE_CHECKING:
    from tests.telephony.conftest import CallSummary


def record_problems(r: CallSummary, expect: RecordExpect) -> list[str]:
    """Every way the record `r` differs from `expect`, each naming the expectation."""
    problems = []
    if expect.caller is not None and r.caller != expect.caller:
        problems.append(f"caller: expected {expect.caller!r}, got {r.caller!r}")
    for name, value in expect.equal.items():
        got = getattr(r, name)
        if got != value:
            problems.append(f"{name}: expected {value!r}, got {got!r}")
    for name, part in expect.contains.items():
        got = getattr(r, name)
        if part not in (got or ""):
            problems.append(f"{name}_contains: {part!r} is not in {got!r}")
    problems += [f"unset: {n} is {getattr(r, n)!r}" for n in expect.unset if getattr(r, n) is not None]
    for name, bounds in expect.bounds.items():
        if (problem := bounds.problem(getattr(r, name))) is not None:
            problems.append(f"{name}: {problem}")
    targets = [t["endpoint"] for t in r.plan.get("targets", [])]
    if expect.targets is not None and targets != list(expect.targets):
        problems.append(f"targets: expected {list(expect.targets)}, got {targets}")
    desks = r.plan.get("desks", [])
    if expect.desks is not None:
        got_desks = [
            d["desk"] if isinstance(want, str) else (d["desk"], d["max_wait_s"])
            for d, want in zip(desks, expect.desks, strict=False)
        ]
        if len(desks) != len(expect.desks) or got_desks != list(expect.desks):
            problems.append(f"desks: expected {list(expect.desks)}, got {desks}")
    if expect.first_desk is not None and (not desks or desks[0]["desk"] != expect.first_desk):
        problems.append(f"first_desk: expected {expect.first_desk!r}, got {desks}")
    if expect.ask_digits is not None and r.plan.get("ask_digits") is not expect.ask_digits:
        problems.append(f"ask_digits: expected {expect.ask_digits}, got {r.plan.get('ask_digits')!r}")
    notes = r.plan.get("notes", [])
    problems += [
        f"notes_contain: no note has {n!r}: {notes}"
        for n in expect.notes_contain
        if not any(n in note for note in notes)
    ]
    reasons = r.skip_reasons()
    for facility, reason in expect.skip_reasons.items():
        if reasons.get(facility) != reason:
            problems.append(f"skip_reasons[{facility}]: expected {reason!r}, got {reasons.get(facility)!r}")
    missing = sorted(set(expect.skipped_include) - set(reasons))
    if missing:
        problems.append(f"skipped_include: {missing} not skipped; skipped: {reasons}")
    if expect.attempts is not None:
        problems += attempt_problems(r, expect)
    return problems


def attempt_problems(r: CallSummary, expect: RecordExpect) -> list[str]:
    assert expect.attempts is not None
    if len(r.attempts) != len(expect.attempts):
        return [f"attempts: expected {len(expect.attempts)}, got {r.attempts}"]
    problems = []
    for n, ((endpoint, outcome, ring_s), want) in enumerate(zip(r.attempts, expect.attempts, strict=True), 1):
        if want.endpoint is not None and endpoint != want.endpoint:
            problems.append(f"attempts[{n}].endpoint: expected {want.endpoint!r}, got {endpoint!r}")
        if want.endpoint_in and endpoint not in want.endpoint_in:
            problems.append(f"attempts[{n}].endpoint_in: {endpoint!r} is not one of {want.endpoint_in}")
        if want.outcome is not None and outcome != want.outcome:
            problems.append(f"attempts[{n}].outcome: expected {want.outcome!r}, got {outcome!r}")
        if want.ring_s is not None and (problem := want.ring_s.problem(ring_s)) is not None:
            problems.append(f"attempts[{n}].ring_s: {problem}")
    return problems
