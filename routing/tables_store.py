"""DID, kode pos and area-code tables in the database: `siaga import did|kode-pos|area-codes`, and the
engine's read of them at start.

They are region data like areas and facilities, so a region of one's own needs nothing from the sample:
import its areas, facilities and callers, and these tables if it has them. Each import reads the same
columns as the CSV files always had, checks every line with the parsers of `routing.tables` against the
places already stored (a DID naming an unknown facility or area, a kode pos naming an unknown area: the
line is named), and, in one transaction, replaces the table whole: a DID table is one list kept in one
spreadsheet, so a line removed from the file must disappear from the engine too (merging would keep a
number that was given back). All or nothing unless `--skip-bad`, as `siaga import areas|facilities|callers`.

Read at engine start (`load_location_tables_from_db`), and again by every running engine after an
import, which bumps the table's counter (`kernel.revisions`, kind = the import verb) in its transaction:
an empty table means that location source has
no data, said once in the log, not an error. The national area-code table ships with siaga
(config/area_codes.csv): while the database holds none, the engine reads the shipped file, so every region
has landline prefixes from the first start and a siaga update that corrects the file reaches every site
that never imported its own. Nothing is written at engine start: several engines share one database.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Engine, delete, func, insert, select
from sqlalchemy.orm import Session

from geo.areas import AreaIndex
from geo.importers import ImportRejected, ImportResult
from geo.model import FacilityRow
from geo.progress import ImportReport, QuietReport
from geo.store import area_levels
from kernel.dataerrors import DataError, RowError
from kernel.messages import N_
from kernel.revisions import bump_data_revision
from routing.tables import (
    DidEntry,
    LocationTables,
    area_points,
    load_area_codes,
    load_dids,
    load_kode_pos,
    still_known,
)
from routing.tables_model import AreaCodePrefixRow, DidRow, KodePosRow

log = logging.getLogger("siaga.routing.tables")

T = TypeVar("T")

_STEP = 5000  # rows per INSERT


def _parsed(
    parse: Callable[[], tuple[dict[str, T], list[RowError]]], source: str, skip_bad: bool
) -> tuple[dict[str, T], list[RowError]]:
    """The good entries, or ImportRejected: a file without its columns, bad lines without `skip_bad`, or
    nothing to import (an empty file would empty the table; that is never what a re-import means)."""
    try:
        found, errors = parse()
    except DataError as exc:  # cannot open, not CSV, missing columns: the wrong file
        raise ImportRejected(exc.errors, 0) from exc
    if errors and not skip_bad:
        raise ImportRejected(errors, len(found))
    if not found:
        raise ImportRejected(errors or [RowError(source, 0, None, N_("no rows to import"))], 0)
    return found, errors


def _needs_areas(session: Session, source: str) -> set[str]:
    areas = set(area_levels(session))
    if not areas:
        raise ImportRejected(
            [RowError(source, 0, None, N_("no areas in the database: run `siaga import areas FILE` first"))],
            0,
        )
    return areas


def _replace(
    session: Session, table: type, rows: list[dict[str, str]], report: ImportReport, what: str
) -> None:
    progress = report.step(f"writing {what}")
    session.execute(delete(table))
    bump_data_revision(session, _VERB_OF[table])  # running engines reload their tables
    for start in range(0, len(rows), _STEP):
        session.execute(insert(table), rows[start : start + _STEP])
        progress(min(start + _STEP, len(rows)), len(rows))


def import_dids(
    engine: Engine, path: Path, *, skip_bad: bool = False, report: ImportReport | None = None
) -> ImportResult:
    """`did,facility_code,area_code,label` → the DID table, replaced whole in one transaction."""
    report = report or QuietReport()
    source = str(path)
    with Session(engine) as session, session.begin():
        areas = _needs_areas(session, source)
        facilities = set(session.scalars(select(FacilityRow.code)))
        found, errors = _parsed(lambda: load_dids(path, facilities, areas), source, skip_bad)
        rows = [
            {"key": e.key, "facility_code": e.facility_code, "area_code": e.area_code, "label": e.label}
            for e in found.values()
        ]
        _replace(session, DidRow, rows, report, "DIDs")
    return ImportResult("DIDs", source, len(rows), errors, list(report.warnings))


def import_kode_pos(
    engine: Engine, path: Path, *, skip_bad: bool = False, report: ImportReport | None = None
) -> ImportResult:
    """`kode_pos,area_code,label` → the kode pos table, replaced whole in one transaction."""
    report = report or QuietReport()
    source = str(path)
    with Session(engine) as session, session.begin():
        areas = _needs_areas(session, source)
        found, errors = _parsed(lambda: load_kode_pos(path, areas), source, skip_bad)
        rows = [
            {"kode_pos": code, "area_code": area, "label": label} for code, (area, label) in found.items()
        ]
        _replace(session, KodePosRow, rows, report, "kode pos")
    return ImportResult("kode pos", source, len(rows), errors, list(report.warnings))


def import_area_codes(
    engine: Engine, path: Path, *, skip_bad: bool = False, report: ImportReport | None = None
) -> ImportResult:
    """`prefix,area_code,name` → the area-code table, replaced whole in one transaction.

    The area codes may lie outside the imported areas (the plan can still name "Kota Jambi"), so this
    one needs no areas stored first."""
    report = report or QuietReport()
    source = str(path)
    with Session(engine) as session, session.begin():
        found, errors = _parsed(lambda: load_area_codes(path), source, skip_bad)
        rows = [
            {"prefix": f"0{digits}", "area_code": area, "name": name}
            for digits, (area, name) in found.items()
        ]
        _replace(session, AreaCodePrefixRow, rows, report, "area codes")
    return ImportResult("area codes", source, len(rows), errors, list(report.warnings))


_TABLE_OF: dict[str, type] = {
    "did": DidRow,
    "kode-pos": KodePosRow,
    "area-codes": AreaCodePrefixRow,
}

_VERB_OF = {table: verb for verb, table in _TABLE_OF.items()}

IMPORTERS: dict[str, Callable[..., ImportResult]] = {
    "did": import_dids,
    "kode-pos": import_kode_pos,
    "area-codes": import_area_codes,
}


def clear_table(engine: Engine, verb: str) -> None:
    """Empty one table (`siaga sample load` of a region folder without that file)."""
    table = _TABLE_OF[verb]
    with Session(engine) as session, session.begin():
        session.execute(delete(table))
        bump_data_revision(session, verb)


def table_sizes(engine: Engine) -> dict[str, int]:
    """Rows per table, by import verb."""
    with Session(engine) as session:
        return {
            verb: int(session.scalar(select(func.count()).select_from(table)) or 0)
            for verb, table in _TABLE_OF.items()
        }


def _read(
    session: Session,
) -> tuple[dict[str, DidEntry], dict[str, tuple[str, str]], dict[str, tuple[str, str]]]:
    dids = {
        r.key: DidEntry(r.key, r.facility_code, r.area_code, r.label) for r in session.scalars(select(DidRow))
    }
    kode_pos = {r.kode_pos: (r.area_code, r.label) for r in session.scalars(select(KodePosRow))}
    area_codes = {r.prefix[1:]: (r.area_code, r.name) for r in session.scalars(select(AreaCodePrefixRow))}
    return dids, kode_pos, area_codes


def _described(count: int, noun: str, origin: str) -> str:
    return f"{count:,} {noun} ({origin})"


def load_location_tables_from_db(
    engine: Engine,
    index: AreaIndex,
    facilities: set[str],
    *,
    shipped_area_codes: Path | None = None,
    did_file: Path | None = None,
    kode_pos_file: Path | None = None,
    area_codes_file: Path | None = None,
) -> LocationTables:
    """The engine's tables: the database's, each entry still naming a stored place.

    `did_file`, `kode_pos_file` and `area_codes_file` are the deprecated settings: a file set there is
    still read instead of its table (bad lines left out and logged, as before), so a site that upgrades
    keeps routing by its numbers until it has imported them. One line at INFO says where each table came
    from and how large it is; every entry left out is logged as an error.
    """
    areas = set(index.by_code)
    problems: list[RowError] = []
    with Session(engine) as session:
        dids, kode_pos, area_codes = _read(session)
    origins = {"did": "database", "kode-pos": "database", "area-codes": "database"}
    if did_file is not None:
        dids, bad = load_dids(did_file, facilities, areas) if did_file.exists() else ({}, [])
        problems += bad
        origins["did"] = f"deprecated setting did_file: {did_file}"
    if kode_pos_file is not None:
        kode_pos, bad = load_kode_pos(kode_pos_file, areas) if kode_pos_file.exists() else ({}, [])
        problems += bad
        origins["kode-pos"] = f"deprecated setting kode_pos_file: {kode_pos_file}"
    if area_codes_file is not None:
        area_codes, bad = load_area_codes(area_codes_file) if area_codes_file.exists() else ({}, [])
        problems += bad
        origins["area-codes"] = f"deprecated setting area_codes_file: {area_codes_file}"
    elif not area_codes and shipped_area_codes is not None and shipped_area_codes.exists():
        area_codes, bad = load_area_codes(shipped_area_codes)
        problems += bad
        origins["area-codes"] = f"none imported: the national table shipped with siaga, {shipped_area_codes}"
    dids, kode_pos, stale = still_known(dids, kode_pos, facilities, areas, "database")
    problems += stale
    for verb, found in (("did", dids), ("kode-pos", kode_pos), ("area-codes", area_codes)):
        if not found and origins[verb] == "database":
            origins[verb] = f"none imported, this location source has no data: `siaga import {verb} FILE.csv`"
    for problem in problems:
        log.error("bad line left out of a location table: %s", problem)
    log.info(
        "location tables: %s; %s; %s",
        _described(len(dids), "DIDs", origins["did"]),
        _described(len(kode_pos), "kode pos", origins["kode-pos"]),
        _described(len(area_codes), "area codes", origins["area-codes"]),
    )
    return LocationTables(dids, kode_pos, area_codes, area_points(index), tuple(problems))
