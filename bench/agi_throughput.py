"""How many calls the FastAGI engine routes per second, and how fast it answers one, against a classic
per-call AGI process running the same routing — both measured in this run.

    .venv/bin/python bench/agi_throughput.py [--data-dir DIR | --region-dir DIR] [--seconds 10]

The client speaks AGI as Asterisk does: it sends the `agi_*` environment, then answers every command the
engine sends (the location facts with a PIDF-LO point somewhere in the region, device states of the
candidates as registered, each SET VARIABLE) until the engine closes. The engine is `siaga.serve.
build_server` — the very composition `siaga serve` runs, call records included (spooled by the workers,
written into the same SQLite file meanwhile by the engine's record-writer process).

- throughput: 50 connections in a closed loop (each starts its next call when the last ends), from two
  client processes;
- latency: calls arriving at a steady 200 per second (open loop), time from connect to the last command
  answered, p50 and p99;
- baseline: bench/classic_agi.py started once per call (pyst2 over stdin/stdout), two at a time.

Data: the sample region by default (loaded into a temporary data dir with `siaga sample load`); give
`--data-dir` with a database you prepared (e.g. the national synthetic set) to measure that instead.
The last line is `agi routed_per_s=… p50_ms=… p99_ms=… per_call_process_per_s=… ratio=…`.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import multiprocessing
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from kernel.settings import Settings  # noqa: E402
from lab.processes import settings_env  # noqa: E402
from siaga.cli import main as siaga_cli  # noqa: E402
from siaga.serve import build_server  # noqa: E402

CONNECTIONS = 50
RATE = 200


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def framed(*values: str) -> str:
    return "".join(f"{len(v.encode())}:{v}" for v in values)


@dataclasses.dataclass(frozen=True)
class Workload:
    points: list[tuple[float, float]]
    port: int

    def environment(self, n: int, rng: random.Random) -> bytes:
        env = {
            "agi_network": "yes",
            "agi_network_script": "route",
            "agi_request": f"agi://127.0.0.1:{self.port}/route",
            "agi_channel": f"PJSIP/caller-trunk-{n:08x}",
            "agi_language": "id",
            "agi_type": "PJSIP",
            "agi_uniqueid": f"bench-{os.getpid()}-{n}.{n}",
            "agi_version": "22.10.0",
            "agi_callerid": f"0812{rng.randrange(10**8):08d}",
            "agi_calleridname": "Pelapor",
            "agi_dnid": "119",
            "agi_context": "siaga-route",
            "agi_extension": "s",
            "agi_priority": "9",
            "agi_arg_1": "emergency",
            "agi_arg_2": "-",
            "agi_arg_3": f"{time.time():.3f}",
        }
        return ("".join(f"{k}: {v}\n" for k, v in env.items()) + "\n").encode()

    def facts(self, rng: random.Random) -> str:
        lat, lon = rng.choice(self.points)
        lat += rng.uniform(-0.01, 0.01)
        lon += rng.uniform(-0.01, 0.01)
        return framed(f'shape="Point",crs="2d",pos="{lat:.5f} {lon:.5f}"', "GML", "", "caller-trunk")


def answer(command: str, workload: Workload, rng: random.Random) -> bytes:
    if command.startswith("GET FULL VARIABLE"):
        if "DEVICE_STATE(" in command:
            return f"200 result=1 ({','.join(['NOT_INUSE'] * command.count('DEVICE_STATE('))})\n".encode()
        return f"200 result=1 ({workload.facts(rng)})\n".encode()
    if command.startswith("EXEC"):
        return b"200 result=0\n"  # MSet ran
    return b"200 result=1\n"


async def one_call(workload: Workload, n: int, rng: random.Random) -> tuple[float, bool]:
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", workload.port)
    writer.write(workload.environment(n, rng))
    routed = False
    while True:
        line = await reader.readline()
        if not line:
            break
        command = line.decode()
        routed |= "ROUTE_STATUS" in command
        writer.write(answer(command, workload, rng))
    writer.close()
    return time.perf_counter() - started, routed


async def closed_loop(workload: Workload, connections: int, seconds: float, seed: int) -> tuple[int, int]:
    rng = random.Random(seed)
    deadline = time.perf_counter() + seconds
    counter = iter(range(10**9))
    done = failed = 0

    async def loop() -> None:
        nonlocal done, failed
        while time.perf_counter() < deadline:
            _, routed = await one_call(workload, next(counter), rng)
            done += routed
            failed += not routed

    await asyncio.gather(*(loop() for _ in range(connections)))
    return done, failed


def _closed_loop_process(
    workload: Workload, connections: int, seconds: float, seed: int, out: object
) -> None:
    out.put(asyncio.run(closed_loop(workload, connections, seconds, seed)))  # type: ignore[attr-defined]


async def open_loop(workload: Workload, rate: int, seconds: float) -> tuple[list[float], int]:
    rng = random.Random(7)
    tasks = []
    start = time.perf_counter()
    for n in range(int(rate * seconds)):
        delay = start + n / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one_call(workload, 10**6 + n, rng)))
    results = await asyncio.gather(*tasks)
    return [took for took, routed in results if routed], sum(not routed for _, routed in results)


def _process_cpu_s(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime


def engine_cpu_parts_s(supervisor: int, writer: int | None) -> dict[str, float]:
    """CPU seconds used so far by each part of the engine (from /proc): where a call's CPU goes."""
    children = Path(f"/proc/{supervisor}/task/{supervisor}/children")
    workers = [int(p) for p in children.read_text().split()] if children.exists() else []
    return {
        "workers": sum(_process_cpu_s(pid) for pid in workers),
        "record writer": _process_cpu_s(writer) if writer else 0.0,
        "supervisor": _process_cpu_s(supervisor),
    }


