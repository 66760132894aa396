"""Several Asterisk nodes behind Kamailio on one machine (issue 13, points 3 and 5).

Each node is the existing single-node stack (`lab.stack.Stack` for `siaga up --nodes N`, `lab.loadlab.LoadLab`
for load and fault runs) with settings of its own: a data directory under <data dir>/nodes/<name>, its own
loopback address for SIP and media (127.0.0.2, 127.0.0.3 …, the SIP port unchanged), its own engine, manager
and RTP ports, a system name that prefixes its call ids, and the other node's engine as `SIAGA_AGI_NEXT`:
when a node's engine is gone, the dialplan asks the next one (dialplans/siaga.conf, `other`), so the call is
still routed, not sent to the fallback desk. Kamailio listens where a single Asterisk would
(127.0.0.1:<sip port>) and spreads callers over the nodes (lab/kamailio.py).

Every node shares one database (`settings.db_url`): the engines already coordinate through it (roster
revision, shared scheduler jobs claimed in `job_run`, call records upserted by call id).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import os
import shutil
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType

from sqlalchemy import select
from sqlalchemy.orm import Session

from kernel.db import make_engine
from kernel.messages import N_, Message
from kernel.settings import Settings
from lab.kamailio import Kamailio, KamailioConfig, render_config
from lab.lifecycle import LifecycleError, bot_behaviours
from lab.loadcalls import LoadCall
from lab.loadlab import CALLER_SCENARIO, LoadLab, sipp_counts
from lab.pbx import NodePlace, phone_endpoints
from lab.processes import alive
from lab.replay import expectation_met
from lab.sipp import SippRun, place_calls
from lab.stack import Stack
from routing.records.model import CallRecord
from shifts.sipsecrets import endpoint_passwords
from softphone.bots import Bot

log = logging.getLogger("siaga.cluster")

MAX_NODES = 8


@dataclass(frozen=True)
class Node:
    name: str  # n1, n2 …: its folder under <data dir>/nodes and (as siagaN) its call ids' prefix
    place: NodePlace
    settings: Settings

    @property
    def sip_address(self) -> str:
        return f"{self.place.sip_host}:{self.settings.sip_port}"

    @property
    def agi_address(self) -> str:
        return f"{self.settings.agi_host}:{self.settings.agi_port}"


def plan_nodes(settings: Settings, count: int) -> list[Node]:
    """The nodes' settings, derived from the cluster's: node i at 127.0.0.(i+2) on the same SIP port, its
    engine and manager on the ports after the cluster's, an equal slice of the RTP range, the cluster's
    database (explicit, so a node's own data directory never holds one)."""
    if not 2 <= count <= MAX_NODES:
        raise LifecycleError(f"--nodes takes 2 to {MAX_NODES} (1 is the single node: leave --nodes out)")
    span = (settings.rtp_end - settings.rtp_start + 1) // count
    if span < 100:
        raise LifecycleError(
            f"the RTP range {settings.rtp_start}-{settings.rtp_end} is too small for {count} nodes"
        )
    db = settings.db_url
    if db.startswith("sqlite:///") and not db.startswith("sqlite:////"):
        db = f"sqlite:///{Path(db.removeprefix('sqlite:///')).resolve()}"
    base = dataclasses.replace(settings, db=db)
    nodes = []
    for i in range(count):
        node_settings = dataclasses.replace(
            base,
            data_dir=(settings.data_dir / "nodes" / f"n{i + 1}").resolve(),
            agi_port=settings.agi_port + 1 + i,
            ami_port=settings.ami_port + 1 + i,
            rtp_start=settings.rtp_start + i * span,
            rtp_end=settings.rtp_start + (i + 1) * span - 1,
        )
        nodes.append(Node(f"n{i + 1}", NodePlace(f"127.0.0.{i + 2}", f"siaga{i + 1}"), node_settings))
    # Each node's dialplan asks the next node's engine when its own refuses (a ring: n1 → n2 → … → n1).
    return [
        dataclasses.replace(
            node, place=dataclasses.replace(node.place, agi_next=nodes[(i + 1) % count].agi_address)
        )
        for i, node in enumerate(nodes)
    ]


def share_secrets(settings: Settings, nodes: Sequence[Node]) -> None:
    """Every node gets the cluster's SIP secrets (made now where missing), so an operator's phone has one
    password whichever node it registers with."""
    endpoint_passwords(settings, phone_endpoints(settings), create=True)
    source = settings.sip_secrets_path
    for node in nodes:
        target = node.settings.sip_secrets_path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)


