"""What a service raises when input is bad or access is refused; the app turns these into responses.

Every error names the field (and the CSV line where there is one) and the reason, so a supervisor can fix
the input without guessing.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from kernel.dataerrors import DataError


@dataclass(frozen=True)
class FieldError:
    field: str
    reason: str
    line: int | None = None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        if self.line is None:
            del data["line"]
        return data

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line is not None else ""
        return f"{where}{self.field}: {self.reason}"


class InputError(ValueError):
    """Bad input; nothing was changed (the request's transaction is rolled back)."""

    def __init__(self, errors: list[FieldError]) -> None:
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors))

    @classmethod
    def one(cls, field: str, reason: str) -> InputError:
        return cls([FieldError(field, reason)])

    @classmethod
    def from_data_error(cls, exc: DataError) -> InputError:
        return cls([FieldError(e.field or "file", e.message, e.line or None) for e in exc.errors])


class Forbidden(Exception):
    """The user is logged in but this data belongs to a kabupaten they do not hold (or they are read-only)."""


class NotFound(LookupError):
    pass


class NotLoggedIn(Exception):
    pass
