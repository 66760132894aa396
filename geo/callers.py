"""The caller directory: known numbers and where they are, the way an ALI database serves 911."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from geo.bounds import parse_coordinate, point_problem
from geo.facilities import csv_rows
from geo.parsed import Parsed, ProgressFn
from kernel.dataerrors import DataError

_SEPARATORS = re.compile(r"[ \-().]")
_DIGITS = re.compile(r"\+?[0-9]{3,20}")


def normalise_number(raw: str) -> str | None:
    """One spelling per number: 0812…, +62812… and 62812… all become 62812….

    Returns None for anything that is not a plausible phone number, so hostile caller ids never match.
    """
    number = _SEPARATORS.sub("", raw.strip())
    if not _DIGITS.fullmatch(number):
        return None
    if number.startswith("+"):
        number = number[1:]
    if number.startswith("0"):
        return "62" + number[1:]
    return number


@dataclass(frozen=True)
class KnownCaller:
    number: str  # normalised
    lat: float
    lon: float
    label: str


class CallerDirectory:
    def __init__(self, callers: Iterable[KnownCaller]) -> None:
        self._by_number = {c.number: c for c in callers}

    def __len__(self) -> int:
        return len(self._by_number)

    def lookup(self, raw_number: str) -> KnownCaller | None:
        number = normalise_number(raw_number)
        return self._by_number.get(number) if number else None


def parse_callers_csv(path: Path, progress: ProgressFn | None = None) -> Parsed[KnownCaller]:
    """`number,lat,lon[,label]`; two spellings of one number are a duplicate."""
    source = str(path)
    parsed: Parsed[KnownCaller] = Parsed()
    seen: dict[str, int] = {}
    for count, (line, row) in enumerate(csv_rows(path, ("number", "lat", "lon"), parsed), start=1):
        if progress is not None and count % 20000 == 0:
            progress(count, 0)
        number = normalise_number(row.get("number", ""))
        if number is None:
            parsed.error(source, line, "number", f"not a phone number: {row.get('number')!r}")
            continue
        if number in seen:
            parsed.error(source, line, "number", f"duplicate number {row['number']!r} (line {seen[number]})")
            continue
        seen[number] = line
        try:
            lat = parse_coordinate(row.get("lat", ""), "lat")
            lon = parse_coordinate(row.get("lon", ""), "lon")
        except ValueError as exc:
            parsed.error(source, line, "lat/lon", exc.args[0] if exc.args else str(exc))
            continue
        problem = point_problem(lat, lon)
        if problem is not None:
            parsed.error(source, line, "lat/lon", problem)
            continue
        parsed.rows.append(KnownCaller(number, lat, lon, row.get("label", "")))
    return parsed


def load_callers_csv(path: Path) -> CallerDirectory:
    parsed = parse_callers_csv(path)
    if parsed.errors:
        raise DataError(parsed.errors)
    return CallerDirectory(parsed.rows)
