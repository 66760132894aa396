"""`siaga up --bots`, a real call through what it started, `siaga status`, `siaga down`, as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kernel.settings import SAMPLE_REGION
from lab.sipp import free_udp_port, place_calls
from softphone.bots import answered_by, read_events
from tests.telephony.conftest import free_tcp_port

pytestmark = pytest.mark.telephony


def _siaga(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "siaga.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_up_call_status_down(tmp_path: Path) -> None:
    sip_port = free_udp_port()
    env = dict(
        os.environ,
        SIAGA_DATA_DIR=str(tmp_path),
        SIAGA_SIP_PORT=str(sip_port),
        SIAGA_AGI_PORT=str(free_tcp_port()),
    )
    assert _siaga(env, "sample", "load").returncode == 0
    # One bot per phone of the sample: its puskesmas and desk staff, its ambulance crews, its units' phones.
    endpoints = sum(
        len((SAMPLE_REGION / name).read_text(encoding="utf-8").splitlines()) - 1
        for name in ("staff.csv", "crews.csv", "units.csv")
    )
    started = _siaga(env, "up", "--bots")
    try:
        assert started.returncode == 0, started.stderr
        assert f"{endpoints} answering softphones" in started.stdout
        status = _siaga(env, "status")
        assert status.returncode == 0
        assert f"{endpoints} softphone(s) registered" in status.stdout
        assert "listening" in status.stdout
        again = _siaga(env, "up")
        assert again.returncode == 1 and "already up" in again.stderr

        # The sample's Gayamsari caller reaches the Gayamsari puskesmas through what `up` started.
        place_calls([("0248000105", "119")], tmp_path / "sipp", sip_port=sip_port)
        time.sleep(0.5)
        answered = answered_by(read_events(tmp_path / "run" / "bots"), "0248000105")
        assert len(answered) == 1 and answered[0].startswith("pkm-gayamsari-op")
    finally:
        stopped = _siaga(env, "down")
    assert stopped.returncode == 0 and "engine" in stopped.stdout and "Asterisk" in stopped.stdout
    after = _siaga(env, "status")
    assert after.returncode == 1 and "not running" in after.stdout
