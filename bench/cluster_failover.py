"""Faults under SIPp load on two Asterisk nodes behind Kamailio (issue 13, point 5).

Three runs, each of `--rate` calls/s for `--seconds` s of PIDF-LO callers sent to Kamailio, with one fault
`--fault-at` s in: SIGKILL one Asterisk node (started again after the run), SIGKILL one engine (started
again after the run: its spooled records then land), stop PostgreSQL for `--outage` s and start it again.
Every call is judged from its record in the shared database (answered where the router said, exactly
once). `failover_s` is the longest of: the seconds until Kamailio took the killed node out; until the
first call on the node whose engine was killed was answered (planned by the other engine); until the
first call after the database stopped was answered. Prints, last:

    cluster calls=… answered=… failed=… after_fault_failed=… records_lost=… records_duplicated=… failover_s=…

`.venv/bin/python bench/cluster_failover.py` (10 calls/s for 60 s each, ~5 minutes); all on loopback.
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import socket
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kernel.db import make_engine
from kernel.settings import Settings
from lab.cluster import ClusterLab, ClusterResult
from lab.loadcalls import make_load_calls
from lab.loadlab import DeadResolver, lab_settings, now_utc
from lab.postgres import PostgresCluster, wait_ready
from lab.sample import load_sample_roster, week_start
from lab.sipp import free_udp_port
from siaga.engine import build_router


def free_tcp_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--fault-at", type=float, default=20.0)
    parser.add_argument("--outage", type=float, default=20.0)
    args = parser.parse_args()
    if not (0 < args.rate <= 50 and 5 <= args.seconds <= 600 and 0 < args.fault_at < args.seconds):
        parser.error("--rate 0-50, --seconds 5-600, --fault-at within the run")
    count = int(args.rate * args.seconds)
    pg_dir = Path(tempfile.mkdtemp(prefix="siaga-bench-pg-"))
    data_dir = Path(tempfile.mkdtemp(prefix="siaga-bench-cluster-"))
    postgres = PostgresCluster(pg_dir)
    postgres.start()
    total = ClusterResult(0, 0, 0)
    failovers: list[float] = []
    try:
        settings = dataclasses.replace(
            Settings(),
            data_dir=data_dir,
            db=postgres.create_database("siaga"),
            sip_port=free_udp_port(),
            agi_port=free_tcp_port() + 10,
            ami_port=free_tcp_port() + 10,
            ring_timeout_s=4,
            desk_wrapup_s=0,
            rtp_start=30000,
            rtp_end=39999,
        )
        load_sample_roster(
            make_engine(settings.db_url),
            settings.region_dir,
            settings.facilities_path,
            week_start(date.today()),
        )
        with DeadResolver() as resolver, ClusterLab(lab_settings(settings, resolver)) as lab:
            router = build_router(lab.settings)
            first = 0

            def outage() -> None:
                postgres.stop()
                time.sleep(args.outage)
                postgres.start()
                wait_ready(postgres)

            faults = [
                ("asterisk node 1 SIGKILLed", lambda: failovers.append(lab.kill_asterisk(0))),
                ("engine 1 SIGKILLed", lambda: lab.kill_engine(0)),
                (f"PostgreSQL stopped {args.outage:g} s", outage),
            ]
            for number, (name, fault) in enumerate(faults):
                calls = make_load_calls(router, count, now_utc(), seed=first, first=first)
                first += count
                since = now_utc()
                run, struck = lab.place_with_fault(calls, args.rate, args.fault_at, fault)
                callers = [c.caller for c in calls]
                if number == 1:
                    took = lab.first_routed_after(callers, struck, node=0)
                    failovers.append(took if took is not None else float("inf"))
                    lab.restart_engine(0)
                if number == 2:
                    took = lab.first_routed_after(callers, struck)
                    failovers.append(took if took is not None else float("inf"))
                result = lab.judge(calls, run, since, fault_at=struck, rate=args.rate, timeout_s=120)
                if number == 0:
                    lab.restart_asterisk(0)
                print(
                    f"[bench] {name} at {args.fault_at:g} s: calls {result.calls} answered {result.answered} "
                    f"failed {result.failed} after the fault {len(result.after_fault_failed)} records lost "
                    f"{result.records_lost} duplicated {result.records_duplicated}; routed around after "
                    f"{failovers[-1]:.2f} s",
                    flush=True,
                )
                for problem in result.problems[:5]:
                    print(f"[bench]   {problem}", flush=True)
                total.calls += result.calls
                total.answered += result.answered
                total.failed_callers += result.failed_callers
                total.after_fault_failed += result.after_fault_failed
                total.records_lost += result.records_lost
                total.records_duplicated += result.records_duplicated
    finally:
        postgres.stop()
        shutil.rmtree(pg_dir, ignore_errors=True)
        shutil.rmtree(data_dir, ignore_errors=True)
    print(
        f"cluster calls={total.calls} answered={total.answered} failed={total.failed} "
        f"after_fault_failed={len(total.after_fault_failed)} records_lost={total.records_lost} "
        f"records_duplicated={total.records_duplicated} failover_s={max(failovers):.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
