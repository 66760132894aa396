"""A real 119 call goes to the nearest staffed, reachable puskesmas, then the next, and always reaches a
human — and its call record says why. Failover and engine faults on the real chain."""

from __future__ import annotations

import contextlib
import io
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from agi import variables as v
from agi.protocol import AgiSession
from agi.scripts import ScriptTable
from agi.server import FastAgiServer
from siaga.cli import main as siaga_main
from softphone.bots import read_events
from tests.telephony.conftest import DESK, DISPATCHER, NEAREST, SECOND, THIRD, CallLab

pytestmark = pytest.mark.telephony


def test_call_rings_the_nearest_staffed_puskesmas(lab: CallLab) -> None:
    lab.given_on_duty(f"{NEAREST}-op1", f"{SECOND}-op1", f"{THIRD}-op1")
    answered, sipp_exit = lab.call_from("0247000001")
    assert answered == [f"{NEAREST}-op1"]
    assert sipp_exit == 0
    record = lab.record("0247000001")
    assert (record.outcome, record.answered_by, record.answered_attempt) == ("answered", f"{NEAREST}-op1", 1)
    assert [t["endpoint"] for t in record.plan["targets"]] == [
        f"{NEAREST}-op1",
        f"{SECOND}-op1",
        f"{THIRD}-op1",
    ]
    # After the facilities, the caller's own desk (Kota Semarang's PSC 119) and its overflow, the province.
    assert [(d["desk"], d["max_wait_s"]) for d in record.plan["desks"]] == [(DESK, 60), ("psc119-jateng", 0)]
    assert record.time_to_answer_s is not None and 0 <= record.time_to_answer_s < 5


def test_nearest_off_shift_goes_to_the_next_nearest(lab: CallLab) -> None:
    lab.given_on_duty(f"{SECOND}-op1", f"{THIRD}-op1", ended=(f"{NEAREST}-op1",))
    answered, _ = lab.call_from("0247000002")
    assert answered == [f"{SECOND}-op1"]
    assert not lab.rang(f"{NEAREST}-op1", "0247000002"), "an operator whose shift ended was rung"
    record = lab.record("0247000002")
    assert record.skip_reasons()[NEAREST] == "no one on duty (off shift)"
    assert record.answered_by == f"{SECOND}-op1"


def test_nearest_unregistered_is_skipped_not_rung(lab: CallLab) -> None:
    """Gayamsari's op2 is on duty but its softphone is not registered: Asterisk says UNAVAILABLE."""
    lab.given_on_duty(f"{NEAREST}-op2", f"{SECOND}-op1")
    answered, _ = lab.call_from("0247000009")
    assert answered == [f"{SECOND}-op1"]
    record = lab.record("0247000009")
    assert record.skip_reasons()[NEAREST] == f"{NEAREST}-op2: softphone not registered"
    assert [a[0] for a in record.attempts] == [f"{SECOND}-op1"]


def test_nearest_not_answering_fails_over_after_its_ring_timeout(lab: CallLab) -> None:
    lab.given_on_duty(f"{SECOND}-op2", f"{THIRD}-op1")  # Halmahera's op2 rings but never answers
    answered, _ = lab.call_from("0247000003")
    assert lab.rang(f"{SECOND}-op2", "0247000003")
    assert answered == [f"{THIRD}-op1"]
    record = lab.record("0247000003")
    (first, first_outcome, first_ring), (second, second_outcome, _) = record.attempts
    assert (first, first_outcome, second, second_outcome) == (
        f"{SECOND}-op2",
        "no answer",
        f"{THIRD}-op1",
        "answered",
    )
    assert first_ring is not None and 3.5 <= first_ring <= 6  # its 4 s ring timeout
    assert record.answered_attempt == 2
    assert record.time_to_answer_s is not None and record.time_to_answer_s >= 4

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert siaga_main(["calls", "show", record.call_id, "--data-dir", str(lab.settings.data_dir)]) == 0
    text = out.getvalue()
    assert "Puskesmas Halmahera (pkm-halmahera-op2) for" in text and ": no answer." in text
    assert "on the second attempt, because Puskesmas Halmahera did not answer" in text


