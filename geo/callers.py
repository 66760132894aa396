"""The caller directory: known numbers and where they are, the way an ALI database serves 911."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from geo.facilities import in_indonesia, parse_coordinate
from siaga.dataerrors import DataError, RowError

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
    def __init__(self, callers: list[KnownCaller]) -> None:
        self._by_number = {c.number: c for c in callers}

    def __len__(self) -> int:
        return len(self._by_number)

    def lookup(self, raw_number: str) -> KnownCaller | None:
        number = normalise_number(raw_number)
        return self._by_number.get(number) if number else None


def load_callers_csv(path: Path) -> CallerDirectory:
    source = str(path)
    errors: list[RowError] = []
    callers: list[KnownCaller] = []
    try:
        handle = path.open(newline="", encoding="utf-8")
    except OSError as exc:
        raise DataError([RowError(source, 0, None, f"cannot open: {exc}")]) from exc
    with handle:
        reader = csv.DictReader(handle)
        missing = [c for c in ("number", "lat", "lon") if c not in (reader.fieldnames or [])]
        if missing:
            raise DataError([RowError(source, 1, None, f"missing column(s): {', '.join(missing)}")])
        seen: set[str] = set()
        for row in reader:
            line = reader.line_num
            number = normalise_number(row.get("number") or "")
            if number is None:
                errors.append(RowError(source, line, "number", f"not a phone number: {row.get('number')!r}"))
                continue
            if number in seen:
                errors.append(RowError(source, line, "number", f"duplicate number {row['number']!r}"))
                continue
            seen.add(number)
            try:
                lat = parse_coordinate((row.get("lat") or "").strip(), "lat")
                lon = parse_coordinate((row.get("lon") or "").strip(), "lon")
            except ValueError as exc:
                errors.append(RowError(source, line, "lat/lon", str(exc)))
                continue
            if not in_indonesia(lat, lon):
                errors.append(RowError(source, line, "lat", f"({lat}, {lon}) is outside Indonesia"))
                continue
            callers.append(KnownCaller(number, lat, lon, (row.get("label") or "").strip()))
    if errors:
        raise DataError(errors)
    return CallerDirectory(callers)
