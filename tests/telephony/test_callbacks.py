"""Callbacks and position announcements at the consultation desk, on the real chain: SIPp callers on
1500132 → Asterisk → the engine → the Konter's queue (app_queue) → pjsua2 doctors; the callback placed by
Asterisk (AMI Originate from the engine's callback helper) to the caller's own phone, a SIPp UAS on
loopback reached through the caller trunk (`callback_dial`).

The stack is this module's own: the shared one has no callback route. Settings keep every wait short: a
callback is offered whenever any wait is expected (`callback_offer_wait_s` = 0), rings 3 s a try and
retries 2 s later. The doctors are made busy by pausing them in their queues (as `*46` does), which the
desk-member sync leaves alone.
"""

from __future__ import annotations

import dataclasses
import re
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ami.login import manager_client
from desks.model import CallbackRequest, CallbackTry
from kernel.db import make_engine
from lab.sample import load_sample_places, sample_staff
from lab.sipp import SCENARIOS, free_udp_port, place_calls
from lab.stack import Stack
from routing.records.model import CallRecord
from shifts.roster_csv import ParsedRoster
from shifts.store import write_roster
from siaga.commands.routing import list_entry
from softphone.bots import Bot, answered_by, read_events
from tests.telephony.conftest import DISPATCHER, DOCTORS, CallLab, _callers_file, lab_settings

pytestmark = pytest.mark.telephony

KONTER = "konter-semarang"
DR1, DR2 = DOCTORS
ANNOUNCE_LOG = "announcements.log"
# When the caller presses 1, after the greeting's 183 (sipp/uac_callback_info.xml): in the queue, once
# the greeting (~3.6 s) and the offer (~4.4 s) are over; or while the offer is still playing.
IN_THE_QUEUE_MS, DURING_THE_OFFER_MS = "11000", "6000"
_CHANNEL = re.compile(r"PJSIP/caller-trunk-[0-9a-f]+")


@dataclasses.dataclass
class CallbackLab:
    lab: CallLab
    phone_port: int  # the callers' own phones (SIPp UAS) listen here

    def pause(self, doctor: str, paused: bool) -> None:
        """Pause or unpause a doctor in every queue, as the phone's *46 / *47 does."""
        with manager_client(self.lab.settings).connect() as client:
            reply = client.action(
                "QueuePause", Interface=f"PJSIP/{doctor}", Paused="true" if paused else "false"
            )
        assert reply.response.is_success, reply.response.get("Message")

    def messages_log(self) -> list[str]:
        """What Asterisk said at verbose level 3 (each file played, each application run) since the
        fixture added this log channel: the lab's messages.log keeps warnings only."""
        path = self.lab.stack.asterisk.run_dir / "log" / ANNOUNCE_LOG
        return path.read_text(encoding="utf-8", errors="replace").splitlines() if path.exists() else []

    def phone(self, scenario: str, name: str) -> subprocess.Popen[bytes]:
        """The caller's own phone for one call: a SIPp UAS on loopback, gone after that call."""
        out = self.lab.run_dir / name
        out.mkdir(parents=True, exist_ok=True)
        return subprocess.Popen(
            [
                *("sipp", "-sf", str(SCENARIOS / scenario), "-nostdin", "-m", "1"),
                *("-i", "127.0.0.1", "-p", str(self.phone_port), "-trace_err", "-timeout", "90s"),
            ],
            cwd=out,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )


@pytest.fixture(scope="module")
def callback_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CallbackLab]:
    data_dir = tmp_path_factory.mktemp("callbacks")
    phone_port = free_udp_port()
    settings = dataclasses.replace(
        lab_settings(data_dir),
        callback_offer_wait_s=0,
        callback_dial=f"PJSIP/caller-trunk/sip:{{number}}@127.0.0.1:{phone_port}",
        callback_ring_s=3,
        callback_retry_s=2.0,
        callback_poll_s=0.3,
        scheduler=False,
    )
    load_sample_places(
        make_engine(settings.db_url), settings.areas_path, settings.facilities_path, _callers_file(data_dir)
    )
    with Session(make_engine(settings.db_url)) as session, session.begin():
        write_roster(session, ParsedRoster(sample_staff(settings.region_dir), []))
    stack = Stack(settings)
    try:
        stack.start([Bot(DISPATCHER), *(Bot(d) for d in DOCTORS)])
        lab = CallLab(settings, stack, data_dir / "calls")
        # A log channel of this test's own (gone with this Asterisk) with every file played.
        stack.asterisk.cli(f"logger add channel {ANNOUNCE_LOG} verbose(3)")
        lab.given_on_duty(*DOCTORS)
        lab.wait_desk_members(KONTER, set(DOCTORS))
        yield CallbackLab(lab, phone_port)
    finally:
        stack.stop()


