"""The operator's phone is told who is calling, from where, and why the call came to them: the INVITE a
real pjsua2 operator receives carries the X-Siaga-* screen-pop headers, on a real failover call."""

from __future__ import annotations

import pytest

from softphone.bots import read_events
from tests.telephony.conftest import DISPATCHER, GAYAMSARI_HOUSE, NEAREST, SECOND, THIRD, CallLab

pytestmark = pytest.mark.telephony

# A carrier header puts the caller in Gayamsari (kecamatan 33.74.04) with a stated accuracy.
LAT, LON = "-6.99180", "110.44490"


def _incoming(lab: CallLab, account: str, caller: str) -> dict[str, str]:
    events = [
        e
        for e in read_events(lab.stack.bots_dir)
        if e.get("event") == "incoming" and e.get("account") == account and e.get("caller") == caller
    ]
    assert events, f"{account} was not rung by {caller}"
    return events[-1].get("headers") or {}


def test_operator_sees_the_screen_pop_on_a_failover_call(lab: CallLab) -> None:
    lab.given_on_duty(f"{SECOND}-op2", f"{THIRD}-op1")  # Halmahera's op2 rings but never answers
    caller = "081219990001"
    answered = lab.place("uac_carrier_header.xml", caller, "119", "X-Caller-Location", LAT, LON, "35")
    assert answered == [f"{THIRD}-op1"]
    record = lab.record(caller)
    assert record.location_source == "carrier-header"

    first = _incoming(lab, f"{SECOND}-op2", caller)
    second = _incoming(lab, f"{THIRD}-op1", caller)
    same = {
        "X-Siaga-Call": record.call_id,
        "X-Siaga-Caller": caller,
        "X-Siaga-Location": f"{LAT} {LON} (carrier location header)",
        "X-Siaga-Location-Source": "carrier-header",
        "X-Siaga-Accuracy": "35 m",
        "X-Siaga-Area": "Gayamsari (33.74.04)",
        "X-Siaga-Service": "emergency",
    }
    for headers in (first, second):
        assert {k: headers.get(k) for k in same} == same
    assert first["X-Siaga-Attempt"] == "1 of 2; first choice"
    assert second["X-Siaga-Attempt"] == "2 of 2; Puskesmas Halmahera did not answer"


def test_directory_caller_and_dispatcher_attempt(lab: CallLab) -> None:
    """No one on duty near the caller: the dispatcher's phone still says where the caller is."""
    lab.given_on_duty(ended=(f"{NEAREST}-op1",))
    caller = "0247000031"  # in the test directory, at a house in Gayamsari
    answered, _ = lab.call_from(caller)
    assert answered == [DISPATCHER]
    headers = _incoming(lab, DISPATCHER, caller)
    assert headers["X-Siaga-Location"] == f"{GAYAMSARI_HOUSE[0]:.5f} {GAYAMSARI_HOUSE[1]:.5f} (test house 31)"
    assert headers["X-Siaga-Location-Source"] == "directory"
    assert headers["X-Siaga-Attempt"] == "desk psc119-semarang"  # a member of the desk's queue
