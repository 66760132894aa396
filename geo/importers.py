"""`siaga import areas|facilities|callers`: file → checks → database, all or nothing unless asked.

Each import runs in one transaction. By default any bad row rejects the whole file (every problem listed
by line or feature number); with `skip_bad` the good rows land and the bad ones are returned as skipped.
Checks that need what is already stored (a parent kecamatan, a facility's area) read it in the same
transaction, so a file of desa can follow a file of kecamatan.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from geo.areas import PropertyMap, parse_area_features, read_feature_collection
from geo.callers import parse_callers_csv
from geo.facilities import parse_facilities_csv
from geo.model import FacilityRow
from geo.parsed import Parsed
from geo.progress import ImportReport, QuietReport
from geo.store import area_levels, write_areas, write_callers, write_facilities
from kernel.dataerrors import DataError, RowError
from kernel.messages import N_, Message, untranslated


class ImportRejected(DataError):
    """Bad rows and no `--skip-bad`: nothing was written."""

    def __init__(self, errors: list[RowError], good: int) -> None:
        super().__init__(errors)
        self.good = good


def _grouped(value: float, digits: int) -> str:
    return f"{value:,.{digits}f}"


# What each importer brings in (`ImportResult.what`, here and in routing, desks and dispatch), as words.
IMPORTED = (
    N_("areas"),
    N_("facilities"),
    N_("callers"),
    N_("DIDs"),
    N_("kode pos"),
    N_("area codes"),
    N_("desks with overflow or a wait"),
    N_("units"),
    N_("bed counts"),
)


@dataclass
class ImportResult:
    what: str
    source: str
    imported: int
    skipped: list[RowError] = field(default_factory=list)
    warnings: list[RowError] = field(default_factory=list)

    def summary(
        self, translate: Callable[[str], str] = untranslated, number: Callable[[float, int], str] = _grouped
    ) -> str:
        """One line for the person who ran the import; `translate` (`tr`) and `number`
        (`web.i18n.format_number`) put it in their language, the defaults give English."""
        t = translate
        what = t(self.what) if self.what in IMPORTED else self.what
        text = t(
            Message(
                "imported {count} {what} from {source}",
                count=number(self.imported, 0),
                what=what,
                source=self.source,
            )
        )
        extra = []
        if self.skipped:
            lines = number(len({e.line for e in self.skipped}), 0)
            extra.append(
                t(Message("{count} bad feature(s) skipped", count=lines))
                if self.what == "areas"
                else t(Message("{count} bad row(s) skipped", count=lines))
            )
        if self.warnings:
            extra.append(t(Message("{count} warning(s)", count=number(len(self.warnings), 0))))
        return text + (f" ({', '.join(extra)})" if extra else "")


def _decide(parsed: Parsed[object], source: str, skip_bad: bool, report: ImportReport) -> None:
    report.warn(parsed.warnings)
    if parsed.errors and not skip_bad:
        raise ImportRejected(parsed.errors, len(parsed.rows))
    if not parsed.rows:
        problems = parsed.errors or [RowError(source, 0, None, N_("no rows to import"))]
        raise ImportRejected(problems, 0)


def import_areas(
    engine: Engine,
    path: Path,
    *,
    mapping: PropertyMap | None = None,
    skip_bad: bool = False,
    replace: bool = False,
    report: ImportReport | None = None,
) -> ImportResult:
    report = report or QuietReport()
    source = str(path)
    features = read_feature_collection(path)
    with Session(engine) as session, session.begin():
        known = {} if replace else area_levels(session)
        parsed = parse_area_features(features, source, mapping, known, report.step("checking areas"))
        _decide(parsed, source, skip_bad, report)  # type: ignore[arg-type]
        count = write_areas(session, parsed.rows, replace=replace, progress=report.step("writing areas"))
        if replace:
            codes = {a.code for a in parsed.rows}
            orphans = [
                c
                for c, a in session.execute(select(FacilityRow.code, FacilityRow.area_code))
                if a not in codes
            ]
            if orphans:
                report.warn(
                    [
                        RowError(
                            source,
                            0,
                            None,
                            f"{len(orphans)} stored facilities (e.g. {orphans[0]!r}) name areas no longer "
                            "stored: import the facilities again",
                        )
                    ]
                )
    return ImportResult("areas", source, count, parsed.errors, list(report.warnings))


def import_facilities(
    engine: Engine,
    path: Path,
    *,
    skip_bad: bool = False,
    replace: bool = False,
    report: ImportReport | None = None,
) -> ImportResult:
    report = report or QuietReport()
    source = str(path)
    with Session(engine) as session, session.begin():
        known = set(area_levels(session))
        if not known:
            raise ImportRejected(
                [
                    RowError(
                        source, 0, None, N_("no areas in the database: run `siaga import areas FILE` first")
                    )
                ],
                0,
            )
        parsed = parse_facilities_csv(path, known, report.step("checking facilities"))
        _decide(parsed, source, skip_bad, report)  # type: ignore[arg-type]
        count = write_facilities(
            session, parsed.rows, replace=replace, progress=report.step("writing facilities")
        )
    return ImportResult("facilities", source, count, parsed.errors, list(report.warnings))


def import_callers(
    engine: Engine,
    path: Path,
    *,
    skip_bad: bool = False,
    replace: bool = False,
    report: ImportReport | None = None,
) -> ImportResult:
    report = report or QuietReport()
    source = str(path)
    with Session(engine) as session, session.begin():
        parsed = parse_callers_csv(path, report.step("checking callers"))
        _decide(parsed, source, skip_bad, report)  # type: ignore[arg-type]
        count = write_callers(session, parsed.rows, replace=replace, progress=report.step("writing callers"))
    return ImportResult("callers", source, count, parsed.errors, list(report.warnings))
