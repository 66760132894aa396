"""`siaga import desks FILE.csv`: desks.csv into the database, replacing the stored table whole.

Always all or nothing (no `--skip-bad`): a half-applied overflow table would send callers in circles or
nowhere (`desks.config`). Checked against the facilities already stored, in the same transaction.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, delete, insert
from sqlalchemy.orm import Session

from desks.config import DEFAULT_MAX_WAIT_S, parse_desks_csv
from desks.overflow_model import DeskOverflowRow
from geo.importers import ImportRejected, ImportResult
from geo.progress import ImportReport, QuietReport
from geo.store import read_facilities
from kernel.dataerrors import DataError, RowError
from kernel.messages import N_, Message
from kernel.revisions import DESKS, bump_data_revision


def import_desks(
    engine: Engine, path: Path, *, skip_bad: bool = False, report: ImportReport | None = None
) -> ImportResult:
    """`desk,overflow,max_wait_s` → the overflow table. `skip_bad` is refused: see the module's doc."""
    source = str(path)
    if skip_bad:
        raise ImportRejected([RowError(source, 0, None, N_("desks are imported whole or not at all"))], 0)
    report = report or QuietReport()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportRejected(
            [RowError(source, 0, None, Message("cannot read: {error}", error=str(exc)))], 0
        ) from exc
    with Session(engine) as session, session.begin():
        try:
            table = parse_desks_csv(text, source, read_facilities(session))
        except DataError as exc:
            raise ImportRejected(exc.errors, 0) from exc
        rows = [
            {"desk": d.code, "overflow": "|".join(d.overflow), "max_wait_s": d.max_wait_s}
            for d in table.desks.values()
            if d.overflow or d.max_wait_s != DEFAULT_MAX_WAIT_S
        ]
        session.execute(delete(DeskOverflowRow))
        bump_data_revision(session, DESKS)  # running engines rebuild their desk chains
        if rows:
            session.execute(insert(DeskOverflowRow), rows)
        report.step("writing desks")(len(rows), len(rows))
    return ImportResult("desks with overflow or a wait", source, len(rows), [], list(report.warnings))


def clear_desks(engine: Engine) -> None:
    """No desk has overflow (`siaga sample load` of a region folder without desks.csv)."""
    with Session(engine) as session, session.begin():
        session.execute(delete(DeskOverflowRow))
        bump_data_revision(session, DESKS)
