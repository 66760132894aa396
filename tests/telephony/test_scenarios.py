"""The scenario library's new parts on the real chain: a caller hanging up while an operator's phone
rings (sipp/uac_hangup_ringing.xml) is recorded as abandoned, with the ringing attempt."""

from __future__ import annotations

import pytest

from lab.sipp import place_calls
from tests.telephony.conftest import SECOND, CallLab

pytestmark = pytest.mark.telephony


def test_caller_hangs_up_while_ringing(lab: CallLab) -> None:
    lab.given_on_duty(f"{SECOND}-op2")  # rings, never answers
    caller = "0247000037"
    run = place_calls(
        [(caller, "119")],
        lab.run_dir / "hangup-ringing",
        sip_port=lab.settings.sip_port,
        scenario="uac_hangup_ringing.xml",
        timeout_s=60,
    )
    assert run.returncode == 0, run.stdout[-2000:]
    assert lab.rang(f"{SECOND}-op2", caller)
    record = lab.record(caller)
    assert record.outcome == "abandoned"
    assert record.attempts[0][:2] == (f"{SECOND}-op2", "caller hung up")
