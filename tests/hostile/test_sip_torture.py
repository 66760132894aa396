"""RFC 4475 torture messages and malformed hotline INVITEs against the shipped Asterisk, over UDP.

What must hold for a public hotline whatever a caller (or anyone who can reach the SIP port) sends:
Asterisk keeps answering (each message is followed by an OPTIONS ping), no message gets a call into any
dialplan context but the hotline's own (above all not `siaga-operators`, the operators' feature codes and
dialling), nothing is marked "away", and afterwards a normal call is still routed to the operator on duty.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

import pytest

from tests.hostile.conftest import (
    ANSWERING_OPERATOR,
    DIRECTORY_CALLERS,
    OPERATOR_CONTEXT,
    HostileLab,
    executed_contexts,
    executed_lines,
    hotline_contexts,
    reachable_contexts,
)
from tests.hostile.sip import LOOPBACK
from tests.hostile.torture import (
    ALL,
    LONG_DIGIT_CALLER,
    SDP,
    Kind,
    Torture,
    billion_laughs,
    hotline_invite,
    render,
)
from tests.telephony.conftest import CallLab

pytestmark = pytest.mark.telephony

_CALL_ID_RE = re.compile(r"siaga: [a-z]+ call (siaga-[0-9]+\.[0-9]+) from")
PING_TIMEOUT_S = 3.0
# The billion-laughs document must not cost Asterisk more than a moment (libxml2 refuses the expansion).
SLOW_REPLY_S = 2.0


def test_reachable_contexts_follow_the_dialplan() -> None:
    """The allowed set is computed from dialplans/siaga.conf; the operators' context must not be in it."""
    contexts = hotline_contexts()
    assert {"siaga-inbound", "siaga-route", "siaga-dispatcher", "siaga-hangup"} <= contexts
    assert OPERATOR_CONTEXT not in contexts
    sample = "[a]\nexten => s,1,Goto(b,s,1)\n[b]\nexten => s,1,Dial(X,1,b(siaga-x^s^1))\n[siaga-x]\n[c]\n"
    assert reachable_contexts(sample.replace("Goto(b", "Goto(siaga-b").replace("[b]", "[siaga-b]"), "a") == {
        "a",
        "siaga-b",
        "siaga-x",
    }


def test_billion_laughs_document_is_what_it_claims() -> None:
    """The attack body really is UTF-16 with a DOCTYPE whose entities nest ten levels deep."""
    body = billion_laughs().encode("utf-16")
    assert body[:2] in (b"\xff\xfe", b"\xfe\xff")
    text = body.decode("utf-16")
    assert "<!DOCTYPE presence [" in text and text.count("<!ENTITY") == 10 and "&lol9;" in text


_IPV4 = re.compile(r"(?<![0-9.])([0-9]{1,3}(?:\.[0-9]{1,3}){3})(?![0-9.])")
_ADDRESS_HEADER = re.compile(r"^(?:via|v|contact|m|route|record-route|to|t|from|f)\s*:", re.IGNORECASE)
_URI_HOST = re.compile(r"sips?:(?:[^@\s>\"]*@)?([A-Za-z0-9.-]+)")
_VIA_HOST = re.compile(r"SIP\s*/\s*2\.0\s*/\s*[A-Za-z]+\s+([A-Za-z0-9.-]+)")


