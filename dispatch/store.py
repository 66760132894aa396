"""The database edge of dispatch: units, their statuses and crews, bed reports and the hospitals' tokens.

Everything here runs in the caller's session and transaction; the imports open their own, one per file,
so a file lands whole or not at all.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from dispatch.beds import BedReport, parse_beds_csv
from dispatch.model import BedReportRow, BedToken, UnitRow, UnitStatusChange
from dispatch.units import CrewDuty, Unit, parse_units_csv
from geo.importers import ImportRejected, ImportResult
from geo.model import FacilityRow
from kernel.dataerrors import DataError, RowError
from kernel.messages import Message
from shifts.model import Assignment
from shifts.store import load_roster, utc_naive

TOKEN_BYTES = 32


class DispatchError(ValueError):
    """A command named something that does not exist or cannot be; the message says which and why."""


def _aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportRejected(
            [RowError(str(path), 0, None, Message("cannot read: {error}", error=str(exc)))], 0
        ) from exc


def facility_kinds(session: Session) -> dict[str, str]:
    return {k: v for k, v in session.execute(select(FacilityRow.code, FacilityRow.kind))}


# -- units ----------------------------------------------------------------------------------------------


def read_units(session: Session) -> list[Unit]:
    rows = session.scalars(select(UnitRow).order_by(UnitRow.code))
    return [Unit(r.code, r.name, r.base_facility, r.kind, r.endpoint) for r in rows]


def unit_bases(session: Session) -> dict[str, str]:
    """Unit code → base facility: what a roster import needs to check its `unit` column."""
    return {k: v for k, v in session.execute(select(UnitRow.code, UnitRow.base_facility))}


def import_units(engine: Engine, path: Path, *, replace: bool = False) -> ImportResult:
    """`siaga import units FILE.csv`: all or nothing; `replace` swaps every stored unit for the file's."""
    source = str(path)
    text = _read_text(path)
    with Session(engine) as session, session.begin():
        try:
            count = write_units_csv(session, text, source, replace=replace)
        except DataError as exc:
            raise ImportRejected(exc.errors, 0) from exc
    return ImportResult("units", source, count)


def write_units_csv(session: Session, text: str, source: str, *, replace: bool = False) -> int:
    """Check a whole units file against the stored facilities and units, then write it in the caller's
    transaction; `DataError` naming every bad line otherwise."""
    stored = {} if replace else {u.code: u for u in read_units(session)}
    units = parse_units_csv(text, source, facility_kinds(session), stored)
    if replace:
        session.execute(delete(UnitRow))
    session.add_all(
        UnitRow(code=u.code, name=u.name, base_facility=u.base_facility, kind=u.kind, endpoint=u.endpoint)
        for u in units
    )
    return len(units)


# -- statuses -------------------------------------------------------------------------------------------


def statuses(session: Session) -> dict[str, str]:
    """Each unit's newest status; a unit never reported on is absent (available)."""
    newest = (
        select(UnitStatusChange.unit, func.max(UnitStatusChange.id).label("id"))
        .group_by(UnitStatusChange.unit)
        .subquery()
    )
    query = select(UnitStatusChange.unit, UnitStatusChange.status).join(
        newest, UnitStatusChange.id == newest.c.id
    )
    return {k: v for k, v in session.execute(query)}


@dataclass(frozen=True)
class StatusChange:
    unit: str
    status: str
    previous: str
    at: datetime
    by: str
    source: str
    changed: bool = True  # False: the unit already had this status (nothing was written)
    incident: int | None = None  # the incident the unit was on when it changed, if any


def status_history(session: Session, unit: str, limit: int = 20) -> list[StatusChange]:
    rows = session.scalars(
        select(UnitStatusChange)
        .where(UnitStatusChange.unit == unit)
        .order_by(UnitStatusChange.id.desc())
        .limit(limit)
    )
    return [StatusChange(r.unit, r.status, r.previous, _aware(r.at_utc), r.by, r.source) for r in rows]


# -- crews ----------------------------------------------------------------------------------------------


def crew_duties(session: Session, now: datetime) -> list[CrewDuty]:
    """The duties on a unit running at `now`, as worked: the roster's leave and swaps applied, so a
    swapped-in colleague crews the unit and a crew member on leave does not."""
    roster = load_roster(session, now, now)
    at = utc_naive(now)
    on_units = {
        (staff_id, facility, day, shift): unit
        for staff_id, facility, day, shift, unit in session.execute(
            select(
                Assignment.staff_id,
                Assignment.facility_code,
                Assignment.shift_date,
                Assignment.shift,
                Assignment.unit,
            ).where(Assignment.unit.is_not(None), Assignment.start_utc <= at, Assignment.end_utc > at)
        )
    }
    if not on_units:
        return []
    found = []
    for duty in roster.resolved():
        unit = on_units.get(
            (duty.covering_for or duty.staff_id, duty.facility_code, duty.shift_date, duty.shift)
        )
        if unit is not None:
            found.append(CrewDuty(unit, duty.staff_id, duty.role, duty.start, duty.end))
    return found