def _wait(condition: str, check: object, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout_s:g} s: {condition}")
        time.sleep(0.2)


def _waiter(lab: CallLab, caller: str, name: str) -> threading.Thread:
    """A caller who chooses no topic (9) and waits at the Konter until a doctor answers."""
    thread = threading.Thread(
        target=place_calls,
        args=([(caller, "1500132", "9")], lab.run_dir / name),
        kwargs={"sip_port": lab.settings.sip_port, "scenario": "uac_topic_info.xml", "timeout_s": 90},
        daemon=True,
    )
    thread.start()
    return thread


def test_a_caller_waiting_in_the_queue_hears_their_place(callback_lab: CallbackLab) -> None:
    """Two callers wait while both doctors are busy: the first is told they are next, the second "Anda
    berada di urutan ke dua dalam antrian" (the files Asterisk plays, in order)."""
    lab = callback_lab.lab
    for doctor in DOCTORS:
        callback_lab.pause(doctor, True)
    first = _waiter(lab, "081240000061", "position-first")
    time.sleep(2)
    second = _waiter(lab, "081240000062", "position-second")
    try:

        def second_in_line() -> bool:
            return any("siaga-antrian-menunggu" in line for line in callback_lab.messages_log())

        _wait("the second caller told their place", second_in_line, 30)
    finally:
        for doctor in DOCTORS:
            callback_lab.pause(doctor, False)
    first.join(60)
    second.join(60)
    log = callback_lab.messages_log()
    told = [line for line in log if "siaga-antrian-urutan" in line]
    channel = _CHANNEL.search(told[0]).group(0)  # type: ignore[union-attr]
    said = [line for line in log if f"<{channel}>" in line and "Playing" in line]
    # "Anda berada di urutan ke | dua | dalam antrian": the place, then the number, then the rest.
    files = [line.split("Playing '", 1)[1].split("'", 1)[0] for line in said]
    at = next(i for i, f in enumerate(files) if "siaga-antrian-urutan" in f)
    assert "digits/2" in files[at + 1] and "siaga-antrian-menunggu" in files[at + 2], files
    # The first caller, at the head of the queue, was told they are next.
    assert any("siaga-antrian-berikutnya" in line for line in log)
    first_record, second_record = lab.record("081240000061"), lab.record("081240000062")
    assert (first_record.queue_position, second_record.queue_position) == (1, 2)
    assert first_record.outcome == second_record.outcome == "answered"


def test_a_caller_who_presses_1_is_called_back_when_a_doctor_is_free(callback_lab: CallbackLab) -> None:
    lab = callback_lab.lab
    caller = "081240000050"
    for doctor in DOCTORS:
        callback_lab.pause(doctor, True)

    # The caller's phone: the first try rings out unanswered, the second is picked up.
    def phone() -> None:
        callback_lab.phone("uas_no_answer.xml", "phone-1").wait(60)
        callback_lab.phone("uas_callback_phone.xml", "phone-2").wait(60)

    phone_thread = threading.Thread(target=phone, daemon=True)
    phone_thread.start()
    try:
        lab.place("uac_callback_info.xml", caller, "1500132", "9", IN_THE_QUEUE_MS)
        record = lab.record(caller)
        assert record.outcome == "callback", (record.outcome, record.attempts)
        assert record.attempts[-1][1] == "callback requested" and record.desk == KONTER
        with Session(make_engine(lab.settings.db_url)) as session:
            request = session.scalars(select(CallbackRequest).where(CallbackRequest.number == caller)).one()
            assert (request.desk, request.status, request.tries) == (KONTER, "pending", 0), "nobody free yet"
            request_id = request.id
        time.sleep(1.0)  # a few rounds of the helper with nobody free: still nothing placed
        assert _request(lab, request_id).tries == 0
    finally:
        callback_lab.pause(DR1, False)  # a doctor becomes free
    try:
        _wait("the callback answered", lambda: _request(lab, request_id).status == "answered", 30)
        _wait(
            "a doctor answered the callback", lambda: answered_by(read_events(lab.stack.bots_dir), caller), 15
        )
    finally:
        callback_lab.pause(DR2, False)
    assert answered_by(read_events(lab.stack.bots_dir), caller) == [DR1]
    with Session(make_engine(lab.settings.db_url)) as session:
        tries = session.scalars(
            select(CallbackTry).where(CallbackTry.request_id == request_id).order_by(CallbackTry.n)
        ).all()
        assert [(t.n, t.outcome) for t in tries] == [(1, "no answer"), (2, "answered")]
        assert all(t.ended_at is not None and t.ended_at >= t.started_at for t in tries)
        gap = (tries[1].started_at - tries[0].ended_at).total_seconds()
        assert gap >= lab.settings.callback_retry_s, f"tries {gap:.1f} s apart"

    def record_in_step() -> bool:
        with Session(make_engine(lab.settings.db_url)) as session:
            row = session.scalars(select(CallRecord).where(CallRecord.call_id == record.call_id)).one()
            return row.callback_answered is not None

    _wait("the call record shows the callback answered", record_in_step, 10)
    with Session(make_engine(lab.settings.db_url)) as session:
        row = session.scalars(select(CallRecord).where(CallRecord.call_id == record.call_id)).one()
        entry = list_entry(row)
    assert entry["callback_requested"] and entry["callback_placed"] and entry["callback_answered"]
    assert entry["callback_requested"] < entry["callback_placed"] < entry["callback_answered"]
    assert entry["callback_tries"] == 2 and entry["outcome"] == "callback"
    phone_thread.join(30)


