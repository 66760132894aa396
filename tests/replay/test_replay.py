"""`siaga replay` through real Asterisk: 32 calls covering every location source the list can carry
(PIDF-LO, carrier header, directory, DID, kode pos typed, area code) and every failover case (no answer,
softphone not registered, shift ended, slow answer, consultation pool, 112 to the dispatcher); each row
is checked against its expectation, and a wrong expectation makes the command fail."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest

from siaga.cli import main as siaga_main
from tests.replay.conftest import ReplayLab

pytestmark = pytest.mark.telephony

CALLS = Path(__file__).with_name("calls.csv")


def _replay(lab: ReplayLab, calls: Path, out: Path, *extra: str) -> tuple[int, str]:
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        status = siaga_main(
            [
                "replay",
                str(calls),
                "--data-dir",
                str(lab.settings.data_dir),
                "--sip-port",
                str(lab.settings.sip_port),
                "--out",
                str(out),
                *extra,
            ]
        )
    return status, stdout.getvalue()


def test_thirty_two_calls_each_end_where_expected(replay_lab: ReplayLab, tmp_path: Path) -> None:
    status, report = _replay(replay_lab, CALLS, tmp_path / "run")
    assert report.strip().splitlines()[-1] == "replay calls=32 as_expected=32 answered=32 failed=0", report
    assert status == 0
    assert (tmp_path / "run" / "call-0001" / "calls.csv").exists()


def test_a_wrong_expectation_fails_the_replay(replay_lab: ReplayLab, tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.csv"
    wrong.write_text(
        "caller,dialled,lat,lon,expected_facility\n"
        "081200000201,119,-6.99510,110.44960,pkm-gayamsari\n"
        "081200000202,119,-6.99510,110.44960,pkm-mijen\n",
        encoding="utf-8",
    )
    status, report = _replay(replay_lab, wrong, tmp_path / "run", "--rate", "2", "--limit", "1")
    assert status == 1
    assert report.strip().splitlines()[-1] == "replay calls=2 as_expected=1 answered=2 failed=0"
    assert "MISMATCH" in report
