"""The highest call rate the whole chain holds with zero failed calls: static dialplan vs siaga's routing.

    .venv/bin/python bench/asterisk_load.py [--hold-s 60] [--start-rate 10] [--max-rate 400]

The real chain on loopback, started by the project's own code (`lab.loadlab`): our Asterisk 22 with
the shipped configuration, the engine (`siaga serve`, call records written), SIPp callers sending PIDF-LO
locations spread over the sample region, and one SIPp UAS (`sipp/uas_facility.xml`) as every facility's
phone. Asterisk's resolver is a loopback listener that never answers: a call that waited on DNS fails.

The measure is the session-establishment rate of RFC 7501/7502: a step at R calls/s runs for `--hold-s`
seconds; it passes only if every call succeeded (SIPp) and, for the hotline, every call has its finished
record answered where the router said (the nearest staffed facility, or the plan's next target when that
phone was already on a call). The rate doubles until a step fails, then a bisection narrows it to
`--precision`; the found siaga rate is then run once more to confirm it. First the static dialplan (one
Dial to a fixed UAS: Asterisk's own ceiling here), then siaga's routing, in the same run.

Each step also prints the CPU that Asterisk, the engine (workers, record writer, scheduler) and SIPp
used, as a share of one core, so the limit is named rather than guessed.

The last line is `load static_cps=… siaga_cps=… ratio=… failed=…` (`failed`: failed calls in the
confirmation run at siaga_cps).

    .venv/bin/python bench/asterisk_load.py --cpu-per-call 300 [--rate 30] [--rounds 2]

A quick, repeatable probe instead of the search (about a minute): the same lab, `--rounds` times N calls
at a fixed rate through the static dialplan and then through siaga's, and the CPU time (utime + stime from
/proc, not wall time: the cores are shared) that Asterisk and the engine spent per call on each path.
Its last line is `cpu static_ms=… siaga_ms=… ratio=…` (Asterisk's milliseconds per call; ratio static
over siaga, which bounds the search's ratio while Asterisk's CPU is the limit).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from kernel.db import make_engine  # noqa: E402
from kernel.settings import Settings  # noqa: E402
from lab.loadcalls import make_load_calls  # noqa: E402
from lab.loadlab import STATIC_NUMBER, DeadResolver, LoadLab, LoadResult, lab_settings, now_utc  # noqa: E402
from lab.sample import load_sample_roster, week_start  # noqa: E402
from lab.sipp import free_udp_port  # noqa: E402
from siaga.engine import build_router  # noqa: E402

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def free_tcp_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cpu_by_session() -> dict[int, float]:
    """CPU seconds used so far by live processes, summed per session id (each part runs in its own)."""
    totals: dict[int, float] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", encoding="ascii", errors="replace") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        session, utime, stime = int(fields[3]), int(fields[11]), int(fields[12])
        totals[session] = totals.get(session, 0.0) + (utime + stime) / CLOCK_TICKS
    return totals


@dataclasses.dataclass
class Step:
    kind: str
    rate: float
    result: LoadResult
    seconds: float
    cpu: dict[str, float]

    @property
    def passed(self) -> bool:
        return self.result.failed == 0

    def line(self) -> str:
        r = self.result
        cpu = " ".join(f"{name}={share:.0%}" for name, share in self.cpu.items())
        verdict = "pass" if self.passed else f"FAIL ({r.failed} failed)"
        return (
            f"{self.kind:6} {self.rate:6.1f} calls/s: {r.calls} calls in {self.seconds:.0f} s, "
            f"sipp ok {r.sipp_ok} failed {r.sipp_failed}, records {r.records}, as expected {r.as_expected}; "
            f"cpu of one core: {cpu}; {verdict}"
        )


class Bench:
    def __init__(self, lab: LoadLab, hold_s: float) -> None:
        self.lab = lab
        self.hold_s = hold_s
        self.router = build_router(lab.settings)
        self.next_caller = 0
        self.steps: list[Step] = []
        self.sessions = {
            "asterisk": lambda: lab.asterisk.pid(),
            "engine": lambda: lab.engine.process.pid if lab.engine.process else None,
        }

    def settle(self, timeout_s: float = 60) -> None:
        """Wait until Asterisk has no channel left from the last step, so steps do not overlap."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            out = self.lab.asterisk.cli("core show channels count")
            if " 0 active channels" in out or "\n0 active channels" in out or out.startswith("0 active"):
                return
            time.sleep(1)
        log(f"channels still up after {timeout_s:.0f} s: {out.strip()!r}")

    def step(self, kind: str, rate: float) -> Step:
        self.settle()
        count = max(1, round(rate * self.hold_s))
        calls = make_load_calls(self.router, count, now_utc(), seed=self.next_caller, first=self.next_caller)
        self.next_caller += count
        if kind == "static":
            calls = [dataclasses.replace(c, dialled=STATIC_NUMBER) for c in calls]
        sessions = {name: get() for name, get in self.sessions.items()}
        before = cpu_by_session()
        since = now_utc()
        started = time.monotonic()
        run = self.lab.place(calls, rate, static=kind == "static")
        seconds = time.monotonic() - started
        after = cpu_by_session()
        result = self.lab.judge(calls, run, since)
        cpu: dict[str, float] = {}
        for name, sid in sessions.items():
            if sid is not None:
                cpu[name] = (after.get(sid, 0.0) - before.get(sid, 0.0)) / max(seconds, 0.001)
        known = {sid for sid in sessions.values() if sid is not None}
        # A session whose process exited meanwhile loses that CPU from its sum: never count it below 0.
        others = sum(max(0.0, after[s] - before[s]) for s in after if s not in known and s in before)
        cpu["rest (sipp, bench)"] = others / max(seconds, 0.001)
        step = Step(kind, rate, result, seconds, cpu)
        self.steps.append(step)
        print(step.line(), flush=True)
        for problem in result.problems[:5]:
            print(f"    {problem}", flush=True)
        if not step.passed:
            # An overloaded Asterisk stays jammed for minutes (thousands of channels waiting): the next
            # step starts from a fresh Asterisk and engine, or it would measure the last one's wreckage.
            log("restarting Asterisk and the engine after a failed step")
            self.lab.stop()
            self.lab.start()
        return step

    def search(self, kind: str, start: float, maximum: float, precision: float) -> float:
        """Highest passing rate: double until a failure, then bisect; 0 if even `start` fails."""
        passed, failed = 0.0, None
        rate = start
        while rate <= maximum:
            if self.step(kind, rate).passed:
                passed = rate
                rate *= 2
            else:
                failed = rate
                break
        if failed is None:
            return passed
        while failed - passed > max(precision, 0.05 * passed):
            rate = round((passed + failed) / 2, 1)
            if self.step(kind, rate).passed:
                passed = rate
            else:
                failed = rate
        return passed