# -- beds -----------------------------------------------------------------------------------------------


def read_beds(session: Session, hospitals: Iterable[str] | None = None) -> list[BedReport]:
    """Every stored count, or those of the given hospitals only (a public page reads one kabupaten's)."""
    query = select(BedReportRow).order_by(BedReportRow.hospital, BedReportRow.bed_class)
    if hospitals is not None:
        query = query.where(BedReportRow.hospital.in_(list(hospitals)))
    rows = session.scalars(query)
    return [
        BedReport(r.hospital, r.bed_class, r.total, r.occupied, r.waiting, _aware(r.updated_utc))
        for r in rows
    ]


def older_than_stored(session: Session, reports: Iterable[BedReport], source: str) -> list[RowError]:
    """A count older than the one stored would put yesterday's beds back on the board: refused."""
    stored = {(b.hospital, b.bed_class): b for b in read_beds(session)}
    errors = []
    for report in reports:
        newer = stored.get((report.hospital, report.bed_class))
        if newer is not None and report.updated_at < newer.updated_at:
            errors.append(
                RowError(
                    source,
                    report.line,
                    "updated_at",
                    f"{report.updated_at.isoformat()} is older than the stored count of "
                    f"{newer.updated_at.isoformat()} for {report.hospital} {report.bed_class}",
                )
            )
    return errors


def write_beds(session: Session, reports: Iterable[BedReport], source: str, now: datetime) -> int:
    count = 0
    for report in reports:
        session.merge(
            BedReportRow(
                hospital=report.hospital,
                bed_class=report.bed_class,
                total=report.total,
                occupied=report.occupied,
                waiting=report.waiting,
                updated_utc=utc_naive(report.updated_at),
                received_utc=utc_naive(now),
                source=source[:100],
            )
        )
        count += 1
    return count


def import_beds(engine: Engine, path: Path, *, now: datetime | None = None) -> ImportResult:
    """`siaga import beds FILE.csv`: all or nothing; a line replaces its hospital's count of its class."""
    now = now or datetime.now(UTC)
    source = str(path)
    text = _read_text(path)
    with Session(engine) as session, session.begin():
        try:
            count = write_beds_csv(session, text, source, now)
        except DataError as exc:
            raise ImportRejected(exc.errors, 0) from exc
    return ImportResult("bed counts", source, count)


def write_beds_csv(session: Session, text: str, source: str, now: datetime, *, replace: bool = False) -> int:
    """Check a whole beds file (and that no line is older than the stored count), then write it in the
    caller's transaction; `replace` first removes every stored count (the sample's load)."""
    reports = parse_beds_csv(text, source, facility_kinds(session), now)
    if replace:
        session.execute(delete(BedReportRow))
    else:
        errors = older_than_stored(session, reports, source)
        if errors:
            raise DataError(errors)
    return write_beds(session, reports, f"import:{Path(source).name}", now)


# -- the hospitals' tokens ------------------------------------------------------------------------------


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def add_token(session: Session, hospital: str, by: str, now: datetime) -> tuple[int, str]:
    """A new token that may write `hospital`'s beds: (id, token). The token is returned once, never stored."""
    kind = facility_kinds(session).get(hospital)
    if kind is None:
        raise DispatchError(Message("hospital: unknown facility {facility!r}", facility=hospital))
    if kind != "hospital":
        raise DispatchError(
            Message("hospital: {facility} is a {kind}, not a hospital", facility=hospital, kind=kind)
        )
    token = secrets.token_urlsafe(TOKEN_BYTES)
    row = BedToken(
        hospital=hospital, token_sha256=token_digest(token), created_utc=utc_naive(now), created_by=by[:100]
    )
    session.add(row)
    session.flush()
    return row.id, token


@dataclass(frozen=True)
class TokenHolder:
    id: int
    hospital: str


def token_holder(session: Session, token: str) -> TokenHolder | None:
    """Whose token this is (None: unknown or revoked). Looked up by its digest, so no comparison of the
    secret itself happens in Python."""
    if not token or len(token) > 200:
        return None
    row = session.scalar(select(BedToken).where(BedToken.token_sha256 == token_digest(token)))
    if row is None or row.revoked:
        return None
    return TokenHolder(row.id, row.hospital)


@dataclass(frozen=True)
class TokenView:
    id: int
    hospital: str
    created_at: datetime
    created_by: str
    revoked: bool


def list_tokens(session: Session) -> list[TokenView]:
    rows = session.scalars(select(BedToken).order_by(BedToken.id))
    return [TokenView(r.id, r.hospital, _aware(r.created_utc), r.created_by, r.revoked) for r in rows]


def revoke_token(session: Session, token_id: int) -> None:
    row = session.get(BedToken, token_id)
    if row is None:
        raise DispatchError(Message("token: no token {token}", token=token_id))
    row.revoked = True
