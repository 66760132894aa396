"""What a parser hands back: the good rows, every problem by line or feature, and the repairs it made.

Parsers never decide whether a file with bad rows is imported: the importer does (`--skip-bad`), so one
parser serves both the all-or-nothing default and the load-what-is-good mode.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from kernel.dataerrors import RowError

T = TypeVar("T")

# Called with (done, total) while a long file is read; total is 0 when unknown.
ProgressFn = Callable[[int, int], None]


@dataclass
class Parsed(Generic[T]):
    rows: list[T] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)
    bad_lines: set[int] = field(default_factory=set)

    def error(self, source: str, line: int, field_name: str | None, message: str) -> None:
        self.errors.append(RowError(source, line, field_name, message))
        self.bad_lines.add(line)

    def warn(self, source: str, line: int, field_name: str | None, message: str) -> None:
        self.warnings.append(RowError(source, line, field_name, message))