def prepare(data_dir: Path, resolver: DeadResolver) -> Settings:
    settings = dataclasses.replace(
        Settings(),
        data_dir=data_dir,
        sip_port=free_udp_port(),
        agi_port=free_tcp_port(),
        ami_port=free_tcp_port(),
        desk_wrapup_s=0,
        # Its own media ports: a run at 100 calls/s holds ~600 call legs, and another Asterisk on this
        # machine (a developer's `siaga up`) must not take them.
        rtp_start=40000,
        rtp_end=59999,
    )
    load_sample_roster(
        make_engine(settings.db_url), settings.region_dir, settings.facilities_path, week_start(date.today())
    )
    return lab_settings(settings, resolver)


def process_cpu_s(pid: int | None) -> float:
    """CPU seconds (all threads) one process used so far; 0 when it is gone."""
    if pid is None:
        return 0.0
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


@dataclasses.dataclass
class CpuProbe:
    """Asterisk's and the engine's CPU per call, path by path, summed over the rounds."""

    calls: dict[str, int] = dataclasses.field(default_factory=lambda: {"static": 0, "siaga": 0})
    asterisk_s: dict[str, float] = dataclasses.field(default_factory=lambda: {"static": 0.0, "siaga": 0.0})
    engine_s: dict[str, float] = dataclasses.field(default_factory=lambda: {"static": 0.0, "siaga": 0.0})
    failed: int = 0

    def per_call_ms(self, kind: str, which: dict[str, float]) -> float:
        return 1000 * which[kind] / max(1, self.calls[kind])