def _request(lab: CallLab, request_id: int) -> CallbackRequest:
    with Session(make_engine(lab.settings.db_url), expire_on_commit=False) as session:
        row = session.get(CallbackRequest, request_id)
        assert row is not None
        return row


def test_a_hidden_number_is_refused_and_the_caller_stays_in_the_queue(callback_lab: CallbackLab) -> None:
    lab = callback_lab.lab
    for doctor in DOCTORS:
        callback_lab.pause(doctor, True)
    try:
        # The scenario hangs up 6 s after its 1: by then the refused caller has heard why and is back in
        # the queue, so the call ends abandoned in the queue, with no callback stored.
        lab.place("uac_callback_info.xml", "anonymous", "1500132", "9", IN_THE_QUEUE_MS)
    finally:
        for doctor in DOCTORS:
            callback_lab.pause(doctor, False)
    record = lab.record()  # the latest call; a caller id that is not a number is recorded as ""
    assert record.caller == "" and record.service == "consultation", record
    assert record.outcome == "abandoned" and record.abandoned_in_queue, (record.outcome, record.attempts)
    with Session(make_engine(lab.settings.db_url)) as session:
        assert (
            session.scalars(select(CallbackRequest).where(CallbackRequest.call_id == record.call_id)).all()
            == []
        )
    log = callback_lab.messages_log()
    refused_at = next(i for i, line in enumerate(log) if "siaga-panggilan-balik-gagal" in line)
    channel = _CHANNEL.search(log[refused_at]).group(0)  # type: ignore[union-attr]
    rejoined = [line for line in log[refused_at:] if f'Queue("{channel}", "{KONTER},' in line]
    assert rejoined and rejoined[0].rstrip().endswith(',1") in new stack'), rejoined  # at place 1
    assert _engine_log_mentions(
        lab, f"call {record.call_id} at {KONTER}: callback refused: the caller's number is hidden"
    )


def _engine_log_mentions(lab: CallLab, text: str) -> bool:
    """Whether the engine's log (any *.log under the run directory) has `text`."""
    return any(
        text in path.read_text(encoding="utf-8", errors="replace")
        for path in Path(lab.settings.run_dir).rglob("*.log")
    )


def test_a_1_pressed_while_the_offer_plays_is_a_callback_too(callback_lab: CallbackLab) -> None:
    """The caller presses 1 as soon as they hear "press 1 to be called back", before the offer has ended:
    the offer is read with Read (early media), so the key counts; the caller never joins the queue."""
    lab = callback_lab.lab
    caller = "081240000070"
    for doctor in DOCTORS:
        callback_lab.pause(doctor, True)
    try:
        lab.place("uac_callback_info.xml", caller, "1500132", "9", DURING_THE_OFFER_MS)
        record = lab.record(caller)
    finally:
        for doctor in DOCTORS:
            callback_lab.pause(doctor, False)
    assert record.outcome == "callback", (record.outcome, record.attempts)
    with Session(make_engine(lab.settings.db_url)) as session:
        request = session.scalars(select(CallbackRequest).where(CallbackRequest.number == caller)).one()
        assert request.desk == KONTER
    log = callback_lab.messages_log()
    # This module's last call: the last offer played is this caller's.
    offers = [i for i, line in enumerate(log) if "Playing" in line and "siaga-panggilan-balik-tawar" in line]
    offered = offers[-1]
    channel = _CHANNEL.search(log[offered]).group(0)  # type: ignore[union-attr]
    # Interrupted: the confirmation follows the offer with no Queue() of this caller in between.
    mine = [line for line in log[offered:] if f"<{channel}>" in line or f'"{channel}"' in line]
    confirmed = next(i for i, line in enumerate(mine) if "siaga-panggilan-balik-ya" in line)
    assert not [line for line in mine[:confirmed] if 'Queue("' in line], mine[:confirmed]