def test_everyone_fails_the_dispatcher_answers(lab: CallLab) -> None:
    """Nearest unregistered, next one not answering, third unregistered: the dispatcher takes it."""
    lab.given_on_duty(f"{NEAREST}-op2", f"{SECOND}-op2", f"{THIRD}-op2")
    answered, _ = lab.call_from("0247000010")
    assert answered == [DISPATCHER]
    record = lab.record("0247000010")
    assert [(a[0], a[1]) for a in record.attempts] == [
        (f"{SECOND}-op2", "no answer"),
        (DISPATCHER, "answered"),  # a member of the desk's queue
    ]
    assert (record.desk, record.overflow_path) == (DESK, DESK)
    assert record.queue_wait_s is not None and record.queue_wait_s < 5
    assert set(record.skip_reasons()) >= {NEAREST, THIRD}


def test_no_one_on_duty_anywhere_goes_to_the_dispatcher(lab: CallLab) -> None:
    lab.given_on_duty()
    answered, _ = lab.call_from("0247000004")
    assert answered == [DISPATCHER]
    assert any("no staffed facility" in n for n in lab.record("0247000004").plan["notes"])


def test_unknown_caller_goes_to_the_dispatcher(lab: CallLab) -> None:
    lab.given_on_duty(f"{NEAREST}-op1")
    answered = lab.place("uac_caller_patient.xml", "081299990000", "119")
    assert answered == [DISPATCHER]
    assert lab.record("081299990000").location_source is None


def test_caller_id_with_an_encoded_newline_still_reaches_a_human(lab: CallLab) -> None:
    """Asterisk decodes %0A into a real newline in the caller id, which would break the AGI environment.

    The engine refuses such an environment; the dialplan sees no plan and rings the dispatcher. The report
    (with the hostile number left out) waits in AstDB and arrives with the next call's report.
    """
    lab.given_on_duty(f"{NEAREST}-op1")
    lab.call_from("0247000005%0AEXEC")
    answered = [
        e["account"]
        for e in read_events(lab.stack.bots_dir)
        if e.get("event") == "answered" and str(e.get("caller", "")).lower() == "0247000005%0aexec"
    ]
    assert answered == [DISPATCHER]
    lab.call_from("0247000011")  # its hangup report collects the one kept in AstDB
    record = lab.record(route_status="no plan")
    assert record.caller == ""
    assert record.answered_by == DISPATCHER


def test_caller_id_with_quotes_is_treated_as_unknown(lab: CallLab) -> None:
    lab.given_on_duty(f"{NEAREST}-op1")
    caller = "0247000012%22%3BEXEC"
    lab.place("uac_caller_patient.xml", caller, "119")
    answered = [
        e["account"]
        for e in read_events(lab.stack.bots_dir)
        if e.get("event") == "answered" and str(e.get("caller", "")).startswith("0247000012")
    ]
    assert answered == [DISPATCHER]
    record = lab.record("", route_status="ok", timeout_s=10)
    assert record.caller == "" and record.location_source is None


def test_engine_stopped_sends_the_call_to_the_dispatcher(lab: CallLab) -> None:
    lab.given_on_duty(f"{NEAREST}-op1")
    lab.stack.engine.stop()
    try:
        answered, _ = lab.call_from("0247000006")
    finally:
        lab.stack.engine.start()
    assert answered == [DISPATCHER]
    # And with the engine back, the same caller is routed normally again…
    answered, _ = lab.call_from("0247000007")
    assert answered == [f"{NEAREST}-op1"]
    # … and the outage call has its record, from the report the dialplan kept meanwhile.
    record = lab.record("0247000006", route_status="engine unreachable")
    assert record.answered_by == DISPATCHER


@contextlib.contextmanager
def _hung_engine(port: int) -> Iterator[None]:
    """A server that accepts FastAGI connections and never says a word."""
    listener = socket.create_server(("127.0.0.1", port))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                held.append(listener.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        listener.close()


def test_engine_hung_does_not_hang_the_caller(lab: CallLab) -> None:
    lab.given_on_duty(f"{NEAREST}-op1")
    lab.stack.engine.stop()
    try:
        with _hung_engine(lab.settings.agi_port):
            started = time.monotonic()
            answered, _ = lab.call_from("0247000013")
            took = time.monotonic() - started
    finally:
        lab.stack.engine.start()
    assert answered == [DISPATCHER]
    # the AGI guard, the desk's 3 s greeting, ringing, 1.5 s of talk
    assert took < lab.settings.agi_timeout_s + 10
    lab.call_from("0247000014")
    record = lab.record("0247000013", route_status="engine hung")
    assert record.answered_by == DISPATCHER


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
    assert answered == [DISPATCHER]
    assert not lab.rang(f"{NEAREST}-op1", "0247000008")
