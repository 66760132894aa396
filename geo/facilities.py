"""Facilities that can take a call: puskesmas, hospitals, ambulance posts, dispatch and consultation desks."""

from __future__ import annotations

import csv
from collections.abc import Container, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from geo.bounds import INDONESIA_LAT, INDONESIA_LON, in_indonesia, parse_coordinate, point_problem
from geo.parsed import Parsed, ProgressFn
from kernel.dataerrors import DataError, RowError
from kernel.messages import N_, Message

_NOT_UTF8 = N_("not UTF-8 text (save the file as CSV UTF-8)")

__all__ = [
    "INDONESIA_LAT",
    "INDONESIA_LON",
    "KINDS",
    "REQUIRED_COLUMNS",
    "Facility",
    "in_indonesia",
    "load_facilities_csv",
    "parse_coordinate",
    "parse_facilities_csv",
]

KINDS = ("puskesmas", "hospital", "ambulance", "dispatch", "consultation", "complaints")
REQUIRED_COLUMNS = ("code", "name", "kind", "lat", "lon", "area_code", "timezone")


@dataclass(frozen=True)
class Facility:
    code: str
    name: str
    kind: str
    lat: float
    lon: float
    area_code: str
    timezone: str
    service_area: tuple[str, ...] = ()  # area codes it serves first (wilayah kerja); empty: distance only


def csv_rows(
    path: Path, required: tuple[str, ...], parsed: Parsed[Any]
) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) for each readable data row; each unreadable line is an error in `parsed`.

    A missing file or column fails the file. Decoded with replacement rather than strictly, and a csv.Error
    (a cell past the csv module's 128 KB limit) caught per row, so one line of Latin-1 or one huge cell
    costs that line only and `--skip-bad` keeps the rest (as routing/tables.py does for its tables).
    """
    source = str(path)
    try:
        handle = path.open(newline="", encoding="utf-8-sig", errors="replace")
    except OSError as exc:
        raise DataError([RowError(source, 0, None, Message("cannot open: {error}", error=str(exc)))]) from exc
    with handle:
        reader = csv.DictReader(handle)
        try:
            columns = [c.strip() for c in reader.fieldnames or []]
        except csv.Error as exc:
            raise DataError(
                [RowError(source, 1, None, Message("not readable CSV: {error}", error=str(exc)))]
            ) from exc
        if any("\ufffd" in c for c in columns):
            raise DataError([RowError(source, 1, None, _NOT_UTF8)])
        reader.fieldnames = columns
        missing = [c for c in required if c not in columns]
        if missing:
            raise DataError(
                [
                    RowError(
                        source, 1, None, Message("missing column(s): {columns}", columns=", ".join(missing))
                    )
                ]
            )
        stuck_at = -1
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                line = reader.reader.line_num  # DictReader.line_num moves only when a row is read well
                if line == stuck_at:
                    return  # the reader did not move past the last bad line: nothing more can be read
                stuck_at = line
                parsed.error(source, line, None, Message("not readable CSV: {error}", error=str(exc)))
                continue
            values = {k: (v or "").strip() for k, v in row.items() if k is not None}
            if any("\ufffd" in v for v in values.values()):
                parsed.error(source, reader.line_num, None, _NOT_UTF8)
            elif any("\x00" in v for v in values.values()):
                parsed.error(source, reader.line_num, None, N_("contains a NUL byte"))
            else:
                yield reader.line_num, values


def parse_facilities_csv(
    path: Path, known_areas: Container[str] | None = None, progress: ProgressFn | None = None
) -> Parsed[Facility]:
    """Check every row; `known_areas` (when given) must hold each area_code and service-area code."""
    source = str(path)
    parsed: Parsed[Facility] = Parsed()
    seen: dict[str, int] = {}
    zones: dict[str, bool] = {}
    for count, (line, row) in enumerate(csv_rows(path, REQUIRED_COLUMNS, parsed), start=1):
        if progress is not None and count % 5000 == 0:
            progress(count, 0)
        before = len(parsed.errors)

        def bad(field: str, message: str, line: int = line) -> None:
            parsed.error(source, line, field, message)

        code, kind = row.get("code", ""), row.get("kind", "")
        if not code:
            bad("code", N_("missing"))
        elif code in seen:
            bad(
                "code",
                Message("duplicate code {code!r} (first on line {first})", code=code, first=seen[code]),
            )
        else:
            seen[code] = line
        if not row.get("name"):
            bad("name", N_("missing"))
        if kind not in KINDS:
            bad("kind", Message("{kind!r} is not one of {kinds}", kind=kind, kinds=", ".join(KINDS)))
        coords: dict[str, float] = {}
        for field in ("lat", "lon"):
            try:
                coords[field] = parse_coordinate(row.get(field, ""), field)
            except ValueError as exc:  # its message (a Message) kept, so the reader's language words it
                bad(field, exc.args[0] if exc.args else str(exc))
        if len(coords) == 2 and (problem := point_problem(coords["lat"], coords["lon"])) is not None:
            bad("lat", problem)
        area_code = row.get("area_code", "")
        if not area_code:
            bad("area_code", N_("missing"))
        elif known_areas is not None and area_code not in known_areas:
            bad("area_code", Message("unknown area {area!r}", area=area_code))
        timezone = row.get("timezone", "")
        if timezone not in zones:
            try:
                ZoneInfo(timezone)
                zones[timezone] = True
            except (ZoneInfoNotFoundError, ValueError):
                zones[timezone] = False
        if not zones[timezone]:
            bad("timezone", Message("unknown time zone {zone!r} (use e.g. Asia/Jakarta)", zone=timezone))
        service_area = tuple(dict.fromkeys(row.get("service_area", "").replace(",", " ").split()))
        if known_areas is not None:
            unknown = [c for c in service_area if c not in known_areas]
            if unknown:
                bad(
                    "service_area",
                    Message("unknown area(s) {areas}", areas=", ".join(repr(c) for c in unknown)),
                )
        if len(parsed.errors) == before:
            parsed.rows.append(
                Facility(
                    code, row["name"], kind, coords["lat"], coords["lon"], area_code, timezone, service_area
                )
            )
    return parsed


def load_facilities_csv(path: Path, known_areas: Container[str] | None = None) -> list[Facility]:
    """Read the facilities file; any bad row fails the whole file with every problem listed by line."""
    parsed = parse_facilities_csv(path, known_areas)
    if parsed.errors:
        raise DataError(parsed.errors)
    return parsed.rows
