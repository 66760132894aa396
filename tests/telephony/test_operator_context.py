"""What an operator's phone may dial by name (`siaga-operators`), on the real Asterisk with real pjsua2
phones: another operator, and nothing else. The name is the request URI's user part, the caller's own
text, so it must not smuggle a second Dial target (`&`), Dial options (`,`) or a SIP URI (`/`) in, nor
name an endpoint that is no operator's (the carriers' trunk, `anonymous`, a transport)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest

from shifts.sipsecrets import endpoint_passwords
from softphone.bots import read_events
from softphone.events import Event
from softphone.phone import Softphone
from tests.telephony.conftest import NEAREST, THIRD, CallLab

pytestmark = pytest.mark.telephony

OPERATOR = f"{NEAREST}-op2"  # not one of the lab's bots: this module's own softphone
COLLEAGUE = f"{THIRD}-op1"  # a lab bot that answers
CONTEXT = "@siaga-operators:"
# dial(name) → how our operator's call ended, the lab bots it rang, the Dial lines Asterisk ran for it.
Dialler = Callable[[str], tuple[Event, list[str], list[str]]]


@pytest.fixture(scope="module")
def operator(lab: CallLab) -> Iterator[tuple[Softphone, list[Event]]]:
    events: list[Event] = []
    with Softphone(on_event=events.append) as phone:
        secret = endpoint_passwords(lab.settings, [OPERATOR])[OPERATOR]  # its own, made at start
        phone.add_operator(OPERATOR, secret, f"127.0.0.1:{lab.settings.sip_port}")
        assert phone.wait_registered(10)
        yield phone, events


def _log(lab: CallLab) -> list[str]:
    path = lab.settings.run_dir / "asterisk" / "log" / "messages.log"
    return path.read_text(encoding="utf-8", errors="replace").splitlines()


@pytest.fixture
def dial(lab: CallLab, operator: tuple[Softphone, list[Event]]) -> Dialler:
    """Our operator calls a name and hangs up once answered; see `Dialler`."""
    phone, events = operator

    def run(name: str) -> tuple[Event, list[str], list[str]]:
        before, bots_before, log_before = len(events), len(read_events(lab.stack.bots_dir)), len(_log(lab))
        phone.dial(OPERATOR, name)
        deadline = time.monotonic() + 20
        while not (ended := [e for e in events[before:] if e["event"] == "disconnected"]):
            assert time.monotonic() < deadline, f"the call to {name!r} did not end: {events[before:]}"
            if any(e["event"] == "answered" for e in events[before:]):
                phone.hangup_all()
            time.sleep(0.1)
        time.sleep(0.5)  # the bots' event files and Asterisk's log catch up
        rang = [
            e["account"]
            for e in read_events(lab.stack.bots_dir)[bots_before:]
            if e["event"] == "incoming" and e.get("caller") == OPERATOR
        ]
        dials = [line for line in _log(lab)[log_before:] if CONTEXT in line and "] Dial(" in line]
        return ended[0], rang, dials

    return run


def test_an_operator_still_calls_a_colleague_by_name(dial: Dialler) -> None:
    ended, rang, dials = dial(COLLEAGUE)
    assert rang == [COLLEAGUE]
    assert ended["answered"] is True
    assert len(dials) == 1 and f'"PJSIP/{COLLEAGUE},30"' in dials[0], dials


@pytest.mark.parametrize(
    "name",
    [
        f"nobody&PJSIP/{COLLEAGUE}",  # a second target: the colleague would ring
        f"{COLLEAGUE},5,U(siaga-hangup)",  # Dial options: a timeout and a subroutine of our choosing
        # A SIP URI after the endpoint (escaped: ':' and '@' end a URI's user part): Dial would send an
        # INVITE to any address through that endpoint. Port 9 on loopback: nothing listens.
        f"{COLLEAGUE}%2Fsip%3A127.0.0.1%3A9",
    ],
)
def test_nothing_rides_along_with_the_name(dial: Dialler, name: str) -> None:
    ended, rang, dials = dial(name)
    assert rang == [], f"{name!r} rang {rang}"
    assert dials == [], f"{name!r} reached Dial: {dials}"
    assert (ended["answered"], ended["status_code"]) == (False, 404)


@pytest.mark.parametrize("name", ["caller-trunk", "anonymous", "transport-udp", "operator-endpoint"])
def test_reserved_names_are_never_dialled(dial: Dialler, name: str) -> None:
    ended, _, dials = dial(name)
    assert dials == [], f"{name!r} reached Dial: {dials}"
    assert (ended["answered"], ended["status_code"]) == (False, 404)
