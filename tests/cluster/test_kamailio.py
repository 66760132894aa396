"""Kamailio's own failover, with SIPp as the nodes (no Asterisk: seconds, not minutes): a node that answers
a call with 5xx is passed over for the next one and taken out, and callers that ignore Record-Route
(SIPp's built-in UAC) still reach the node that took their call with their ACK and BYE."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from lab.kamailio import Kamailio, KamailioConfig, render_config
from lab.sipp import free_udp_port

HERE = Path(__file__).parent


def sipp(*args: str, cwd: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        ["sipp", "-nostdin", "-trace_err", *args],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[tuple[int, subprocess.Popen[bytes], subprocess.Popen[bytes]]]:
    port = free_udp_port()
    (tmp_path / "refusing").mkdir()
    (tmp_path / "good").mkdir()
    # The refusing node takes one call (-m 1) and exits: its exit status says it saw the INVITE and ACK.
    refusing = sipp("-sf", str(HERE / "uas_503.xml"), "-i", "127.0.0.2", "-p", str(port), "-m", "1",
                    cwd=tmp_path / "refusing")  # fmt: skip
    good = sipp("-sn", "uas", "-i", "127.0.0.3", "-p", str(port), cwd=tmp_path / "good")
    try:
        yield port, refusing, good
    finally:
        for process in (refusing, good):
            if process.poll() is None:
                process.kill()
            process.wait()


def test_a_node_answering_5xx_is_passed_over_and_taken_out(
    tmp_path: Path, nodes: tuple[int, subprocess.Popen[bytes], subprocess.Popen[bytes]]
) -> None:
    port, refusing, _good = nodes
    # No probing here (interval 0): a node taken out stays out, so every later call shows it.
    run_dir = tmp_path / "kamailio"
    render_config(
        run_dir,
        KamailioConfig(port=port, nodes=(f"127.0.0.2:{port}", f"127.0.0.3:{port}"), ping_interval_s=0),
    )
    kamailio = Kamailio(run_dir)
    kamailio.start()
    try:
        caller = tmp_path / "caller"
        caller.mkdir()
        done = subprocess.run(
            ["sipp", "-nostdin", "-sn", "uac", "-s", "119", "-m", "6", "-r", "3", "-d", "200",
             "-i", "127.0.0.1", "-p", str(free_udp_port()), "-timeout", "30s", "-timeout_error",
             f"127.0.0.1:{port}"],
            cwd=caller, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout[-2000:]  # every call answered, ACKed and ended
        assert refusing.wait(timeout=5) == 0  # the refusing node had one of them first
        states = {n.uri: n.flags for n in kamailio.nodes()}
        assert states[f"sip:127.0.0.2:{port}"].startswith("I")  # taken out after its 503
        assert states[f"sip:127.0.0.3:{port}"].startswith("A")
    finally:
        kamailio.stop()