@pytest.mark.parametrize("torture", [*ALL, hotline_invite("x", body=SDP)], ids=lambda t: t.name)
def test_every_message_names_only_loopback_addresses(torture: Torture) -> None:
    """The guard on the suite itself: no address Asterisk could answer, resolve or send media to is
    outside 127.0.0.0/8, and the top Via is the test's own socket (so no reply goes to port 5060)."""
    message = render(torture, host=LOOPBACK, port=5999, lport=6000)
    assert all(ip.startswith("127.") for ip in _IPV4.findall(message.decode("latin-1")))
    head = message.split(b"\r\n\r\n", 1)[0].decode("utf-8", errors="replace")
    lines: list[str] = []
    for line in head.split("\r\n"):  # unfold continuation lines (LWS) into their header
        if line[:1] in (" ", "\t") and lines:
            lines[-1] += " " + line.strip()
        else:
            lines.append(line)
    checked = [lines[0], *(line for line in lines[1:] if _ADDRESS_HEADER.match(line))]
    hosts = [h for line in checked for h in _URI_HOST.findall(line) + _VIA_HOST.findall(line)]
    assert all(re.fullmatch(r"127\.[0-9]+\.[0-9]+\.[0-9]+", h) for h in hosts), hosts
    vias = [line for line in lines if re.match(r"^(?:via|v)\s*:", line, re.IGNORECASE)]
    if torture.kind is not Kind.RESPONSE and vias:
        assert "127.0.0.1:6000;rport" in vias[0].replace(" ", ""), vias[0]


@dataclass(frozen=True)
class Sent:
    """One hostile message's fate: what Asterisk answered, and whether it still answered a ping after."""

    replies: str
    answered: bool
    alive: bool
    ping: int | None
    ping_s: float


@pytest.fixture(scope="module")
def tortured(torture_lab: HostileLab) -> dict[str, Sent]:
    """Every message of ALL sent once, in order, each followed by an OPTIONS ping; what happened to each.

    Sent in a fixture (not one test each) so every test below sees the whole barrage, whatever `-k`
    selects. Bounded: one datagram per message, at most ~12 s for a call's final reply, 3 s per ping.
    """
    lab = torture_lab
    results: dict[str, Sent] = {}
    for torture in ALL:
        with lab.target.socket() as sock:
            message = render(torture, host=LOOPBACK, port=lab.settings.sip_port, lport=sock.getsockname()[1])
            result = lab.target.exchange(message, sock)
        started = time.monotonic()
        ping = lab.target.options(PING_TIMEOUT_S)
        results[torture.name] = Sent(
            result.summary(),
            result.answered,
            lab.asterisk_alive(),
            ping.status if ping else None,
            time.monotonic() - started,
        )
    lab.work_dir.mkdir(parents=True, exist_ok=True)
    table = "\n".join(
        f"{name:36s} {sent.replies}{' (answered, hung up)' if sent.answered else ''}"
        for name, sent in results.items()
    )
    (lab.work_dir / "outcomes.txt").write_text(table + "\n", encoding="utf-8")
    return results


@pytest.mark.parametrize("torture", ALL, ids=lambda t: t.name)
def test_asterisk_survives(tortured: dict[str, Sent], torture: Torture) -> None:
    sent = tortured[torture.name]
    assert sent.alive, f"Asterisk died after {torture.name} (replies: {sent.replies})"
    assert sent.ping == 200, f"Asterisk no longer answers OPTIONS after {torture.name} ({sent.replies})"
    assert sent.ping_s < SLOW_REPLY_S, f"OPTIONS took {sent.ping_s:.1f}s after {torture.name}"
    if torture.kind is Kind.RESPONSE:
        assert sent.replies == "no reply", f"a stray response was answered: {sent.replies}"
    if torture.kind is Kind.INVALID:
        assert not sent.answered, f"an invalid request set up a call: {sent.replies}"


def test_no_message_reached_a_context_outside_the_hotline(
    torture_lab: HostileLab, tortured: dict[str, Sent]
) -> None:
    lines = torture_lab.log_lines()
    ran = executed_contexts(lines)
    outside = set(ran) - hotline_contexts()
    assert not outside, f"contexts outside the hotline ran: {outside}: {executed_lines(lines, min(outside))}"
    assert not executed_lines(lines, OPERATOR_CONTEXT)
    # The check means something only if the hostile INVITEs did run the hotline dialplan.
    assert ran["siaga-inbound"] >= 5 and ran["siaga-route"] > 0 and ran["siaga-hangup"] > 0, ran


