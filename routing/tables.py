"""The lookup tables behind the coarser location sources: DID/trunk, kode pos, landline area codes.

Region data in the database (`routing/tables_store.py`: `siaga import did|kode-pos|area-codes`). The
parsers here check the CSV files those imports read (and the files the deprecated `did_file`-style
settings still name). The files are edited by hand and saved from spreadsheets, so a UTF-8 byte order
mark is accepted, and a bad line — a malformed number, bytes that are not UTF-8, a NUL, an unknown
facility or area — is an error naming the file, the line and the field, returned beside the good lines:
the importer refuses the file or, with `--skip-bad`, keeps the good lines; a file read at start keeps
them and logs each error (kept in `LocationTables.problems`), since one typo must not stop `siaga serve`
and with it every call. A file without its columns is the wrong file, not a bad line (`DataError`).
`LocationTables` is plain data that `routing.locate` reads; `area_points` gives each area with an
outline a point inside it and a rough radius, so a source that names an area can still be ranked by
distance.
"""

from __future__ import annotations

import csv
import io
import logging
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from geo.areas import AreaIndex
from geo.callers import normalise_number
from kernel.dataerrors import DataError, RowError
from kernel.messages import N_, Message

_KODE_POS = re.compile(r"[1-9][0-9]{4}")
_PREFIX = re.compile(r"0[1-9][0-9]{1,3}")
_TRUNK = re.compile(r"trunk:[A-Za-z0-9_-]{1,64}")
_M_PER_DEG = 111_320.0

log = logging.getLogger("siaga.routing.tables")


@dataclass(frozen=True)
class DidEntry:
    key: str  # a normalised number (62…) or "trunk:<endpoint>"
    facility_code: str
    area_code: str
    label: str


@dataclass(frozen=True)
class AreaPoint:
    code: str
    name: str
    level: str
    lat: float
    lon: float
    radius_m: float  # radius of a circle of the same size: the honest accuracy of "somewhere in here"


@dataclass(frozen=True)
class LocationTables:
    dids: dict[str, DidEntry] = field(default_factory=dict)
    kode_pos: dict[str, tuple[str, str]] = field(default_factory=dict)  # kode pos → (area code, label)
    area_codes: dict[str, tuple[str, str]] = field(default_factory=dict)  # "24" → (area code, name)
    areas: dict[str, AreaPoint] = field(default_factory=dict)
    problems: tuple[RowError, ...] = ()  # bad lines left out, each naming its file and line


def area_points(index: AreaIndex) -> dict[str, AreaPoint]:
    points: dict[str, AreaPoint] = {}
    for code, area in index.by_code.items():
        if area.geometry is None or area.geometry.is_empty:
            continue
        inside = area.geometry.representative_point()
        lat, lon = float(inside.y), float(inside.x)
        square_m = area.geometry.area * _M_PER_DEG * _M_PER_DEG * math.cos(math.radians(lat))
        points[code] = AreaPoint(code, area.name, area.level, lat, lon, round(math.sqrt(square_m / math.pi)))
    return points


def _rows(path: Path, required: Iterable[str]) -> tuple[list[tuple[int, dict[str, str]]], list[RowError]]:
    """(line, row) for each readable data row, and an error for each line that is not.

    Decoded with replacement rather than refused as a whole, so one line of Latin-1 costs that line only;
    a row holding a replacement character is that line's error.
    """
    source = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError([RowError(source, 0, None, Message("cannot open: {error}", error=str(exc)))]) from exc
    text = raw.decode("utf-8", errors="replace").removeprefix("\ufeff")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        columns = [c.strip() for c in reader.fieldnames or []]
    except csv.Error as exc:
        raise DataError(
            [RowError(source, 1, None, Message("not readable CSV: {error}", error=str(exc)))]
        ) from exc
    reader.fieldnames = columns
    missing = [c for c in required if c not in columns]
    if missing:
        raise DataError(
            [RowError(source, 1, None, Message("missing column(s): {columns}", columns=", ".join(missing)))]
        )
    rows: list[tuple[int, dict[str, str]]] = []
    problems: list[RowError] = []
    stuck_at = -1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            if reader.line_num == stuck_at:
                break  # the reader did not move past the last bad line: nothing more can be read
            stuck_at = reader.line_num
            problems.append(
                RowError(source, reader.line_num, None, Message("not readable CSV: {error}", error=str(exc)))
            )
            continue
        values = {k: (v or "").strip() for k, v in row.items() if k}
        if any("\ufffd" in v for v in values.values()):
            problems.append(
                RowError(source, reader.line_num, None, N_("not UTF-8 text (save the file as CSV UTF-8)"))
            )
        elif any("\x00" in v for v in values.values()):
            problems.append(RowError(source, reader.line_num, None, N_("contains a NUL byte")))
        else:
            rows.append((reader.line_num, values))
    return rows, problems


