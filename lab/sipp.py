"""Placing test calls with SIPp: write the injection file, run a scenario from sipp/, keep its output."""

from __future__ import annotations

import logging
import shutil
import socket
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from kernel.settings import REPO_ROOT

log = logging.getLogger("siaga.sipp")

SCENARIOS = REPO_ROOT / "sipp"


@dataclass(frozen=True)
class SippRun:
    returncode: int
    out_dir: Path
    stdout: str


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _field(value: str) -> str:
    if any(c in value for c in ";\r\n"):
        raise ValueError(f"SIPp injection field {value!r} may not hold ';' or a line break")
    return value


def place_calls(
    calls: Sequence[tuple[str, ...]],
    out_dir: Path,
    *,
    sip_port: int = 5060,
    scenario: str = "uac_caller.xml",
    concurrent: int = 1,
    timeout_s: int = 300,
    rate: float = 10,
) -> SippRun:
    """Place (caller, dialled, …) calls in order; SIPp's exit code is non-zero when any call failed.

    Fields after the first two are whatever the scenario reads as [field2], [field3], … (a location, a
    header value, digits to type).

    A call that Asterisk answers counts as a SIPp success even when it reached the wrong phone: who
    answered is for the caller of this function to check.
    """
    sipp = shutil.which("sipp")
    if sipp is None:
        raise RuntimeError("sipp is not installed; run scripts/setup.sh (Debian package sip-tester)")
    out_dir = out_dir.resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    inf = out_dir / "calls.csv"
    lines = "".join(";".join(_field(f) for f in call) + "\n" for call in calls)
    inf.write_text("SEQUENTIAL\n" + lines, encoding="ascii")
    argv = [
        sipp,
        "-sf",
        str(SCENARIOS / scenario),
        "-inf",
        str(inf),
        "-m",
        str(len(calls)),
        "-l",
        str(concurrent),
        "-r",
        f"{rate:g}",
        "-nostdin",
        "-i",
        "127.0.0.1",
        "-p",
        str(free_udp_port()),
        "-timeout",
        f"{timeout_s}s",
        "-timeout_error",
        "-trace_err",
        "-trace_stat",
        "-trace_screen",
        f"127.0.0.1:{sip_port}",
    ]
    log.info("sipp: %d call(s) with %s", len(calls), scenario)
    done = subprocess.run(
        argv, cwd=out_dir, capture_output=True, text=True, timeout=timeout_s + 30, check=False
    )
    (out_dir / "sipp.stdout").write_text(done.stdout + done.stderr, encoding="utf-8")
    return SippRun(done.returncode, out_dir, done.stdout + done.stderr)
