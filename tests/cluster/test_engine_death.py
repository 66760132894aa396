"""An engine that dies with a call in flight on its node (issue 13): the one call the cluster benchmark lost.

`bench/cluster_failover.py` printed `failed=1` for the engine-kill run, twice, for the call placed 0.2 s
before the SIGKILL. That call was routed by the killed engine and answered as planned; what failed was its
record. The plan sat in the dead engine's spool (its writer moves spools every 0.2 s), the caller's hangup
report went to the other engine (dialplans/siaga.conf, siaga-hangup `other`), and with no plan in the
database the report could not say which facility the answering phone belongs to: the record read "not
answered" until the killed engine came back and its writer moved the plan in, after the benchmark had
judged it. Now the record names the facility from the phone's owner (routing/records/store.py), and the
judge (`ClusterLab.judge`) waits for the plan as well, because only the plan shows that the call moved on
from a busy phone (the benchmark's call was answered at the second facility for that reason).

These tests replay that on the real chain, deterministically and in seconds: the record writers are paused
(SIGSTOP) so the plan is only in the spool, the node's engine is killed while the phone rings, and the
record must still name the answering facility before that engine is started again. The other tests cover
an engine that dies in the middle of the `route` conversation (a FastAGI double that closes the socket at
a chosen point): the other engine must plan the call.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from lab.cluster import ClusterLab
from lab.loadcalls import LoadCall
from lab.loadlab import now_utc
from lab.processes import alive, wait_for_port
from lab.sipp import SippRun
from routing.records.model import CallRecord
from siaga.serve import helpers_dir
from tests.cluster.conftest import Rig
from tests.cluster.test_failover import explain, fresh_calls

DEADLINE_S = 30.0  # any wait below; on a quiet machine each ends in well under a second or two


def writer_pid(lab: ClusterLab, index: int) -> int:
    pid = int((helpers_dir(lab.nodes[index].settings) / "call-record-writer.pid").read_text().strip())
    assert alive(pid), f"node {index + 1}'s record writer is not running"
    return pid


def wait_for(what: str, check: Callable[[], object], timeout_s: float = DEADLINE_S) -> object:
    deadline = time.monotonic() + timeout_s
    while True:
        found = check()
        if found is not None and found is not False and found != []:
            return found
        if time.monotonic() > deadline:
            raise TimeoutError(f"no {what} after {timeout_s:g} s")
        time.sleep(0.05)


def routed_on(lab: ClusterLab, caller: str) -> int | None:
    """The node whose engine wrote a plan for `caller` in its decision log (None: not yet)."""
    for index, node in enumerate(lab.nodes):
        path = node.settings.decision_log
        with contextlib.suppress(FileNotFoundError):
            if f'"{caller}"' in path.read_text(encoding="utf-8"):
                return index
    return None


def place_in_background(
    lab: ClusterLab, calls: list[LoadCall]
) -> tuple[threading.Thread, dict[str, SippRun]]:
    box: dict[str, SippRun] = {}
    runner = threading.Thread(target=lambda: box.setdefault("run", lab.place(calls, 1.0)), daemon=True)
    runner.start()
    return runner, box


def finished_record(lab: ClusterLab, caller: str, since: object) -> CallRecord | None:
    rows = [r for r in lab.records([caller], since) if r.ended_at is not None]  # type: ignore[arg-type]
    return rows[0] if rows else None


@pytest.fixture
def writers_paused(rig: Rig) -> Iterator[list[int]]:
    """Both record writers stopped, so a plan stays in its engine's spool; let go (or gone) afterwards."""
    pids = [writer_pid(rig.lab, i) for i in range(len(rig.lab.nodes))]
    for pid in pids:
        os.kill(pid, signal.SIGSTOP)
    try:
        yield pids
    finally:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)


def test_a_call_whose_engine_dies_before_its_plan_is_written_is_recorded_where_it_was_answered(
    rig: Rig, writers_paused: list[int]
) -> None:
    lab = rig.lab
    since = now_utc()
    calls = fresh_calls(rig, 1)
    caller = calls[0].caller
    runner, box = place_in_background(lab, calls)
    # The phone rings 1 s and the caller holds 1.5 s: the engine dies well before the hangup report.
    node = wait_for("plan for the call", lambda: routed_on(lab, caller), timeout_s=DEADLINE_S)
    assert isinstance(node, int)
    other = 1 - node
    lab.kill_engine(node)  # its paused writer goes with it: the plan is only in the dead engine's spool
    os.kill(writers_paused[other], signal.SIGCONT)
    try:
        runner.join(timeout=120)
        assert "run" in box, "SIPp did not finish"
        record = wait_for("finished record", lambda: finished_record(lab, caller, since))
        assert isinstance(record, CallRecord)
        assert record.call_id.startswith(f"{lab.nodes[node].place.system_name}-")
        assert record.plan_json == ""  # the plan is still in the dead engine's spool ...
        # ... and the record already says who answered and where: the report names the phone, and a
        # phone belongs to one facility.
        assert record.answered_facility == calls[0].expected_facility, (record.answered_by, record.outcome)
        assert record.outcome == "answered"
    finally:
        lab.restart_engine(node)
    # Back again, the engine's writer moves the spooled plan in: still one record, now with its plan.
    planned = wait_for(
        "the spooled plan",
        lambda: [r for r in lab.records([caller], since) if r.plan_json],
    )
    assert isinstance(planned, list) and len(planned) == 1
    assert planned[0].answered_facility == calls[0].expected_facility
    result = lab.judge(calls, box["run"], since)
    assert result.failed == 0, explain(result)
    assert (result.records_lost, result.records_duplicated) == (0, 0)


