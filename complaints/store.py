"""Every read and write of the complaint tables, and the two facts the desk needs from other domains'
tables: a facility's zone and kabupaten (`geo`), and the area of the complaints line's DID (`routing`).

Writes only add to the caller's transaction; the service decides and commits nothing itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from complaints.model import ComplaintRow, ComplaintStepRow
from complaints.numbers import new_number
from geo.callers import normalise_number
from geo.model import AreaRow, FacilityRow
from routing.tables_model import DidRow


def utc_naive(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("a time without its zone reached the complaints store")
    return value.astimezone(UTC).replace(tzinfo=None)


def aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC)


def insert_complaint(session: Session, row: ComplaintRow) -> ComplaintRow:
    """Add the complaint and give it its number, which is made from the id the database assigns."""
    session.add(row)
    session.flush()
    row.number = new_number(row.id)
    session.flush()
    return row


def add_step(session: Session, step: ComplaintStepRow) -> None:
    session.add(step)


def by_number(session: Session, number: str) -> ComplaintRow | None:
    return session.scalar(select(ComplaintRow).where(ComplaintRow.number == number))


def steps_of(session: Session, complaint_ids: Iterable[int]) -> dict[int, list[ComplaintStepRow]]:
    ids = list(complaint_ids)
    found: dict[int, list[ComplaintStepRow]] = {i: [] for i in ids}
    if not ids:
        return found
    query = (
        select(ComplaintStepRow)
        .where(ComplaintStepRow.complaint_id.in_(ids))
        .order_by(ComplaintStepRow.at, ComplaintStepRow.id)
    )
    for step in session.scalars(query):
        found[step.complaint_id].append(step)
    return found


def complaints_query(
    *,
    status: str | None = None,
    category: str | None = None,
    facility: str | None = None,
    desks: Iterable[str] | None = None,
    open_only: Iterable[str] | None = None,
) -> Select[tuple[ComplaintRow]]:
    query = select(ComplaintRow).order_by(ComplaintRow.received_at.desc(), ComplaintRow.id.desc())
    if status:
        query = query.where(ComplaintRow.status == status)
    if category:
        query = query.where(ComplaintRow.category == category)
    if facility:
        query = query.where(ComplaintRow.facility_code == facility)
    if desks is not None:
        query = query.where(ComplaintRow.desk.in_(list(desks)))
    if open_only is not None:
        query = query.where(ComplaintRow.status.in_(list(open_only)))
    return query


def select_complaints(session: Session, query: Select[tuple[ComplaintRow]], limit: int) -> list[ComplaintRow]:
    return list(session.scalars(query.limit(limit)))


def received_between(session: Session, start: datetime, end: datetime) -> list[ComplaintRow]:
    query = select(ComplaintRow).where(
        ComplaintRow.received_at >= utc_naive(start), ComplaintRow.received_at < utc_naive(end)
    )
    return list(session.scalars(query))


def facility_place(session: Session, code: str) -> tuple[str, str] | None:
    """(zone, kabupaten code or "") of a stored facility; None if there is no such facility."""
    row = session.execute(
        select(FacilityRow.timezone, FacilityRow.area_code).where(FacilityRow.code == code)
    ).first()
    if row is None:
        return None
    return row.timezone, kabupaten_of_area(session, row.area_code) or ""


def kabupaten_of_area(session: Session, code: str | None) -> str | None:
    """The kabupaten-level ancestor of an area (the area itself if it is one), walking up at most 8 levels."""
    for _ in range(8):
        if code is None:
            return None
        row = session.execute(select(AreaRow.level, AreaRow.parent).where(AreaRow.code == code)).first()
        if row is None:
            return None
        if row.level == "kabupaten":
            return code
        code = row.parent
    return None


def did_desk(session: Session, number: str) -> str | None:
    """The kabupaten of the area (or facility) the DID table gives for the complaints line's number."""
    key = normalise_number(number)
    if key is None:
        return None
    row = session.get(DidRow, key)
    if row is None:
        return None
    if row.area_code:
        return kabupaten_of_area(session, row.area_code)
    place = facility_place(session, row.facility_code)
    return place[1] or None if place else None
