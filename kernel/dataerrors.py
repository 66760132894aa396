"""Errors in input files that name the file, the line (or feature) and the field.

Importers collect every bad row before deciding anything, so a supervisor sees all problems of a file at
once and nothing is half-imported.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RowError:
    source: str
    line: int  # line number in a CSV (header is line 1) or feature number (1-based) in GeoJSON
    field: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}"
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class DataError(ValueError):
    """One or more rows of an input file are unusable; `errors` lists each of them."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        lines = "\n".join(f"  {e}" for e in errors[:50])
        more = f"\n  … and {len(errors) - 50} more" if len(errors) > 50 else ""
        super().__init__(f"{len(errors)} bad row(s):\n{lines}{more}")