def kamailio_for(settings: Settings) -> Kamailio:
    return Kamailio(settings.run_dir / "kamailio")


def start_kamailio(settings: Settings, nodes: Sequence[Node], **options: int) -> Kamailio:
    kamailio = kamailio_for(settings)
    render_config(
        kamailio.run_dir,
        KamailioConfig(port=settings.sip_port, nodes=tuple(n.sip_address for n in nodes), **options),
    )
    kamailio.start()
    return kamailio


def kill_group(pid: int | None, timeout_s: float = 10.0) -> bool:
    """SIGKILL a process group we started (a crash, not a stop); True if it was running."""
    if not pid or not alive(pid):
        return False
    with contextlib.suppress(OSError):
        os.killpg(pid, signal.SIGKILL)
    deadline = time.monotonic() + timeout_s
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return True


# -- siaga up --nodes N / down / status ------------------------------------------------------------------


def state_path(settings: Settings) -> Path:
    return settings.run_dir / "cluster.json"


def read_state(settings: Settings) -> dict[str, object] | None:
    try:
        state = json.loads(state_path(settings).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) else None


def up(settings: Settings, *, nodes: int, bots: bool) -> dict[str, object]:
    """Kamailio, N nodes (Asterisk + engine each) and, with `bots`, an answering bot per operator on every
    node (a phone registers with one Asterisk; with two nodes each operator has a bot on each, so a call
    ringing on either node reaches someone). Started in this order, stopped in reverse on any failure."""
    state = read_state(settings)
    if state is not None and alive(int(state.get("kamailio_pid") or 0)):
        raise LifecycleError("the cluster is already up; run `siaga down` first")
    planned = plan_nodes(settings, nodes)
    share_secrets(settings, planned)
    endpoints = phone_endpoints(settings) if bots else []
    behaviours = bot_behaviours(settings) if bots else {}
    stacks: list[Stack] = []
    kamailio = kamailio_for(settings)
    try:
        for node in planned:
            stack = Stack(node.settings, place=node.place)
            stacks.append(stack)
            stack.start([behaviours.get(e, Bot(e)) for e in endpoints], detached=True)
        kamailio = start_kamailio(settings, planned)
        kamailio.wait_nodes([n.sip_address for n in planned], timeout_s=15)
    except BaseException:
        kamailio.stop()
        for stack in reversed(stacks):
            stack.stop()
        raise
    state = {
        "kamailio_pid": kamailio.pid(),
        "address": f"127.0.0.1:{settings.sip_port}",
        "database": settings.db_url if settings.db_url.startswith("sqlite") else "(PostgreSQL, --db)",
        "started_at": time.time(),
        "nodes": [
            {
                "name": node.name,
                "sip": node.sip_address,
                "agi": node.agi_address,
                "data_dir": str(node.settings.data_dir),
                "asterisk_pid": stack.asterisk.pid(),
                "engine_pid": stack.engine.process.pid if stack.engine.process else None,
                "bot_pids": [p.pid for p in stack.bots.processes] if stack.bots else [],
            }
            for node, stack in zip(planned, stacks, strict=True)
        ],
    }
    settings.run_dir.mkdir(parents=True, exist_ok=True)
    state_path(settings).write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
    return state


def _terminate(pid: int | None, timeout_s: float = 10.0) -> bool:
    if not pid or not alive(pid):
        return False
    with contextlib.suppress(OSError):
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    kill_group(pid)
    return True