def cpu_per_call(bench: Bench, count: int, rate: float, rounds: int) -> CpuProbe:
    """Alternate static and siaga batches so a neighbour's burst on the shared cores hits both alike.
    A batch is measured from just before SIPp starts until Asterisk has no channel left (hangup
    handlers and their reports included)."""
    probe = CpuProbe()
    lab = bench.lab
    for round_no in range(0, rounds + 1):  # round 0 warms both paths up and is not counted
        for kind in ("static", "siaga"):
            bench.settle()
            calls = make_load_calls(
                bench.router, count, now_utc(), seed=bench.next_caller, first=bench.next_caller
            )
            bench.next_caller += count
            if kind == "static":
                calls = [dataclasses.replace(c, dialled=STATIC_NUMBER) for c in calls]
            asterisk_pid = lab.asterisk.pid()
            engine_sid = lab.engine.process.pid if lab.engine.process else None
            a0 = process_cpu_s(asterisk_pid)
            e0 = cpu_by_session().get(engine_sid, 0.0) if engine_sid else 0.0
            since = now_utc()
            run = lab.place(calls, rate, static=kind == "static")
            bench.settle()
            a1 = process_cpu_s(asterisk_pid)
            e1 = cpu_by_session().get(engine_sid, 0.0) if engine_sid else 0.0
            result = lab.judge(calls, run, since)
            if round_no == 0:
                continue
            probe.calls[kind] += count
            probe.asterisk_s[kind] += a1 - a0
            probe.engine_s[kind] += e1 - e0
            probe.failed += result.failed
            print(
                f"round {round_no} {kind:6} {count} calls at {rate:g}/s: asterisk "
                f"{1000 * (a1 - a0) / count:.2f} ms/call, engine {1000 * (e1 - e0) / count:.2f} ms/call, "
                f"failed {result.failed}",
                flush=True,
            )
            for problem in result.problems[:3]:
                print(f"    {problem}", flush=True)
    return probe


def _stop_on_sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # so the lab's `with` blocks stop Asterisk, the engine and SIPp


def _report_probe(probe: CpuProbe) -> int:
    static_ms = probe.per_call_ms("static", probe.asterisk_s)
    siaga_ms = probe.per_call_ms("siaga", probe.asterisk_s)
    print(
        f"engine: {probe.per_call_ms('siaga', probe.engine_s):.2f} ms/call (siaga), "
        f"{probe.per_call_ms('static', probe.engine_s):.2f} (static); failed calls {probe.failed}"
    )
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at the end")
    print(
        f"cpu static_ms={static_ms:.2f} siaga_ms={siaga_ms:.2f} ratio={static_ms / max(siaga_ms, 1e-9):.2f}"
    )
    return 0 if probe.failed == 0 else 1


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hold-s", type=float, default=60, help="seconds each rate must hold (default 60)")
    parser.add_argument("--start-rate", type=float, default=10, help="first rate tried, calls/s (default 10)")
    parser.add_argument("--max-rate", type=float, default=400, help="never try above this (default 400)")
    parser.add_argument("--precision", type=float, default=5, help="stop bisecting within this (default 5)")
    parser.add_argument("--keep", action="store_true", help="keep the data dir (SIPp files, logs)")
    parser.add_argument(
        "--cpu-per-call", type=int, default=0, metavar="N", help="quick probe: N calls a batch, no search"
    )
    parser.add_argument("--rate", type=float, default=30, help="the probe's call rate (default 30)")
    parser.add_argument("--rounds", type=int, default=2, help="the probe's static+siaga rounds (default 2)")
    args = parser.parse_args(argv)
    data_dir = Path(tempfile.mkdtemp(prefix="siaga-load-"))
    log(f"data dir {data_dir}; each step holds {args.hold_s:g} s; load average {os.getloadavg()[0]:.2f}")
    try:
        with DeadResolver() as resolver:
            settings = prepare(data_dir, resolver)
            with LoadLab(settings) as lab:
                bench = Bench(lab, args.hold_s)
                if args.cpu_per_call > 0:
                    return _report_probe(cpu_per_call(bench, args.cpu_per_call, args.rate, args.rounds))
                search: Callable[[str], float] = lambda kind: bench.search(  # noqa: E731
                    kind, args.start_rate, args.max_rate, args.precision
                )
                log("static dialplan: one Dial to a fixed UAS")
                static_cps = search("static")
                log("siaga: the hotline, routed by the engine")
                siaga_cps = search("siaga")
                failed = bench.step("siaga", siaga_cps).result.failed if siaga_cps else 0
            log(f"queries that reached the dead resolver: {resolver.queries}")
    finally:
        if args.keep:
            log(f"kept {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)
    ratio = siaga_cps / static_cps if static_cps else 0.0
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at the end")
    print(f"load static_cps={static_cps:g} siaga_cps={siaga_cps:g} ratio={ratio:.2f} failed={failed}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
