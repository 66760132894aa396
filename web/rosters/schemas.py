"""What the roster endpoints accept; pydantic names the field and the reason for anything malformed."""

from __future__ import annotations

import datetime as dt
import re

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

_MONTH = re.compile(r"(\d{4})-(\d{2})")

Code = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


class AssignmentIn(BaseModel):
    """A named shift on a date (`date` + `shift`), or explicit `start` and `end` with UTC offsets."""

    model_config = ConfigDict(extra="forbid")
    facility_code: str = Code
    staff_id: str = Code
    date: dt.date | None = None
    shift: str | None = Field(default=None, max_length=20)
    start: AwareDatetime | None = None
    end: AwareDatetime | None = None
    unit: str | None = Field(default=None, max_length=64, description="ambulance unit crewed (optional)")


class SwapIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    staff_id: str = Code


class CopyWeekIn(BaseModel):
    facility_code: str = Code
    from_week: dt.date
    to_week: dt.date


class RotationIn(BaseModel):
    facility_code: str = Code
    month: str = Field(description="YYYY-MM")
    staff_ids: list[str] | None = Field(default=None, description="default: the facility's own staff")

    @field_validator("month")
    @classmethod
    def _month(cls, value: str) -> str:
        m = _MONTH.fullmatch(value.strip())
        if not m or not 1 <= int(m.group(2)) <= 12:
            raise ValueError("must be a month written YYYY-MM, e.g. 2026-11")
        return value.strip()

    @field_validator("staff_ids", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        """A form sends one comma-separated field; the API sends a list."""
        if isinstance(value, str):
            return [p.strip() for p in value.replace("\n", ",").split(",") if p.strip()] or None
        return value

    def first_day(self) -> dt.date:
        year, month = self.month.split("-")
        return dt.date(int(year), int(month), 1)