def hotline_call_ids(lines: list[str]) -> set[str]:
    """Asterisk's UNIQUEIDs of the calls that ran the hotline dialplan (its NoOp lines name them)."""
    return set(_CALL_ID_RE.findall("\n".join(executed_lines(lines, "siaga-route"))))


def test_every_hostile_call_that_ran_the_hotline_has_a_finished_record(
    torture_lab: HostileLab, tortured: dict[str, Sent]
) -> None:
    """A call record is the audit trail of a hotline call: a hostile caller must not be able to erase it."""
    lab = CallLab(torture_lab.settings, torture_lab.stack, torture_lab.work_dir / "calls")
    calls = hotline_call_ids(torture_lab.log_lines())
    assert len(calls) >= 10, calls
    deadline = time.monotonic() + 10
    while True:
        finished = {r.call_id for r in lab.records() if r.ended}
        if calls <= finished or time.monotonic() > deadline:
            break
        time.sleep(0.3)
    assert not calls - finished, f"calls without a finished record: {sorted(calls - finished)}"


def test_no_operator_was_marked_away(torture_lab: HostileLab, tortured: dict[str, Sent]) -> None:
    """`*46` sets Custom:siaga-away-<endpoint>; no hostile message may have set one."""
    states = torture_lab.stack.asterisk.cli("devstate list")
    assert "siaga-away" not in states, states


def test_asterisk_and_engine_still_up(torture_lab: HostileLab, tortured: dict[str, Sent]) -> None:
    uptime = torture_lab.stack.asterisk.cli("core show uptime")
    assert "System uptime:" in uptime, uptime
    engine = torture_lab.stack.engine.process
    assert engine is not None and engine.poll() is None, "the engine died"
    assert len(tortured) == len(ALL)


def test_a_normal_call_still_routes_to_the_operator_on_duty(
    torture_lab: HostileLab, tortured: dict[str, Sent]
) -> None:
    lab = CallLab(torture_lab.settings, torture_lab.stack, torture_lab.work_dir / "calls")
    lab.given_on_duty(ANSWERING_OPERATOR)
    answered, sipp_exit = lab.call_from(DIRECTORY_CALLERS[0])
    assert answered == [ANSWERING_OPERATOR], answered
    assert sipp_exit == 0
    record = lab.record(DIRECTORY_CALLERS[0])
    assert (record.location_source, record.answered_by) == ("directory", ANSWERING_OPERATOR)


def test_a_caller_number_of_33_digits_still_gets_a_finished_record(
    torture_lab: HostileLab, tortured: dict[str, Sent]
) -> None:
    lab = CallLab(torture_lab.settings, torture_lab.stack, torture_lab.work_dir / "calls")
    invite = hotline_invite("long-digit-caller", body=SDP, caller=LONG_DIGIT_CALLER)
    with torture_lab.target.socket() as sock:
        message = render(
            invite, host=LOOPBACK, port=torture_lab.settings.sip_port, lport=sock.getsockname()[1]
        )
        result = torture_lab.target.exchange(message, sock)
    assert result.final is not None, result.summary()
    deadline = time.monotonic() + 5
    calls: set[str] = set()
    while not calls and time.monotonic() < deadline:
        calls = {
            call
            for line in executed_lines(torture_lab.log_lines(), "siaga-route")
            if f"from {LONG_DIGIT_CALLER}" in line
            for call in _CALL_ID_RE.findall(line)
        }
        time.sleep(0.2)
    assert len(calls) == 1, calls
    deadline = time.monotonic() + 3  # a good record is finished well within a second
    while time.monotonic() < deadline:
        if any(r.call_id in calls and r.ended for r in lab.records()):
            return
        time.sleep(0.3)
    pytest.fail(f"call {calls} has no finished record (see the engine log: outcome report refused)")
