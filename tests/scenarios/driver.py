"""The one driver of the real-chain scenarios: every folder under tests/scenarios with a scenario.toml.

The scenarios run from a few test modules, one per group of folders (`test_location.py`, …), so that a
run on several workers (pytest-xdist, one module per worker at a time) spreads them out; each module has
its own pool of stacks (the `labs` fixture, imported there).

For each scenario: the lab its settings ask for (one stack per distinct settings, shared by every scenario
that agrees, started once: scenarios run grouped by it), the roster and phones it is given, its calls placed
with SIPp in order (each inside its `around` step, if any), then every expectation checked. A failure lists
every expectation that did not hold, each naming the scenario, the call and the expectation.
The format is in tests/scenarios/README.md.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import fnmatch
import io
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lab.sipp import place_calls
from shifts.sipsecrets import endpoint_passwords
from siaga.cli import main as siaga_main
from softphone.bots import read_events
from softphone.cli import run_command
from softphone.events import Event
from softphone.keys import parse_line
from softphone.phone import Softphone
from tests.scenarios.checks import record_problems
from tests.scenarios.spec import Call, Expect, RecordExpect, Scenario, load_scenarios, took_limit
from tests.telephony.conftest import CallLab, CallSummary, lab_settings, running_lab
from tests.telephony.rtp_events import dtmf_pcap

ROOT = Path(__file__).parent
SCENARIOS = sorted(load_scenarios(ROOT), key=lambda s: (repr(s.settings), s.name))
RECORD_WAIT_S = 10.0


class LabPool:
    """The running lab for one settings group at a time: the scenarios come grouped, so each group's
    stack starts once. Every dialplan overlay of a group is in its stack's config."""

    def __init__(self, factory: pytest.TempPathFactory, scenarios: list[Scenario]) -> None:
        self.factory = factory
        self.overlays: dict[tuple[tuple[str, Any], ...], list[Path]] = collections.defaultdict(list)
        for scenario in scenarios:
            if scenario.dialplan is not None:
                self.overlays[scenario.settings].append(scenario.dialplan)
        self.key: tuple[tuple[str, Any], ...] | None = None
        self.lab: CallLab | None = None
        self.running = contextlib.ExitStack()

    def get(self, key: tuple[tuple[str, Any], ...]) -> CallLab:
        if self.lab is None or key != self.key:
            self.close()
            data_dir = self.factory.mktemp("scenarios")
            settings = dataclasses.replace(lab_settings(data_dir), **dict(key))
            self.lab = self.running.enter_context(running_lab(data_dir, settings, self.overlays[key]))
            self.key = key
        return self.lab

    def close(self) -> None:
        self.lab, self.key = None, None
        self.running.close()
        self.running = contextlib.ExitStack()


@pytest.fixture(scope="module")  # per test module that imports it: its stacks stop after its last scenario
def labs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabPool]:
    pool = LabPool(tmp_path_factory, SCENARIOS)
    try:
        yield pool
    finally:
        pool.close()


@dataclasses.dataclass
class Placed:
    call: Call
    sipp_exit: int
    took_s: float