def classic_call(settings: Settings, workload: Workload, n: int) -> bool:
    rng = random.Random(n)
    process = subprocess.Popen(
        [sys.executable, str(REPO / "bench" / "classic_agi.py")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=settings_env(settings),
    )
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(workload.environment(n, rng))
    process.stdin.flush()
    routed = False
    for line in process.stdout:
        command = line.decode()
        routed |= "ROUTE_STATUS" in command
        process.stdin.write(answer(command, workload, rng))
        process.stdin.flush()
    process.stdin.close()
    process.wait()
    return routed and process.returncode == 0


def per_call_process_rate(settings: Settings, workload: Workload, calls: int, parallel: int = 2) -> float:
    started = time.perf_counter()
    ok = 0
    for batch in range(0, calls, parallel):
        with multiprocessing.pool.ThreadPool(parallel) as pool:
            ok += sum(pool.map(lambda n: classic_call(settings, workload, n), range(batch, batch + parallel)))
    took = time.perf_counter() - started
    if ok != calls:
        raise SystemExit(f"classic AGI baseline routed only {ok} of {calls} calls")
    return calls / took


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, help="a data dir whose database holds the places and roster")
    parser.add_argument("--region-dir", type=Path, help="region to load into a temporary data dir")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each measured run")
    parser.add_argument("--workers", type=int, default=4, help="engine worker processes")
    parser.add_argument("--baseline-calls", type=int, default=8, help="calls through the per-call process")
    args = parser.parse_args()

    import multiprocessing.pool

    with tempfile.TemporaryDirectory(prefix="siaga-bench-") as tmp:
        data_dir = args.data_dir or Path(tmp)
        if args.data_dir is None:
            load = ["sample", "load", "--data-dir", str(data_dir)]
            if args.region_dir:
                load += ["--region-dir", str(args.region_dir)]
            log(f"loading the sample region into {data_dir}")
            if siaga_cli(load) != 0:
                return 1
        settings = dataclasses.replace(
            Settings(),
            data_dir=data_dir,
            agi_port=free_port(),
            agi_workers=args.workers,
            **({"region_dir": args.region_dir} if args.region_dir else {}),
        )
        parts = build_server(settings)
        server, router = parts.server, parts.router
        points = [(f.lat, f.lon) for f in router.region.facilities.values()]
        workload = Workload(points, settings.agi_port)
        parts.records.start_writer()
        server.start_background()
        try:
            log(f"engine: {args.workers} workers, {len(router.region.facilities)} facilities; warming up")
            asyncio.run(closed_loop(workload, 10, 2.0, 1))

            log(f"closed loop: {CONNECTIONS} connections for {args.seconds:g} s from 2 client processes")
            queue: multiprocessing.Queue[tuple[int, int]] = multiprocessing.Queue()
            clients = [
                multiprocessing.Process(
                    target=_closed_loop_process, args=(workload, CONNECTIONS // 2, args.seconds, seed, queue)
                )
                for seed in (11, 12)
            ]
            assert server.supervisor_pid is not None
            parts_before = engine_cpu_parts_s(server.supervisor_pid, parts.records.writer_pid)
            for client in clients:
                client.start()
            results = [queue.get() for _ in clients]
            for client in clients:
                client.join()
            routed = sum(r[0] for r in results)
            failed = sum(r[1] for r in results)
            parts_after = engine_cpu_parts_s(server.supervisor_pid, parts.records.writer_pid)
            part_ms = {
                name: 1000 * (parts_after[name] - parts_before[name]) / max(routed, 1) for name in parts_after
            }
            cpu_ms = sum(part_ms.values())
            routed_per_s = routed / args.seconds
            print(
                "engine CPU per routed call: "
                + ", ".join(f"{name} {ms:.3f} ms" for name, ms in part_ms.items())
                + f"; total {cpu_ms:.3f} ms"
            )
            print(
                f"closed loop: {routed} calls routed in {args.seconds:g} s ({routed_per_s:.0f}/s), "
                f"{failed} failed; the engine used {cpu_ms:.2f} ms of CPU per call "
                "(records written meanwhile), "
                f"so one core routes ~{1000 / cpu_ms:.0f} calls/s; load average {os.getloadavg()[0]:.1f}"
            )

            log(f"open loop: {RATE} calls/s for {args.seconds:g} s")
            latencies, open_failed = asyncio.run(open_loop(workload, RATE, args.seconds))
            latencies_ms = sorted(1000 * t for t in latencies)
            p50 = statistics.median(latencies_ms)
            p99 = latencies_ms[int(0.99 * (len(latencies_ms) - 1))]
            print(
                f"open loop: {len(latencies_ms)} calls at {RATE}/s, p50 {p50:.2f} ms, p99 {p99:.2f} ms, "
                f"max {latencies_ms[-1]:.2f} ms, {open_failed} failed"
            )
        finally:
            server.stop()
            parts.records.stop_writer()

        log(f"baseline: {args.baseline_calls} calls, one classic AGI process each (pyst2, stdin/stdout)")
        baseline = per_call_process_rate(settings, workload, args.baseline_calls)
        print(f"per-call process: {baseline:.2f} calls/s")
        print(
            f"agi routed_per_s={routed_per_s:.0f} p50_ms={p50:.2f} p99_ms={p99:.2f} "
            f"per_call_process_per_s={baseline:.2f} ratio={routed_per_s / baseline:.0f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