def down(settings: Settings) -> list[str]:
    """Stop what `up` started (bots, engines, Asterisk nodes, Kamailio); what was stopped, by name."""
    state = read_state(settings)
    if state is None:
        return []
    stopped: list[str] = []
    kamailio = kamailio_for(settings)
    if kamailio.pid() is not None:
        stopped.append(Message("Kamailio (pid {pid})", pid=kamailio.pid()))
        kamailio.stop()
    for entry in state.get("nodes", []):  # type: ignore[union-attr]
        name = entry["name"]
        bots = [p for p in entry.get("bot_pids", []) if _terminate(p)]
        if bots:
            stopped.append(Message("{node}: {count} bot process(es)", node=name, count=len(bots)))
        if _terminate(entry.get("engine_pid")):
            stopped.append(Message("{node}: engine (pid {pid})", node=name, pid=entry["engine_pid"]))
        node_settings = dataclasses.replace(settings, data_dir=Path(entry["data_dir"]))
        asterisk = Stack(node_settings).asterisk
        if asterisk.pid() is not None:
            stopped.append(Message("{node}: Asterisk (pid {pid})", node=name, pid=asterisk.pid()))
            asterisk.stop()
    state_path(settings).unlink(missing_ok=True)
    return stopped


def status(settings: Settings) -> dict[str, object]:
    """Each part on a line: Kamailio and which nodes it has up, then every node's Asterisk and engine."""
    state = read_state(settings)
    if state is None:
        return {}
    report: dict[str, object] = {}
    kamailio = kamailio_for(settings)
    active: dict[str, str] = {}
    if kamailio.pid() is None:
        report["kamailio"] = Message("not running")
    else:
        try:
            active = {s.uri.removeprefix("sip:"): s.flags for s in kamailio.nodes()}
            up_count = sum(f.startswith("A") for f in active.values())
            report["kamailio"] = Message(
                "running (pid {pid}) on {address}, {up}/{count} node(s) up",
                pid=kamailio.pid(),
                address=state["address"],
                up=up_count,
                count=len(active),
            )
        except RuntimeError as exc:
            report["kamailio"] = Message(
                "pid {pid} but its control socket does not answer: {error}", pid=kamailio.pid(), error=exc
            )
    for entry in state.get("nodes", []):  # type: ignore[union-attr]
        name = entry["name"]
        node_settings = dataclasses.replace(settings, data_dir=Path(entry["data_dir"]))
        asterisk = Stack(node_settings).asterisk
        flags = active.get(entry["sip"], "?")
        where = (
            N_("running (pid {pid}) on {sip}, in Kamailio's set ({flags})")
            if flags.startswith("A")
            else N_("running (pid {pid}) on {sip}, OUT of Kamailio's set ({flags})")
        )
        report[f"{name} asterisk"] = (
            Message(where, pid=asterisk.pid(), sip=entry["sip"], flags=flags)
            if asterisk.pid() is not None
            else Message("not running ({sip})", sip=entry["sip"])
        )
        engine_pid = entry.get("engine_pid")
        report[f"{name} engine"] = (
            Message("running (pid {pid}) on {agi}", pid=engine_pid, agi=entry["agi"])
            if alive(engine_pid)
            else Message("not running")
        )
        bots = entry.get("bot_pids", [])
        if bots:
            report[f"{name} bots"] = Message(
                "{running}/{count} bot process(es)", running=sum(alive(p) for p in bots), count=len(bots)
            )
    report["database"] = state.get("database", "")
    return report


# -- load and faults -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fault:
    kind: str  # "asterisk", "engine", "postgres"
    node: int  # index of the node it hit (postgres: -1)
    at: datetime  # UTC
    routed_around_s: float


@dataclass
class ClusterResult:
    """One load run across a fault, judged call by call from the records in the shared database."""

    calls: int
    sipp_ok: int
    sipp_failed: int
    answered: int = 0
    failed_callers: list[str] = field(default_factory=list)
    after_fault_failed: list[str] = field(default_factory=list)
    records_lost: int = 0
    records_duplicated: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return len(self.failed_callers)


