"""A load lab: the real chain (Asterisk, the engine, SIPp) with one SIPp UAS as every facility's phone.

Used by the surge tests and `bench/asterisk_load.py`. Softphones are left out on purpose: a pjsua2 bot
takes a handful of calls per process, so with bots a load run measures the bots. Every operator endpoint
gets a fixed contact at one SIPp UAS (`sipp/uas_facility.xml`: rings 1 s, answers, waits for the BYE), and
the Request-URI keeps the endpoint's name, so the call record still says who answered.

Two ways in on one Asterisk: the hotline (`119`, siaga's dialplan and engine) and `STATIC_NUMBER`, a
static dialplan that Dials one fixed endpoint at the same UAS: the baseline that shows what routing costs.

Name resolution in the lab goes to `DeadResolver`, a loopback listener that reads every query and never
answers: a call that waited on DNS would show as a slow or failed call.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import logging
import socket
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from sqlalchemy import select
from sqlalchemy.orm import Session

from kernel.db import make_engine
from kernel.settings import Settings
from lab.loadcalls import LoadCall
from lab.pbx import SINGLE_NODE, NodePlace, asterisk_for, start_asterisk
from lab.processes import EngineProcess
from lab.replay import expectation_met
from lab.sipp import SCENARIOS, SippRun, free_udp_port, place_calls
from routing.records.model import CallRecord

log = logging.getLogger("siaga.loadlab")

STATIC_NUMBER = "8119"
STATIC_ENDPOINT = "psc119-dispatch"  # any endpoint of the staff table: its contact is the shared UAS
LAB_CONTEXT = "load-inbound"
CALLER_SCENARIO = "uac_pidf_point.xml"


class DeadResolver:
    """A DNS server on a loopback address that swallows every query: the resolver of a PSC whose uplink
    is gone. Port 53 needs root, which is how the lab runs; `queries` counts what reached it.

    With no address given it takes the first of 127.53.0.1-32 that is free: another lab on this machine
    (a test on another worker, the benchmark) may hold one, and any address that never answers will do."""

    FREE_ADDRESSES = tuple(f"127.53.0.{n}" for n in range(1, 33))

    def __init__(self, address: str | None = None, port: int = 53) -> None:
        self.address = address or self.FREE_ADDRESSES[0]
        self._choose = address is None
        self.port = port
        self.queries = 0
        self._socket: socket.socket | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> DeadResolver:
        self._socket = self._bind()
        self._socket.settimeout(0.2)
        self._thread = threading.Thread(target=self._swallow, name="dead-resolver", daemon=True)
        self._thread.start()
        return self

    def _bind(self) -> socket.socket:
        candidates = self.FREE_ADDRESSES if self._choose else (self.address,)
        refused: OSError | None = None
        for address in candidates:
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                sock.bind((address, self.port))
            except OSError as exc:
                sock.close()
                refused = exc
                continue
            self.address = address
            return sock
        raise OSError(f"no dead resolver on {', '.join(candidates)} port {self.port}: {refused}")

    def _swallow(self) -> None:
        sock = self._socket
        while sock is not None and sock.fileno() >= 0:
            try:
                sock.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            self.queries += 1

    def stop(self) -> None:
        sock, self._socket = self._socket, None
        if sock is not None:
            sock.close()
        if self._thread is not None:
            self._thread.join(timeout=2)

    def __enter__(self) -> DeadResolver:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def lab_dialplan(static_endpoint: str) -> str:
    """The lab's context in front of the hotline's: its own number for the static baseline, then every
    hotline number exactly as production has it (a context's own extensions win over its includes)."""
    return (
        f"[{LAB_CONTEXT}]\n"
        f"exten => {STATIC_NUMBER},1,Dial(PJSIP/{static_endpoint},30)\n"
        " same => n,Hangup()\n"
        "include => siaga-inbound\n"
    )


@dataclass(frozen=True)
class LoadResult:
    """One load step, judged call by call from SIPp's counts and the call records."""

    calls: int
    sipp_ok: int
    sipp_failed: int
    records: int = 0
    answered: int = 0
    as_expected: int = 0
    problems: tuple[str, ...] = ()

    @property
    def failed(self) -> int:
        """Calls that did not end as they should: the larger of SIPp's failures and the record check's."""
        return max(self.sipp_failed, self.calls - self.sipp_ok, self.calls - self.as_expected)


def sipp_counts(run: SippRun) -> tuple[int, int]:
    """(successful, failed) calls from the last line of SIPp's statistics file."""
    stats = sorted(run.out_dir.glob("*_.csv"))
    if not stats:
        return 0, 0
    rows = list(csv.DictReader(stats[-1].open(encoding="utf-8", errors="replace"), delimiter=";"))
    if not rows:
        return 0, 0
    last = rows[-1]
    return int(last.get("SuccessfulCall(C)") or 0), int(last.get("FailedCall(C)") or 0)


class LoadLab:
    """Asterisk + engine + one UAS phone for everyone, in `settings.data_dir`, until `stop()`."""

    def __init__(
        self,
        settings: Settings,
        contacts: Mapping[str, str] | None = None,
        *,
        place: NodePlace = SINGLE_NODE,
    ) -> None:
        """`place`: this node's address and names when it is one of several (lab/cluster.py)."""
        self.settings = settings
        self.node = place  # not `place`: that is the method that places calls
        self.contacts = dict(contacts or {})  # endpoint → its own phone instead of the shared UAS
        self.asterisk = asterisk_for(settings)
        self.engine = EngineProcess(settings)
        self.uas_port = free_udp_port()
        self.uas: subprocess.Popen[bytes] | None = None
        self.steps = 0

    @property
    def out_dir(self) -> Path:
        return self.settings.run_dir / "load"

    def start(self) -> None:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        uas_dir = self.out_dir / "uas"
        uas_dir.mkdir(exist_ok=True)
        with (uas_dir / "sipp.stdout").open("ab") as out:
            self.uas = subprocess.Popen(
                [
                    *("sipp", "-sf", str(SCENARIOS / "uas_facility.xml"), "-nostdin"),
                    *("-i", "127.0.0.1", "-p", str(self.uas_port), "-trace_err"),
                ],
                cwd=uas_dir,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            start_asterisk(
                self.settings,
                contact=f"sip:{{endpoint}}@127.0.0.1:{self.uas_port}",
                contacts=self.contacts,
                trunk_context=LAB_CONTEXT,
                extra_dialplan=lab_dialplan(STATIC_ENDPOINT),
                desk_ring_in_use=True,  # every desk member is the one UAS: take the whole overflow
                place=self.node,
            )
            self.engine.start()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        self.engine.stop()
        self.asterisk.stop()
        if self.uas is not None and self.uas.poll() is None:
            self.uas.terminate()
            try:
                self.uas.wait(5)
            except subprocess.TimeoutExpired:
                self.uas.kill()
        self.uas = None

    def __enter__(self) -> LoadLab:
        self.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def place(self, calls: Sequence[LoadCall], rate: float, *, static: bool = False) -> SippRun:
        """Every call at `rate` calls/s (SIPp's own pacing), each holding 1.5 s after the answer."""
        self.steps += 1
        kind = "static" if static else "siaga"
        fields = [
            (c.caller, STATIC_NUMBER if static else c.dialled, f"{c.lat:.6f}", f"{c.lon:.6f}") for c in calls
        ]
        return place_calls(
            fields,
            self.out_dir / f"step-{self.steps:02d}-{kind}-{rate:g}",
            sip_port=self.settings.sip_port,
            scenario=CALLER_SCENARIO,
            concurrent=max(50, int(rate * 20)),
            rate=rate,
            timeout_s=max(120, int(len(calls) / rate) + 90),
        )

    def judge(
        self, calls: Sequence[LoadCall], run: SippRun, since: datetime, *, timeout_s: float = 20
    ) -> LoadResult:
        """The step's verdict. For hotline calls, every call needs a finished record answered as expected:
        by the expected facility, or, when the router found that facility's phone on another call, by a
        target of its plan (a surge moves calls on, as it must)."""
        ok, failed = sipp_counts(run)
        static = all(c.dialled == STATIC_NUMBER for c in calls)
        if static:
            return LoadResult(len(calls), ok, failed, as_expected=ok)
        wanted = {c.caller: c for c in calls}
        deadline = time.monotonic() + timeout_s
        while True:
            with Session(make_engine(self.settings.db_url)) as session:
                rows = session.scalars(
                    select(CallRecord).where(
                        CallRecord.caller.in_(list(wanted)),
                        CallRecord.started_at >= since.replace(tzinfo=None),
                    )
                ).all()
                found = {r.caller: (r.ended_at is not None, r.answered_facility, r.plan_json) for r in rows}
                count = len(rows)
            if (
                len(found) >= len(wanted) and all(done for done, _, _ in found.values())
            ) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        answered = expected = 0
        problems: list[str] = []
        for caller, call in wanted.items():
            if caller not in found:
                problems.append(f"{caller}: no call record")
                continue
            done, facility, plan_json = found[caller]
            if not facility:
                problems.append(f"{caller}: {'not answered' if done else 'record unfinished'}")
                continue
            answered += 1
            plan = json.loads(plan_json) if plan_json else {}
            if expectation_met(call.expected_facility, facility, plan):
                expected += 1
            else:
                problems.append(f"{caller}: answered at {facility}, expected {call.expected_facility}")
        return LoadResult(len(calls), ok, failed, count, answered, expected, tuple(problems))


def lab_settings(settings: Settings, resolver: DeadResolver | None) -> Settings:
    """The lab's settings: production's, with Asterisk's resolver pointed at the dead one."""
    if resolver is None:
        return settings
    return dataclasses.replace(settings, asterisk_nameservers=(resolver.address,))


def now_utc() -> datetime:
    return datetime.now(UTC)
