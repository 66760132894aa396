"""Errors in input that name the file, the line (or feature) and the field.

Importers collect every bad row before deciding anything, so a supervisor sees all problems of a file at
once and nothing is half-imported. `FieldError`/`InputError`/`NotFound` are what a domain's service raises
for a bad request; they sit here, at the bottom, so the CLI, the console and the jobs all catch the same
thing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from kernel.messages import Message


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
        more = Message("\n  … and {count} more", count=len(errors) - 50) if len(errors) > 50 else ""
        # A Message, so a front-end that shows the stored text can still translate its frame.
        super().__init__(
            Message("{count} bad row(s):\n{rows}{more}", count=len(errors), rows=lines, more=more)
        )


@dataclass(frozen=True)
class FieldError:
    """One problem with one field of a request, a form or a command (and the CSV line, where there is one),
    so whoever typed it can fix the input without guessing."""

    field: str
    reason: str
    line: int | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        if self.line is None:
            del data["line"]
        return data

    def __str__(self) -> str:
        if self.line is None:
            return f"{self.field}: {self.reason}"
        return Message("line {line}: {field}: {reason}", line=self.line, field=self.field, reason=self.reason)


class InputError(ValueError):
    """Bad input to a domain's service; nothing was changed (the caller's transaction is rolled back).

    Raised by the domains' application services as well as the console, so the command line and the web
    report the same check in the same words (each front-end renders the list its own way)."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors))

    @classmethod
    def one(cls, field: str, reason: str) -> InputError:
        return cls([FieldError(field, reason)])

    @classmethod
    def from_data_error(cls, exc: DataError) -> InputError:
        return cls([FieldError(e.field or "file", e.message, e.line or None) for e in exc.errors])

    @property
    def reasons(self) -> str:
        """The reasons alone, for a front-end whose options already say which field was meant."""
        return "; ".join(e.reason for e in self.errors)


class NotFound(LookupError):
    """The record an operation names (an assignment's id) does not exist."""