def load_dids(
    path: Path, facilities: set[str], areas: set[str]
) -> tuple[dict[str, DidEntry], list[RowError]]:
    """`did,facility_code,area_code,label`: a number (or `trunk:<endpoint>`) → a facility or an area.

    Returns the good entries and an error per bad line (the first of two equal numbers is kept).
    """
    rows, errors = _rows(path, ("did", "facility_code", "area_code"))
    source = str(path)
    found: dict[str, DidEntry] = {}
    for line, row in rows:
        raw, facility, area = row["did"], row["facility_code"], row["area_code"]
        key = raw if _TRUNK.fullmatch(raw) else normalise_number(raw)
        if key is None:
            errors.append(
                RowError(source, line, "did", Message("not a number or trunk:NAME: {raw!r}", raw=raw))
            )
        elif key in found:
            errors.append(RowError(source, line, "did", Message("duplicate {value!r}", value=raw)))
        elif bool(facility) == bool(area):
            errors.append(
                RowError(source, line, "facility_code", N_("give exactly one of facility_code, area_code"))
            )
        elif facility and facility not in facilities:
            errors.append(
                RowError(
                    source, line, "facility_code", Message("unknown facility {facility!r}", facility=facility)
                )
            )
        elif area and area not in areas:
            errors.append(RowError(source, line, "area_code", Message("unknown area {area!r}", area=area)))
        else:
            found[key] = DidEntry(key, facility, area, row.get("label", ""))
    return found, errors


def load_kode_pos(path: Path, areas: set[str]) -> tuple[dict[str, tuple[str, str]], list[RowError]]:
    """`kode_pos,area_code,label`: a 5-digit Indonesian postal code → the area it lies in.

    Returns the good entries and an error per bad line.
    """
    rows, errors = _rows(path, ("kode_pos", "area_code"))
    source = str(path)
    found: dict[str, tuple[str, str]] = {}
    for line, row in rows:
        code, area = row["kode_pos"], row["area_code"]
        if not _KODE_POS.fullmatch(code):
            errors.append(
                RowError(source, line, "kode_pos", Message("not a 5-digit kode pos: {code!r}", code=code))
            )
        elif code in found:
            errors.append(RowError(source, line, "kode_pos", Message("duplicate {value!r}", value=code)))
        elif area not in areas:
            errors.append(RowError(source, line, "area_code", Message("unknown area {area!r}", area=area)))
        else:
            found[code] = (area, row.get("label", ""))
    return found, errors


def load_area_codes(path: Path) -> tuple[dict[str, tuple[str, str]], list[RowError]]:
    """`prefix,area_code,name`: a landline prefix (024) → the kabupaten/kota it serves (national table).

    Areas outside the loaded region are kept: the call's notes can still say "Kota Jambi" even when no
    outline of Jambi is loaded. Returns the good entries and an error per bad line.
    """
    rows, errors = _rows(path, ("prefix", "area_code", "name"))
    source = str(path)
    found: dict[str, tuple[str, str]] = {}
    for line, row in rows:
        prefix = row["prefix"]
        if not _PREFIX.fullmatch(prefix) or prefix.startswith("08"):
            errors.append(
                RowError(
                    source, line, "prefix", Message("not a landline area code: {prefix!r}", prefix=prefix)
                )
            )
        elif prefix[1:] in found:
            errors.append(RowError(source, line, "prefix", Message("duplicate {value!r}", value=prefix)))
        elif not row["area_code"]:
            errors.append(RowError(source, line, "area_code", N_("missing")))
        else:
            found[prefix[1:]] = (row["area_code"], row["name"])
    return found, errors


def still_known(
    dids: Mapping[str, DidEntry],
    kode_pos: Mapping[str, tuple[str, str]],
    facilities: set[str],
    areas: set[str],
    source: str,
) -> tuple[dict[str, DidEntry], dict[str, tuple[str, str]], list[RowError]]:
    """The stored entries whose facility or area is still stored, and an error for each that is not.

    The tables were checked when imported, but areas and facilities are imported on their own
    (`--replace` included), so an entry can outlive the place it names: left out, not routed to.
    """
    problems: list[RowError] = []
    kept_dids: dict[str, DidEntry] = {}
    for key, entry in dids.items():
        if entry.facility_code and entry.facility_code not in facilities:
            problems.append(
                RowError(
                    f"{source} did {key}",
                    0,
                    "facility_code",
                    Message("unknown facility {facility!r}", facility=entry.facility_code),
                )
            )
        elif entry.area_code and entry.area_code not in areas:
            problems.append(
                RowError(
                    f"{source} did {key}",
                    0,
                    "area_code",
                    Message("unknown area {area!r}", area=entry.area_code),
                )
            )
        else:
            kept_dids[key] = entry
    kept_kode_pos: dict[str, tuple[str, str]] = {}
    for code, (area, label) in kode_pos.items():
        if area in areas:
            kept_kode_pos[code] = (area, label)
        else:
            problems.append(
                RowError(
                    f"{source} kode_pos {code}", 0, "area_code", Message("unknown area {area!r}", area=area)
                )
            )
    return kept_dids, kept_kode_pos, problems


def load_location_tables(
    index: AreaIndex,
    facilities: set[str],
    did_path: Path | None,
    kode_pos_path: Path | None,
    area_codes_path: Path | None,
) -> LocationTables:
    """Every table that exists; a missing optional file is an empty table, not an error.

    Each bad line is logged as an error naming its file and line, and left out; the rest is used.
    """
    codes = set(index.by_code)
    problems: list[RowError] = []
    dids: dict[str, DidEntry] = {}
    kode_pos: dict[str, tuple[str, str]] = {}
    area_codes: dict[str, tuple[str, str]] = {}
    if did_path is not None and did_path.exists():
        dids, bad = load_dids(did_path, facilities, codes)
        problems += bad
    if kode_pos_path is not None and kode_pos_path.exists():
        kode_pos, bad = load_kode_pos(kode_pos_path, codes)
        problems += bad
    if area_codes_path is not None and area_codes_path.exists():
        area_codes, bad = load_area_codes(area_codes_path)
        problems += bad
    for problem in problems:
        log.error("bad line left out of a location table: %s", problem)
    return LocationTables(dids, kode_pos, area_codes, area_points(index), tuple(problems))
