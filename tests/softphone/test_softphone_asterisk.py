"""End to end: softphones register to a real Asterisk, SIPp calls through it, events tell who answered."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from softphone_rig import (
    DIAL_TIMEOUT_S,
    FLEET_OPERATORS,
    OPERATOR_PASSWORD,
    SOLO_OPERATORS,
    AsteriskRig,
    place_call,
    place_calls,
)

from softphone import Bot, BotFleet, Softphone, answered_by
from softphone.cli import PASSWORDS_ENV
from softphone.events import Event
from softphone.phone import MAX_CALLS

pytestmark = pytest.mark.telephony

SLOW_OPERATOR = "pkm-test-op9"  # in the second process, answers after a pause
SILENT_OPERATOR = "pkm-test-op10"  # rings, never answers


@pytest.fixture(scope="module")
def fleet(asterisk_rig: AsteriskRig, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BotFleet]:
    bots = [
        Bot(name, answer_after_s=0.8 if name == SLOW_OPERATOR else 0.0, no_answer=name == SILENT_OPERATOR)
        for name in FLEET_OPERATORS
    ]
    workdir = tmp_path_factory.mktemp("bots")
    with BotFleet(bots, workdir, server=asterisk_rig.server, password=OPERATOR_PASSWORD) as fleet:
        fleet.wait_registered(timeout_s=20)
        yield fleet


def _events_for(fleet: BotFleet, caller: str, kind: str, timeout_s: float = 10) -> list[Event]:
    return fleet.wait_for_events(lambda e: e["event"] == kind and e.get("caller") == caller, timeout_s)


def test_fleet_of_ten_registers_from_two_processes(fleet: BotFleet, asterisk_rig: AsteriskRig) -> None:
    assert len(fleet.processes) == 2
    assert [len(g) for g in fleet.groups()] == [8, 2]
    assert all(p.poll() is None for p in fleet.processes)
    registered = {e["account"] for e in fleet.events() if e["event"] == "registered"}
    assert registered == set(FLEET_OPERATORS)
    # Asterisk's own view, not just what the bots claim.
    assert set(FLEET_OPERATORS) <= asterisk_rig.contacts()


def test_call_is_answered_by_exactly_the_dialled_operator(
    fleet: BotFleet, asterisk_rig: AsteriskRig, tmp_path: Path
) -> None:
    caller = "0248312345"
    result = place_call(asterisk_rig, "pkm-test-op3", caller=caller, area="3374", workdir=tmp_path)
    assert result.returncode == 0, result.output

    [ended] = _events_for(fleet, caller, "disconnected")
    events = fleet.events()
    assert answered_by(events, caller) == ["pkm-test-op3"]
    [incoming] = [e for e in events if e["event"] == "incoming" and e["caller"] == caller]
    assert incoming["account"] == "pkm-test-op3"
    assert incoming["headers"] == {"X-Siaga-Area": "3374", "X-Siaga-Rig": "softphone-test"}
    assert incoming["sip_call_id"] and "0248312345" in incoming["remote_uri"]
    assert ended["account"] == "pkm-test-op3"
    assert ended["answered"] is True
    assert ended["duration_s"] >= 0.5  # SIPp holds the answered call for 1 s before its BYE


def test_operator_in_second_process_answers_after_its_delay(
    fleet: BotFleet, asterisk_rig: AsteriskRig, tmp_path: Path
) -> None:
    caller = "0811222333"
    result = place_call(asterisk_rig, SLOW_OPERATOR, caller=caller, area="3374", workdir=tmp_path)
    assert result.returncode == 0, result.output

    _events_for(fleet, caller, "disconnected")
    events = fleet.events()
    assert answered_by(events, caller) == [SLOW_OPERATOR]
    [incoming] = [e for e in events if e["event"] == "incoming" and e["caller"] == caller]
    [answered] = [e for e in events if e["event"] == "answered" and e["caller"] == caller]
    rang_for = _seconds_between(incoming["ts"], answered["ts"])
    assert 0.7 <= rang_for < 3.0


def test_no_answer_operator_rings_but_never_answers(
    fleet: BotFleet, asterisk_rig: AsteriskRig, tmp_path: Path
) -> None:
    caller = "0248999000"
    result = place_call(asterisk_rig, SILENT_OPERATOR, caller=caller, area="3301", workdir=tmp_path)
    assert result.returncode == 0, result.output  # the scenario accepts the final failure response

    [ended] = _events_for(fleet, caller, "disconnected", timeout_s=DIAL_TIMEOUT_S + 5)
    events = fleet.events()
    incoming = [e for e in events if e["event"] == "incoming" and e["caller"] == caller]
    assert [e["account"] for e in incoming] == [SILENT_OPERATOR]
    assert incoming[0]["headers"]["X-Siaga-Area"] == "3301"
    assert answered_by(events, caller) == []
    assert ended["answered"] is False
    assert ended["status_code"] == 487  # Asterisk cancelled the ringing leg at its dial timeout


def test_in_process_softphone_refuses_a_ninth_operator(asterisk_rig: AsteriskRig) -> None:
    events: list[Event] = []
    with Softphone(on_event=events.append) as phone:
        for name in SOLO_OPERATORS[:8]:
            phone.add_operator(name, OPERATOR_PASSWORD, asterisk_rig.server)
        with pytest.raises(ValueError, match="at most 8 operators"):
            phone.add_operator(SOLO_OPERATORS[8], OPERATOR_PASSWORD, asterisk_rig.server)
        assert phone.wait_registered(10)
        assert set(SOLO_OPERATORS[:8]) <= asterisk_rig.contacts()
    assert sorted(e["account"] for e in events if e["event"] == "registered") == sorted(SOLO_OPERATORS[:8])
    # close() unregistered every operator, and Asterisk agrees.
    assert sorted(e["account"] for e in events if e["event"] == "unregistered") == sorted(SOLO_OPERATORS[:8])
    assert not set(SOLO_OPERATORS) & asterisk_rig.contacts()


def test_wrong_password_is_reported_not_retried_forever(asterisk_rig: AsteriskRig) -> None:
    events: list[Event] = []
    with Softphone(on_event=events.append) as phone:
        phone.add_operator(SOLO_OPERATORS[0], "not-the-password", asterisk_rig.server)
        started = time.monotonic()
        assert phone.wait_registered(10) is False
        assert time.monotonic() - started < 5  # a 401 ends the wait at once
        assert phone.registrations()[SOLO_OPERATORS[0]].status_code == 401
    [failed] = [e for e in events if e["event"] == "registration_failed"]
    assert failed["account"] == SOLO_OPERATORS[0] and failed["status_code"] == 401


def test_one_process_holds_at_most_four_calls(asterisk_rig: AsteriskRig, tmp_path: Path) -> None:
    """The wheel's PJSUA_MAX_CALLS is 4; this pins that down so MAX_CALLS and the bots' sizing
    get revisited if a new pjsua2-pybind11 changes it."""
    operators = SOLO_OPERATORS[2:7]
    events: list[Event] = []
    with Softphone(on_event=events.append) as phone:
        for name in operators:
            phone.add_operator(name, OPERATOR_PASSWORD, asterisk_rig.server, no_answer=True)
        assert phone.wait_registered(10)
        calls = [(name, f"080000000{i}", "1") for i, name in enumerate(operators)]
        result = place_calls(asterisk_rig, calls, workdir=tmp_path, concurrent=len(calls))
        assert result.returncode == 0, result.output
    assert MAX_CALLS == 4
    # pjsua turned the 5th INVITE away (486) before any callback: only 4 calls were ever seen.
    incoming = [e for e in events if e["event"] == "incoming"]
    assert len(incoming) == MAX_CALLS
    assert len({e["account"] for e in incoming}) == MAX_CALLS


def _cli(*args: str, password: str = OPERATOR_PASSWORD) -> subprocess.Popen[str]:
    env = {**os.environ, PASSWORDS_ENV: json.dumps(dict.fromkeys(SOLO_OPERATORS, password))}
    return subprocess.Popen(
        [sys.executable, "-m", "softphone", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_cli_exits_1_when_registration_fails(asterisk_rig: AsteriskRig) -> None:
    proc = _cli("--user", SOLO_OPERATORS[0], "--server", asterisk_rig.server, password="wrong")
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 1, out + err
    assert "registration FAILED" in out
    assert f"{SOLO_OPERATORS[0]} (401 Unauthorized)" in err


def test_cli_runs_until_sigterm_then_unregisters(asterisk_rig: AsteriskRig, tmp_path: Path) -> None:
    events_file = tmp_path / "cli.jsonl"
    user = SOLO_OPERATORS[1]
    server = asterisk_rig.server
    proc = _cli("--user", user, "--server", server, "--auto-answer", "--events", str(events_file))
    try:
        assert proc.stdout is not None
        first_line = proc.stdout.readline()
        assert first_line.strip() == f"[{user}] registered at {asterisk_rig.server}"
        assert user in asterisk_rig.contacts()

        result = place_call(asterisk_rig, user, caller="0248000111", area="3374", workdir=tmp_path)
        assert result.returncode == 0, result.output
        _wait_for_lines(events_file, 4)  # registered, incoming, answered, disconnected
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err
    assert "incoming call from 0248000111" in out
    assert "    area:     3374" in out  # the screen-pop block labels X-Siaga-Area
    assert f"[{user}] unregistered" in out
    assert user not in asterisk_rig.contacts()


def _wait_for_lines(path: Path, count: int, timeout_s: float = 10) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if path.exists() and len(path.read_text().splitlines()) >= count:
            return
        time.sleep(0.05)
    raise AssertionError(f"{path} has fewer than {count} events")


def _seconds_between(start_iso: str, end_iso: str) -> float:
    return (datetime.fromisoformat(end_iso) - datetime.fromisoformat(start_iso)).total_seconds()
