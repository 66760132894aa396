"""A real 119 call goes to the nearest staffed puskesmas, then the next, and always reaches a human."""

from __future__ import annotations

import pytest

from agi import variables as v
from agi.protocol import AgiSession
from agi.scripts import ScriptTable
from agi.server import FastAgiServer
from softphone.bots import read_events
from tests.telephony.conftest import NEAREST, SECOND, THIRD, CallLab

pytestmark = pytest.mark.telephony


def test_call_rings_the_nearest_staffed_puskesmas(lab: CallLab) -> None:
    lab.given_on_duty(f"{NEAREST}-op1", f"{SECOND}-op1", f"{THIRD}-op1")
    answered, sipp_exit = lab.call_from("0247000001")
    assert answered == [f"{NEAREST}-op1"]
    assert sipp_exit == 0


def test_nearest_off_shift_goes_to_the_next_nearest(lab: CallLab) -> None:
    lab.given_on_duty(f"{SECOND}-op1", f"{THIRD}-op1", ended=(f"{NEAREST}-op1",))
    answered, _ = lab.call_from("0247000002")
    assert answered == [f"{SECOND}-op1"]
    assert not lab.rang(f"{NEAREST}-op1", "0247000002"), "an operator whose shift ended was rung"


def test_nearest_not_answering_fails_over_after_its_ring_timeout(lab: CallLab) -> None:
    lab.given_on_duty(f"{SECOND}-op2", f"{THIRD}-op1")  # Halmahera's op2 rings but never answers
    answered, _ = lab.call_from("0247000003")
    assert lab.rang(f"{SECOND}-op2", "0247000003")
    assert answered == [f"{THIRD}-op1"]


def test_no_one_on_duty_anywhere_goes_to_the_dispatcher(lab: CallLab) -> None:
    lab.given_on_duty()
    answered, _ = lab.call_from("0247000004")
    assert answered == [lab.settings.dispatcher_endpoint]


def test_unknown_caller_goes_to_the_dispatcher(lab: CallLab) -> None:
    lab.given_on_duty(f"{NEAREST}-op1")
    answered, _ = lab.call_from("081299990000")
    assert answered == [lab.settings.dispatcher_endpoint]


def test_caller_id_with_an_encoded_newline_still_reaches_a_human(lab: CallLab) -> None:
    """Asterisk decodes %0A into a real newline in the caller id, which would break the AGI environment.

    The engine refuses such an environment; the dialplan sees no plan and rings the dispatcher.
    """
    lab.given_on_duty(f"{NEAREST}-op1")
    lab.call_from("0247000005%0AEXEC")
    answered = [
        e["account"]
        for e in read_events(lab.stack.bots_dir)
        if e.get("event") == "answered" and str(e.get("caller", "")).lower() == "0247000005%0aexec"
    ]
    assert answered == [lab.settings.dispatcher_endpoint]


def test_engine_stopped_sends_the_call_to_the_dispatcher(lab: CallLab) -> None:
    lab.given_on_duty(f"{NEAREST}-op1")
    lab.stack.engine.stop()
    try:
        answered, _ = lab.call_from("0247000006")
    finally:
        lab.stack.engine.start()
    assert answered == [lab.settings.dispatcher_endpoint]
    # And with the engine back, the same caller is routed normally again.
    answered, _ = lab.call_from("0247000007")
    assert answered == [f"{NEAREST}-op1"]


def test_engine_crashing_halfway_is_not_trusted(lab: CallLab) -> None:
    """A plan without ROUTE_STATUS=OK (the engine died after ROUTE_1) goes to the dispatcher."""

    def half_a_plan(session: AgiSession) -> None:
        session.set_variable(v.route_n(1), f"PJSIP/{NEAREST}-op1")
        session.set_variable(v.ROUTE_COUNT, "1")
        raise RuntimeError("engine dies before ROUTE_STATUS")

    lab.given_on_duty(f"{NEAREST}-op1")
    scripts = ScriptTable()
    scripts.register("route", half_a_plan)
    lab.stack.engine.stop()
    crashing = FastAgiServer("127.0.0.1", lab.settings.agi_port, scripts, workers=1)
    crashing.start_background()
    try:
        answered, _ = lab.call_from("0247000008")
    finally:
        crashing.stop()
        lab.stack.engine.start()
    assert answered == [lab.settings.dispatcher_endpoint]
    assert not lab.rang(f"{NEAREST}-op1", "0247000008")
