"""A tiny run of bench/route_latency.py, so the benchmark keeps working; its figures are not asserted."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_route_latency_bench_runs_and_agrees_with_the_naive_way(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(REPO / "bench" / "route_latency.py"),
            "--scale",
            "0.005",
            "--points",
            "300",
            "--naive-points",
            "5",
            "--workdir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.strip().splitlines()
    assert "plans agree on 5/5" in done.stdout
    assert re.fullmatch(
        r"route p50_us=\d+ p99_us=\d+ load_s=[0-9.]+ rss_mb=\d+ speedup_vs_naive=\d+", lines[-1]
    ), lines[-1]
