"""A tiny run of bench/roster_snapshot.py, so the benchmark keeps working (not a timing test)."""

import importlib.util
import re
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "roster_snapshot.py"


def test_the_roster_benchmark_runs_and_ends_with_its_figures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = importlib.util.spec_from_file_location("roster_snapshot_bench", BENCH)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert (
        bench.main(
            ["--facilities", "12", "--days", "3", "--staff", "5", "--lookups", "2000", "--dir", str(tmp_path)]
        )
        == 0
    )
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "assignments 108"
    assert re.fullmatch(r"roster import_s=\d+\.\d rebuild_ms=\d+\.\d lookups_per_s=\d+", lines[-1]), lines[-1]
