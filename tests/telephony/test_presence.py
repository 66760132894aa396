"""An operator who marks themselves away from `siaga softphone` is skipped like an unregistered phone,
with the reason in the call record; once back, they are rung again. Real Asterisk, real pjsua2."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from shifts.sipsecrets import endpoint_passwords
from softphone.cli import run_command
from softphone.events import Event
from softphone.keys import parse_line
from softphone.phone import Softphone
from tests.telephony.conftest import NEAREST, SECOND, CallLab

pytestmark = pytest.mark.telephony

OPERATOR = f"{NEAREST}-op2"  # not one of the lab's bots: this test's own softphone


@pytest.fixture
def operator(lab: CallLab) -> Iterator[tuple[Softphone, list[Event]]]:
    events: list[Event] = []
    with Softphone(on_event=events.append) as phone:
        secret = endpoint_passwords(lab.settings, [OPERATOR])[OPERATOR]  # its own, made at start
        phone.add_operator(OPERATOR, secret, f"127.0.0.1:{lab.settings.sip_port}")
        assert phone.wait_registered(10)
        yield phone, events


def _type(phone: Softphone, line: str, events: list[Event]) -> None:
    """The operator types `line`; the feature-code call ends once Asterisk has set the flag."""
    before = len(events)
    run_command(phone, OPERATOR, parse_line(line))
    deadline = time.monotonic() + 10
    while not any(e["event"] == "disconnected" for e in events[before:]):
        assert time.monotonic() < deadline, f"the {line!r} feature call did not end: {events[before:]}"
        time.sleep(0.1)


def test_paused_operator_is_skipped_with_the_reason_and_rung_once_back(
    lab: CallLab, operator: tuple[Softphone, list[Event]]
) -> None:
    phone, events = operator
    lab.given_on_duty(OPERATOR, f"{SECOND}-op1")

    _type(phone, "away", events)
    answered, _ = lab.call_from("0247000035")
    assert answered == [f"{SECOND}-op1"]
    assert not any(e["event"] == "incoming" and e.get("caller") == "0247000035" for e in events)
    record = lab.record("0247000035")
    assert record.skip_reasons()[NEAREST] == f"{OPERATOR}: operator away (paused)"

    _type(phone, "back", events)
    lab.call_from("0247000036")
    assert any(e["event"] == "incoming" and e.get("caller") == "0247000036" for e in events)
    assert lab.record("0247000036").answered_by == OPERATOR