class ScenarioRun:
    """One scenario on a running lab: its givens, its calls, then its expectations."""

    def __init__(self, lab: CallLab, scenario: Scenario) -> None:
        self.lab = lab
        self.scenario = scenario
        self.phones: dict[str, Softphone] = {}
        self.phone_events: list[Event] = []
        self.placed: list[Placed] = []
        self.since = time.time() - 1.0  # records of this scenario's calls only: the stack is shared

    # --- givens and calls

    def run(self) -> list[str]:
        given = self.scenario.given
        with contextlib.ExitStack() as phones:
            if given.phones:
                phone = phones.enter_context(Softphone(on_event=self.phone_events.append))
                secrets = endpoint_passwords(self.lab.settings, list(given.phones))
                for endpoint in given.phones:
                    phone.add_operator(endpoint, secrets[endpoint], f"127.0.0.1:{self.lab.settings.sip_port}")
                    self.phones[endpoint] = phone
                assert phone.wait_registered(10), f"{self.scenario.name}: given.phones did not register"
            registered = self.lab.stack.asterisk.registered_endpoints()
            wrongly = sorted(set(given.unregistered) & registered)
            assert not wrongly, f"{self.scenario.name}: given.unregistered: {wrongly} are registered"
            self.lab.given_on_duty(*given.on_duty, ended=given.ended)
            for call in self.scenario.calls:
                self.place(call)
        problems = self.check()
        # The scenario's own phones are gone: the next scenario on this stack may count on them being so.
        deadline = time.monotonic() + 10
        while set(given.phones) & self.lab.stack.asterisk.registered_endpoints():
            if time.monotonic() > deadline:
                problems.append(f"{self.scenario.name}: given.phones still registered after the scenario")
                break
            time.sleep(0.2)
        return problems

    def type_line(self, endpoint: str, line: str) -> None:
        """The operator types `line` (away, back) on their softphone; the feature-code call ends once
        Asterisk has set the flag."""
        before = len(self.phone_events)
        run_command(self.phones[endpoint], endpoint, parse_line(line))
        deadline = time.monotonic() + 10
        while not any(e["event"] == "disconnected" for e in self.phone_events[before:]):
            assert time.monotonic() < deadline, (
                f"{self.scenario.name}: {endpoint} typing {line!r}: the feature call did not end"
            )
            time.sleep(0.1)

    def place(self, call: Call) -> None:
        for endpoint in call.away:
            self.type_line(endpoint, "away")
        for endpoint in call.back:
            self.type_line(endpoint, "back")
        self.lab.calls += 1
        out = self.lab.run_dir / f"sipp-{self.lab.calls}"
        out.mkdir(parents=True, exist_ok=True)
        if call.rfc4733_keys:
            dtmf_pcap(call.rfc4733_keys, out / "dtmf.pcap")
        around = self.scenario.step(call.around)(self.lab) if call.around else contextlib.nullcontext()
        with around:
            started = time.monotonic()
            run = place_calls(
                [(call.caller, call.dialled, *call.fields)],
                out,
                sip_port=self.lab.settings.sip_port,
                scenario=call.sipp,
                timeout_s=120,
            )
            took = time.monotonic() - started
        time.sleep(0.5)  # the phones' event files catch up with the BYE
        self.placed.append(Placed(call, run.returncode, took))

    # --- expectations

    def check(self) -> list[str]:
        events = read_events(self.lab.stack.bots_dir) + list(self.phone_events)
        problems: list[str] = []
        for n, placed in enumerate(self.placed, 1):
            where = f"{self.scenario.name}, call {n} ({placed.call.caller} → {placed.call.dialled})"
            problems += [f"{where}: {p}" for p in self.check_call(placed, events)]
        return problems

    def check_call(self, placed: Placed, events: list[Event]) -> list[str]:
        call, expect = placed.call, placed.call.expect
        mine = [e for e in events if fnmatch.fnmatchcase(str(e.get("caller", "")).lower(), call.seen_pattern)]
        answered = [str(e["account"]) for e in mine if e.get("event") == "answered"]
        rang = {str(e["account"]) for e in mine if e.get("event") == "incoming"}
        problems = []
        if expect.answered is not None and answered != list(expect.answered):
            problems.append(f"answered: expected {list(expect.answered)}, got {answered}")
        if expect.answered_one_of is not None and not (
            len(answered) == 1 and answered[0] in expect.answered_one_of
        ):
            problems.append(
                f"answered_one_of: expected one of {list(expect.answered_one_of)}, got {answered}"
            )
        problems += [f"rang: {a} was not rung" for a in expect.rang if a not in rang]
        problems += [f"not_rang: {a} was rung" for a in expect.not_rang if a in rang]
        if expect.sipp_exit is not None and placed.sipp_exit != expect.sipp_exit:
            problems.append(f"sipp_exit: expected {expect.sipp_exit}, got {placed.sipp_exit}")
        if expect.took_below_s is not None:
            limit = took_limit(expect.took_below_s, self.lab.settings)
            if placed.took_s >= limit:
                problems.append(f"took_below_s: the call took {placed.took_s:.1f} s, not below {limit:g} s")
        if expect.record is None and not expect.screen_pop:
            return problems
        record = self.record(call, expect.record or RecordExpect())
        if record is None:
            return [*problems, f"record: no finished call record of this scenario matches: {self.mine()}"]
        if expect.record is not None:
            problems += [f"record.{p}" for p in self.check_record(record, expect.record)]
        problems += self.check_screen_pop(call, expect, record, mine)
        return problems

    def mine(self) -> list[tuple[str, str, str | None]]:
        return [
            (r.caller, r.route_status, r.outcome)
            for r in self.lab.records()
            if r.started is not None and r.started >= self.since
        ]

    def record(self, call: Call, expect: RecordExpect) -> CallSummary | None:
        """The latest finished record of this scenario from the call's caller (or `expect.caller`; ""
        is any caller) with `expect.route_status` if given, once written."""
        caller = call.caller if expect.caller is None else expect.caller
        deadline = time.monotonic() + RECORD_WAIT_S
        while True:
            for r in self.lab.records():
                if (
                    r.ended
                    and r.started is not None
                    and r.started >= self.since
                    and (not caller or r.caller == caller)
                    and (expect.route_status is None or r.route_status == expect.route_status)
                ):
                    return r
            if time.monotonic() > deadline:
                return None
            time.sleep(0.2)

    def check_record(self, r: CallSummary, expect: RecordExpect) -> list[str]:
        problems = record_problems(r, expect)
        if expect.calls_show_contains:
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                code = siaga_main(["calls", "show", r.call_id, "--data-dir", str(self.lab.settings.data_dir)])
            if code != 0:
                problems.append(f"calls_show_contains: `siaga calls show` exited {code}")
            problems += [
                f"calls_show_contains: {part!r} is not in `siaga calls show`:\n{out.getvalue()}"
                for part in expect.calls_show_contains
                if part not in out.getvalue()
            ]
        return problems

    def check_screen_pop(
        self, call: Call, expect: Expect, record: CallSummary, mine: list[Event]
    ) -> list[str]:
        """The X-Siaga-* headers of the latest INVITE each named phone got for this call; `{call_id}`
        and `{caller}` in an expected value stand for the record's."""
        problems = []
        for account, headers in expect.screen_pop.items():
            invites = [e for e in mine if e.get("event") == "incoming" and e.get("account") == account]
            if not invites:
                problems.append(f"screen_pop.{account}: was not rung")
                continue
            got = invites[-1].get("headers") or {}
            for name, value in headers.items():
                want = value.format(call_id=record.call_id, caller=call.caller)
                if got.get(name) != want:
                    problems.append(f"screen_pop.{account}.{name}: expected {want!r}, got {got.get(name)!r}")
        return problems


def scenarios_of(*families: str) -> dict[str, Any]:
    """`pytest.mark.parametrize` arguments for the scenarios in these folders (location, routing, …), in
    the driver's order (grouped by settings, so each group's stack starts once)."""
    chosen = [s for s in SCENARIOS if s.name.split("/", 1)[0] in families]
    return {"argnames": "scenario", "argvalues": chosen, "ids": [s.name for s in chosen]}


def run_scenario(scenario: Scenario, labs: LabPool) -> None:
    problems = ScenarioRun(labs.get(scenario.settings), scenario).run()
    assert not problems, f"scenario {scenario.name} ({scenario.summary}):\n  " + "\n  ".join(problems)
