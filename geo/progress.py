"""Progress and warnings of a long import, written as they happen (to stderr from the CLI).

A national file takes tens of seconds; a line at most every `interval_s` tells the operator it is moving
without flooding a log. Short imports finish before the first line is due and print nothing here.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

from geo.parsed import ProgressFn
from kernel.dataerrors import RowError


class ImportReport:
    def __init__(self, stream: TextIO | None = None, interval_s: float = 1.0) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.interval_s = interval_s
        self.warnings: list[RowError] = []

    def step(self, what: str) -> ProgressFn:
        """A progress function for one phase, e.g. `step("checking areas")(2000, 83000)`."""
        started = time.monotonic()
        last = [started]

        def report(done: int, total: int) -> None:
            now = time.monotonic()
            if now - last[0] < self.interval_s and not (done == total and now - started >= self.interval_s):
                return
            last[0] = now
            share = f" ({100 * done // total}%)" if total else ""
            of = f"/{total:,}" if total else ""
            print(f"{what}: {done:,}{of}{share}  {now - started:.1f} s", file=self.stream, flush=True)

        return report

    def warn(self, warnings: list[RowError]) -> None:
        self.warnings.extend(warnings)
        for warning in warnings:
            print(f"warning: {warning}", file=self.stream, flush=True)


class QuietReport(ImportReport):
    """Collects warnings and prints nothing: for library callers such as `siaga sample load`."""

    def __init__(self) -> None:
        super().__init__(stream=sys.stderr, interval_s=float("inf"))

    def warn(self, warnings: list[RowError]) -> None:
        self.warnings.extend(warnings)
