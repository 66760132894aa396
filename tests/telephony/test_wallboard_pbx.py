"""The wallboard's view of the PBX, on a real Asterisk: the console's provider (`siaga.console.
asterisk_status`, through the manager interface with the rights manager.conf gives it) sees a caller
waiting in a desk's queue, a phone on a call, an idle phone and an operator away after *46.

A small Asterisk of its own (our config templates, one desk queue, two phones; ~3 s), not the full lab:
the engine and the bots add nothing to what is checked here."""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ami.login import manager_secret
from kernel.settings import Settings
from lab.asterisk import Asterisk, AsteriskConfig, OperatorAccount, render_config
from lab.sipp import free_udp_port
from siaga.console import asterisk_status
from softphone.events import Event
from softphone.phone import Softphone
from tests.telephony.conftest import free_tcp_port
from web.wallboard.services import PbxStatus

pytestmark = pytest.mark.telephony

ROOT = Path(os.environ.get("SIAGA_ASTERISK_ROOT", "/var/cache/siaga/asterisk-root"))
DESK = "wb-desk"
CALLER, IDLE = "pkm-wb-op1", "pkm-wb-op2"
PASSWORD = "wallboard-test-secret"
# The caller dials `wbwait` and waits in the desk's queue, which has no members (joinempty = yes).
OVERLAY = f"""[siaga-operators](+)
exten => wbwait,1,Queue({DESK})
 same => n,Hangup()
"""


@dataclasses.dataclass
class MiniPbx:
    settings: Settings
    server: str


@pytest.fixture(scope="module")
def pbx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MiniPbx]:
    if not (ROOT / "usr/sbin/asterisk").exists():
        pytest.fail(f"Asterisk root missing at {ROOT}: run scripts/install-asterisk.sh", pytrace=False)
    data_dir = tmp_path_factory.mktemp("wallboard-pbx")
    settings = dataclasses.replace(Settings(), data_dir=data_dir, ami_port=free_tcp_port())
    sip_port = free_udp_port()
    config = AsteriskConfig(
        sip_bind=f"127.0.0.1:{sip_port}",
        ami_port=settings.ami_port,
        ami_secret=manager_secret(settings),  # the secret the console's provider logs in with
        desks=(DESK,),
    )
    run_dir = data_dir / "asterisk-run"
    render_config(
        run_dir, config, [OperatorAccount(CALLER, PASSWORD), OperatorAccount(IDLE, PASSWORD)], OVERLAY
    )
    asterisk = Asterisk(ROOT, run_dir)
    asterisk.start()
    try:
        yield MiniPbx(settings, f"127.0.0.1:{sip_port}")
    finally:
        asterisk.stop()


def _status_until(settings: Settings, done: object, timeout_s: float = 10.0) -> PbxStatus:
    ask = asterisk_status(settings)
    deadline = time.monotonic() + timeout_s
    while True:
        status = ask()
        assert status is not None, "the manager interface did not answer"
        if done(status) or time.monotonic() > deadline:  # type: ignore[operator]
            return status
        time.sleep(0.2)


def test_the_console_sees_queues_phones_and_away(pbx: MiniPbx) -> None:
    events: list[Event] = []
    with Softphone(on_event=events.append) as phone:
        phone.add_operator(CALLER, PASSWORD, pbx.server, auto_answer=False)
        phone.add_operator(IDLE, PASSWORD, pbx.server, auto_answer=False)
        assert phone.wait_registered(10), phone.registrations()

        idle = _status_until(pbx.settings, lambda s: s.devices.get(IDLE) == "NOT_INUSE")
        assert idle.devices.get(IDLE) == "NOT_INUSE" and idle.queues.get(DESK) == []
        assert IDLE not in idle.away

        phone.dial(IDLE, "*46")  # away
        phone.dial(CALLER, "wbwait")
        waiting = _status_until(
            pbx.settings, lambda s: IDLE in s.away and len(s.queues.get(DESK, [])) == 1 and
            s.devices.get(CALLER) == "INUSE",
        )  # fmt: skip
        assert IDLE in waiting.away
        assert len(waiting.queues[DESK]) == 1 and waiting.queues[DESK][0] >= 0
        assert waiting.devices[CALLER] == "INUSE"
        phone.hangup_all()

        phone.dial(IDLE, "*47")  # back
        back = _status_until(pbx.settings, lambda s: IDLE not in s.away and not s.queues.get(DESK))
        assert IDLE not in back.away and back.queues.get(DESK) == []


def test_no_asterisk_is_unknown_not_an_error(tmp_path: Path) -> None:
    settings = dataclasses.replace(Settings(), data_dir=tmp_path, ami_port=free_tcp_port())
    assert asterisk_status(settings)() is None