def _settled(record: CallRecord) -> bool:
    """Finished, and with its plan unless no engine planned the call (route status other than ok)."""
    return record.ended_at is not None and (bool(record.plan_json) or record.route_status != "ok")


class ClusterLab:
    """Kamailio in front of `nodes` load-lab nodes (each a `LoadLab`: Asterisk, engine, a SIPp UAS as every
    phone), one shared database, callers sent to Kamailio. Faults are injected by the methods below."""

    def __init__(self, settings: Settings, nodes: int = 2, **kamailio_options: int) -> None:
        self.settings = settings
        self.nodes = plan_nodes(settings, nodes)
        self.labs = [LoadLab(n.settings, place=n.place) for n in self.nodes]
        self.kamailio = kamailio_for(settings)
        self.kamailio_options = kamailio_options
        self.steps = 0

    def start(self) -> None:
        try:
            share_secrets(self.settings, self.nodes)
            for lab in self.labs:
                lab.start()
            self.kamailio = start_kamailio(self.settings, self.nodes, **self.kamailio_options)
            self.kamailio.wait_nodes([n.sip_address for n in self.nodes], timeout_s=15)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        self.kamailio.stop()
        for lab in self.labs:
            lab.stop()

    def __enter__(self) -> ClusterLab:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- faults ---------------------------------------------------------------------------------------
    def kill_asterisk(self, index: int) -> float:
        """SIGKILL node `index`'s Asterisk; returns the seconds until Kamailio took it out of the set."""
        killed_at = time.monotonic()
        kill_group(self.labs[index].asterisk.pid())
        self.labs[index].asterisk.pid_file.unlink(missing_ok=True)
        up = [n.sip_address for i, n in enumerate(self.nodes) if i != index]
        self.kamailio.wait_nodes(up, timeout_s=30)
        return time.monotonic() - killed_at

    def restart_asterisk(self, index: int, boot_timeout_s: float = 90.0) -> float:
        """Start node `index`'s Asterisk again (its config is as rendered); the seconds from its being
        fully booted until Kamailio has it back in the set. Its boot is not counted: that is Asterisk's
        module loading, which a loaded machine stretches, not Kamailio's probing."""
        self.labs[index].asterisk.start(timeout_s=boot_timeout_s)
        return self.kamailio.wait_nodes([n.sip_address for n in self.nodes], timeout_s=30)

    def kill_engine(self, index: int) -> None:
        """SIGKILL node `index`'s engine: its AGI workers, record writer and helpers, all at once."""
        engine = self.labs[index].engine
        kill_group(engine.process.pid if engine.process else None)
        engine.process = None

    def restart_engine(self, index: int, timeout_s: float = 90.0) -> None:
        """Start node `index`'s engine again; waits until it listens (a deadline, not a delay)."""
        self.labs[index].engine.start(timeout_s=timeout_s)

    # -- calls ----------------------------------------------------------------------------------------
    def place(self, calls: Sequence[LoadCall], rate: float) -> SippRun:
        """Every call to Kamailio at `rate` calls/s, PIDF-LO callers holding 1.5 s after the answer."""
        self.steps += 1
        fields = [(c.caller, c.dialled, f"{c.lat:.6f}", f"{c.lon:.6f}") for c in calls]
        return place_calls(
            fields,
            self.settings.run_dir / "cluster" / f"step-{self.steps:02d}-{rate:g}",
            sip_port=self.settings.sip_port,
            scenario=CALLER_SCENARIO,
            concurrent=max(50, int(rate * 20)),
            rate=rate,
            timeout_s=max(120, int(len(calls) / rate) + 90),
        )

    def place_with_fault(
        self, calls: Sequence[LoadCall], rate: float, fault_after_s: float, fault: Callable[[], None]
    ) -> tuple[SippRun, datetime]:
        """Place the calls while `fault` runs `fault_after_s` seconds into the run; (SIPp's run, when the
        fault struck, UTC). The calls' own thread is bounded by SIPp's timeout."""
        box: dict[str, SippRun] = {}
        runner = threading.Thread(target=lambda: box.setdefault("run", self.place(calls, rate)), daemon=True)
        runner.start()
        time.sleep(fault_after_s)
        struck = datetime.now(UTC)
        fault()
        runner.join(timeout=max(120, len(calls) / rate + 120))
        if "run" not in box:
            raise TimeoutError("SIPp did not finish")
        return box["run"], struck

    def records(self, callers: Sequence[str], since: datetime) -> list[CallRecord]:
        with Session(make_engine(self.settings.db_url)) as session:
            rows = session.scalars(
                select(CallRecord).where(
                    CallRecord.caller.in_(list(callers)), CallRecord.started_at >= since.replace(tzinfo=None)
                )
            ).all()
            session.expunge_all()
        return list(rows)

    def judge(
        self,
        calls: Sequence[LoadCall],
        run: SippRun,
        since: datetime,
        *,
        fault_at: datetime | None = None,
        rate: float = 0.0,
        timeout_s: float = 40,
        settle_s: float = 8,
    ) -> ClusterResult:
        """Every call needs exactly one finished record answered as expected; records are awaited up to
        `timeout_s`, or until none has arrived for `settle_s`. A record is awaited until it has its plan
        too (when the call was routed): a call may move on from a busy phone, which only the plan shows,
        and the plan of a call routed by a killed engine lands only once that engine is back. A call
        counts as placed after the fault when its record's start (or, without a record, its send time at
        `rate` from `since`) is later."""
        ok, failed = sipp_counts(run)
        wanted = {c.caller: c for c in calls}
        deadline = time.monotonic() + timeout_s
        seen, settled = -1, deadline
        while True:
            rows = self.records(list(wanted), since)
            done = len({r.caller for r in rows if _settled(r)})
            if done != seen:  # records still arriving: wait on
                seen, settled = done, time.monotonic() + settle_s
            if done >= len(wanted) or time.monotonic() > min(deadline, settled):
                break
            time.sleep(0.5)
        per_caller: dict[str, list[CallRecord]] = {}
        for row in rows:
            per_caller.setdefault(row.caller or "", []).append(row)
        result = ClusterResult(len(calls), ok, failed)
        counts = Counter({c: len(v) for c, v in per_caller.items()})
        result.records_duplicated = sum(n - 1 for n in counts.values() if n > 1)
        for index, (caller, call) in enumerate(wanted.items()):
            found = per_caller.get(caller, [])
            started = found[0].started_at if found else None
            if started is None and rate > 0:
                started = (since + timedelta(seconds=index / rate)).replace(tzinfo=None)
            after = fault_at is not None and started is not None and started >= fault_at.replace(tzinfo=None)
            problem = ""
            if not found:
                problem = f"{caller}: no call record"
            elif not found[0].answered_facility:
                problem = f"{caller}: {'not answered' if found[0].ended_at else 'record unfinished'}"
            else:
                plan = json.loads(found[0].plan_json) if found[0].plan_json else {}
                result.answered += 1
                if not expectation_met(call.expected_facility, found[0].answered_facility, plan):
                    where = found[0].answered_facility
                    problem = f"{caller}: answered at {where}, expected {call.expected_facility}"
            if problem:
                result.failed_callers.append(caller)
                result.problems.append(problem)
                if after:
                    result.after_fault_failed.append(caller)
        # A call SIPp saw fail but whose record looks fine (the caller was cut off: its node died) is failed.
        result.records_lost = sum(1 for c in wanted if c not in per_caller)
        return result

    def first_routed_after(
        self, callers: Sequence[str], since: datetime, *, node: int | None = None
    ) -> float | None:
        """Seconds from `since` to the start of the first call after it that was answered, optionally only
        calls taken by node `node` (its call ids carry its system name)."""
        prefix = f"{self.nodes[node].place.system_name}-" if node is not None else ""
        starts = [
            r.started_at
            for r in self.records(callers, since)
            if r.answered_facility and r.started_at is not None and r.call_id.startswith(prefix)
        ]
        if not starts:
            return None
        return (min(starts) - since.replace(tzinfo=None)).total_seconds()