# -- an engine dying in the middle of `route` -----------------------------------------------------------


class DyingEngine:
    """A FastAGI server on a node's engine address that takes a call's `route` conversation as far as
    `steps` commands (each sent and its reply read), then closes the socket: what Asterisk sees when an
    engine is SIGKILLed at that point. `steps` are AGI command lines."""

    def __init__(self, host: str, port: int, steps: list[str]) -> None:
        self.steps = steps
        self.sessions: list[dict[str, str]] = []
        self.replies: list[str] = []
        self._sock = socket.create_server((host, port), reuse_port=False)
        self._sock.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> DyingEngine:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                with contextlib.suppress(OSError, TimeoutError):
                    self._session(conn.makefile("rwb", buffering=0))

    def _session(self, stream: object) -> None:
        reader = stream  # a socket file: readline / write
        env: dict[str, str] = {}
        while True:
            line = reader.readline()  # type: ignore[attr-defined]
            if not line or line in (b"\n", b"\r\n"):
                break
            key, _, value = line.decode("utf-8", "replace").rstrip("\n").partition(": ")
            env[key] = value
        self.sessions.append(env)
        for command in self.steps:
            reader.write(command.encode("utf-8") + b"\n")  # type: ignore[attr-defined]
            self.replies.append(reader.readline().decode("utf-8", "replace").strip())  # type: ignore[attr-defined]
        # and now the engine is gone: the socket closes with no ROUTE_STATUS ever written


# What an engine killed at each point of `route` has told Asterisk: nothing (killed as the call came in),
# one fact read, and part of a plan but not its ROUTE_STATUS sentinel (a plan of more than one MSet).
DEATHS = {
    "after_the_environment": [],
    "after_reading_a_fact": ["GET FULL VARIABLE ${CALLERID(num)}"],
    "after_a_partial_plan": [
        "GET FULL VARIABLE ${CALLERID(num)}",
        'EXEC MSet "ROUTE_COUNT=1,ROUTE_1=PJSIP/nobody,ROUTE_TIMEOUT_1=1"',
    ],
}


@pytest.fixture
def node_engine_replaced(rig: Rig) -> Iterator[int]:
    """Node 1's engine stopped for the test (its address free for a double), started again after."""
    lab = rig.lab
    lab.labs[0].engine.stop()
    lab.labs[0].engine.process = None
    try:
        yield 0
    finally:
        lab.restart_engine(0)
        wait_for_port(lab.nodes[0].settings.agi_host, lab.nodes[0].settings.agi_port, DEADLINE_S)


def test_an_engine_dying_mid_route_leaves_the_call_to_the_other_engine(
    rig: Rig, node_engine_replaced: int
) -> None:
    lab = rig.lab
    node = lab.nodes[node_engine_replaced]
    other = lab.nodes[1 - node_engine_replaced]
    for death, steps in DEATHS.items():
        since = now_utc()
        # Kamailio alternates its nodes: of two calls in a row, one lands on the node with the dying engine.
        calls = fresh_calls(rig, 2)
        with DyingEngine(node.settings.agi_host, node.settings.agi_port, steps) as engine:
            run = lab.place(calls, 2.0)
        assert engine.sessions, f"{death}: no call reached the dying engine"
        assert all(r.startswith("200 ") for r in engine.replies), (death, engine.replies)
        result = lab.judge(calls, run, since)
        assert result.failed == 0, f"{death}: {explain(result)}"
        assert (result.records_lost, result.records_duplicated) == (0, 0), death
        rows = lab.records([c.caller for c in calls], since)
        on_node = [r for r in rows if r.call_id.startswith(f"{node.place.system_name}-")]
        assert on_node, f"{death}: no call was taken by {node.name}"
        # Planned by the other node's engine: its decision log has the call, with this node's call id.
        decided = other.settings.decision_log.read_text(encoding="utf-8")
        for row in on_node:
            assert row.route_status == "ok", (death, row.route_status)
            assert json.dumps(row.call_id) in decided, f"{death}: {row.call_id} not planned by {other.name}"
