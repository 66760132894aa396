"""The dispatch application service: unit status changes and incidents, for every front-end alike (the
crew's DTMF and short codes, the softphone, the console, the CLI).

Each function runs in the caller's session and transaction and raises `InputError` naming the field, or
`NotFound`, before anything is written, so a refused request changes nothing. Every change writes its
audit entry (`kernel.audit`) in the same transaction. The rules themselves are pure: `dispatch.transitions`
(which status may follow which) and `dispatch.incidents` (checks, intervals, the announcement).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from dispatch.incidents import (
    MAX_ADDRESS,
    MAX_NOTES,
    Dispatch,
    Incident,
    announcement,
    caller_problem,
    categories_problem,
    category_problem,
    kabupaten_of_area,
    parse_priority,
    point_problems,
    text_problem,
)
from dispatch.model import IncidentDispatchRow, IncidentRow, UnitRow, UnitStatusChange
from dispatch.recommend import DispatchSettings, Recommendation, recommend
from dispatch.store import StatusChange, crew_duties, read_beds, read_units, statuses
from dispatch.transitions import (
    AT_HOSPITAL,
    DISPATCHED,
    ON_SCENE,
    RETURNING,
    STATUS_DIGITS,
    transition_problem,
)
from dispatch.travel import TravelTimes
from dispatch.units import AVAILABLE, NOT_IN_SERVICE, OUT_OF_SERVICE, crew_states
from geo.areas import AreaIndex
from geo.model import FacilityRow
from geo.store import read_facilities
from kernel import audit
from kernel.dataerrors import FieldError, InputError, NotFound
from kernel.messages import N_, Message
from routing.records.model import CallRecord
from shifts.store import utc_naive

__all__ = [
    "STATUS_DIGITS",
    "StatusChange",
    "close_incident",
    "dispatch_unit",
    "get_incident",
    "list_incidents",
    "open_incident",
    "set_unit_status",
    "unit_for_endpoint",
    "update_incident",
]

DEFAULT_ZONE = "Asia/Jakarta"
_STAMPS = {  # status → the dispatch column it stamps
    "en_route": "en_route_utc",
    "on_scene": "on_scene_utc",
    "transporting": "transporting_utc",
    "at_hospital": "at_hospital_utc",
    "returning": "returning_utc",
}


def _aware(value: datetime | None) -> datetime | None:
    return None if value is None else value.replace(tzinfo=UTC)


def _need_aware(now: datetime) -> datetime:
    if now.tzinfo is None:
        raise ValueError("dispatch needs a timezone-aware time")
    return now.astimezone(UTC)


# -- unit status ----------------------------------------------------------------------------------------


def unit_for_endpoint(session: Session, endpoint: str) -> str | None:
    """The unit whose crew phone `endpoint` is (None: not a unit's phone)."""
    return session.scalar(select(UnitRow.code).where(UnitRow.endpoint == endpoint))


def set_unit_status(
    session: Session, *, unit: str, status: str, source: str, actor: str, now: datetime
) -> StatusChange:
    """Record a unit's new status (refused by the rules of `dispatch.transitions`, naming `status`, or
    `unit` when there is no such unit); the unit's active dispatch and its incident follow. Reporting the
    status the unit already has writes nothing and returns `changed=False`."""
    now = _need_aware(now)
    row = session.get(UnitRow, unit)
    if row is None:
        raise InputError.one("unit", Message("unknown unit {unit!r}", unit=unit))
    previous = statuses(session).get(unit, AVAILABLE)
    problem = transition_problem(previous, status, source)
    if problem:
        raise InputError.one("source" if problem.startswith("source ") else "status", problem)
    active = _active_dispatch(session, unit)
    incident = active.incident_id if active is not None else None
    if status == previous:
        return StatusChange(unit, status, previous, now, actor, source, changed=False, incident=incident)
    session.add(
        UnitStatusChange(
            unit=unit, status=status, previous=previous, at_utc=utc_naive(now), by=actor[:100], source=source
        )
    )
    if active is not None and status != DISPATCHED:
        _follow(session, active, status, now)
    audit.record(
        session,
        actor,
        "unit_status",
        row.base_facility,
        f"unit {unit}: {previous} → {status} ({source})"
        + (f", incident {incident}" if incident is not None else ""),
        {"status": previous},
        {"status": status, "source": source, "at": now.isoformat(timespec="seconds"), "incident": incident},
    )
    return StatusChange(unit, status, previous, now, actor, source, incident=incident)


def _active_dispatch(session: Session, unit: str) -> IncidentDispatchRow | None:
    return session.scalar(
        select(IncidentDispatchRow)
        .where(IncidentDispatchRow.unit == unit, IncidentDispatchRow.ended_utc.is_(None))
        .order_by(IncidentDispatchRow.id.desc())
        .limit(1)
    )


def _follow(session: Session, run: IncidentDispatchRow, status: str, now: datetime) -> None:
    """Stamp the run and its incident with what the crew reported; end the run when the unit is free of
    it; close the incident when its patient has been reached and the last unit leaves."""
    at = utc_naive(now)
    incident = session.get(IncidentRow, run.incident_id)
    column = _STAMPS.get(status)
    if column is not None and getattr(run, column) is None:
        setattr(run, column, at)
    if incident is not None:
        if status == ON_SCENE and incident.on_scene_utc is None:
            incident.on_scene_utc = at
        if status == AT_HOSPITAL and incident.at_hospital_utc is None:
            incident.at_hospital_utc = at
    if status in (AVAILABLE, OUT_OF_SERVICE):
        run.ended_utc = at
        if status == OUT_OF_SERVICE:
            run.end_reason = "out of service"
        else:
            run.end_reason = "completed" if run.on_scene_utc is not None else "stood down"
    done = run.on_scene_utc is not None and status in (RETURNING, AVAILABLE)
    if done and incident is not None and incident.closed_utc is None:
        others = session.scalars(
            select(IncidentDispatchRow.id).where(
                IncidentDispatchRow.incident_id == incident.id,
                IncidentDispatchRow.ended_utc.is_(None),
                IncidentDispatchRow.id != run.id,
            )
        ).first()
        if others is None:
            incident.closed_utc = at
            incident.close_reason = f"unit {run.unit} {status}"


# -- incidents ------------------------------------------------------------------------------------------


_UNSET: object = object()


@dataclass(frozen=True)
class Place:
    area_code: str = ""
    area_name: str = ""
    kabupaten: str | None = None


def _place(areas: AreaIndex | None, lat: float, lon: float) -> Place:
    if areas is None:
        return Place()
    lineage = areas.place(lat, lon).lineage
    if not lineage:
        return Place()
    kabupaten = next((a.code for a in lineage if a.level == "kabupaten"), None)
    return Place(lineage[0].code, " < ".join(a.name for a in lineage), kabupaten)


def _zone(session: Session, kabupaten: str | None) -> str:
    """The kabupaten's time zone (its facilities'), for the shift an incident belongs to."""
    if not kabupaten:
        return DEFAULT_ZONE
    found = session.scalar(
        select(FacilityRow.timezone).where(FacilityRow.area_code.like(f"{kabupaten}.%")).limit(1)
    )
    return found or DEFAULT_ZONE


def _incident_id(incident: str | int) -> int:
    text = str(incident).strip().lstrip("#")
    if not text.isdigit() or len(text) > 12:
        raise InputError.one("incident", Message("{incident!r} is not an incident number", incident=incident))
    return int(text)


def _row(session: Session, incident: str | int) -> IncidentRow:
    row = session.get(IncidentRow, _incident_id(incident))
    if row is None:
        raise NotFound(Message("no incident {incident}", incident=incident))
    return row


def open_incident(
    session: Session,
    *,
    category: str,
    priority: str,
    actor: str,
    now: datetime,
    categories: Sequence[str],
    call_id: str | None = None,
    caller: str | None = None,
    lat: float | None = None,
    lon: float | None = None,
    address: str | None = None,
    notes: str = "",
    areas: AreaIndex | None = None,
) -> Incident:
    """Open an incident from a call record (`call_id`: its caller, location and arrival time; a location
    given here overrides the call's) or from a number and a point typed by the operator. Every bad field
    is named at once; nothing is written unless all are good."""
    now = _need_aware(now)
    setting = categories_problem(categories)
    if setting:  # a bad setting, not a bad request: say which setting
        raise ValueError(setting)
    errors: list[FieldError] = []
    problem = category_problem(category, categories)
    if problem:
        errors.append(FieldError("category", problem))
    chosen, problem = parse_priority(priority)
    if problem:
        errors.append(FieldError("priority", problem))
    for field, value, limit in (("notes", notes, MAX_NOTES), ("address", address or "", MAX_ADDRESS)):
        problem = text_problem(value, limit)
        if problem:
            errors.append(FieldError(field, problem))
    errors += point_problems(lat, lon)
    record: CallRecord | None = None
    if call_id is not None:
        record = session.scalar(select(CallRecord).where(CallRecord.call_id == call_id))
        if record is None:
            errors.append(
                FieldError(
                    "call_id",
                    Message(
                        "no call record {call!r} (a new call's record arrives within seconds)", call=call_id
                    ),
                )
            )
        else:
            taken = session.scalar(select(IncidentRow.id).where(IncidentRow.call_id == call_id))
            if taken is not None:
                errors.append(
                    FieldError(
                        "call_id",
                        Message("call {call} already has incident {incident}", call=call_id, incident=taken),
                    )
                )
    if caller is not None:
        problem = caller_problem(caller)
        if problem:
            errors.append(FieldError("caller", problem))
    if call_id is None and caller is None and lat is None:
        errors.append(FieldError("call_id", N_("give the call's id, or the caller's number and location")))
    if errors:
        raise InputError(errors)

    row = IncidentRow(
        category=category,
        priority=chosen or "",
        notes=notes,
        operator=actor[:100],
        opened_utc=utc_naive(now),
        caller=caller or "",
    )
    if record is not None:
        row.call_id = record.call_id
        row.caller = caller or record.caller or ""
        row.call_started_utc = record.started_at
        if record.lat is not None and record.lon is not None:
            row.lat, row.lon = record.lat, record.lon
            row.location_source = record.location_source or ""
        row.address = record.location_label or ""
        row.area_code = record.area_code or ""
        row.area_name = record.area_name or ""
        row.kabupaten = kabupaten_of_area(row.area_code)
    if lat is not None and lon is not None:
        _relocate(row, lat, lon, areas)
    if address is not None:
        row.address = address
    row.timezone = _zone(session, row.kabupaten)
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        "incident_open",
        None,
        f"incident {row.id} opened: {row.category}, {row.priority}"
        + (f", from call {row.call_id}" if row.call_id else ""),
        None,
        {"incident": row.id, "category": row.category, "priority": row.priority, "kabupaten": row.kabupaten},
    )
    return _view(session, row)


def _relocate(row: IncidentRow, lat: float, lon: float, areas: AreaIndex | None) -> None:
    row.lat, row.lon = lat, lon
    row.location_source = "operator"
    place = _place(areas, lat, lon)
    if place.area_code or areas is not None:
        row.area_code, row.area_name, row.kabupaten = place.area_code, place.area_name, place.kabupaten


def update_incident(
    session: Session,
    *,
    incident: str | int,
    actor: str,
    now: datetime,
    lat: float | None = None,
    lon: float | None = None,
    address: str | None = None,
    notes: str | None = None,
    areas: AreaIndex | None = None,
) -> Incident:
    """Correct an incident's location (a point, an address, or both) or its notes; closed ones too, since a
    record is fixed after the fact. The area and kabupaten follow a new point."""
    now = _need_aware(now)
    row = _row(session, incident)
    errors = point_problems(lat, lon)
    for field, value, limit in (("notes", notes, MAX_NOTES), ("address", address, MAX_ADDRESS)):
        problem = text_problem(value, limit) if value is not None else None
        if problem:
            errors.append(FieldError(field, problem))
    if lat is None and address is None and notes is None:
        errors.append(FieldError("request", N_("nothing to change: give lat/lon, address or notes")))
    if errors:
        raise InputError(errors)
    before = {"lat": row.lat, "lon": row.lon, "address": row.address, "notes": row.notes}
    if lat is not None and lon is not None:
        _relocate(row, lat, lon, areas)
        row.timezone = _zone(session, row.kabupaten)
    if address is not None:
        row.address = address
    if notes is not None:
        row.notes = notes
    after = {"lat": row.lat, "lon": row.lon, "address": row.address, "notes": row.notes}
    audit.record(session, actor, "incident_update", None, f"incident {row.id} changed", before, after)
    return _view(session, row)


def close_incident(
    session: Session, *, incident: str | int, actor: str, now: datetime, reason: str = ""
) -> Incident:
    """Close by hand (advice given on the phone, a false alarm); refused while a unit is still on it,
    since the crew's reports are what close a run."""
    now = _need_aware(now)
    row = _row(session, incident)
    if row.closed_utc is not None:
        raise InputError.one("incident", Message("incident {incident} is already closed", incident=row.id))
    problem = text_problem(reason, MAX_ADDRESS)
    if problem:
        raise InputError.one("reason", problem)
    busy = session.scalars(
        select(IncidentDispatchRow.unit).where(
            IncidentDispatchRow.incident_id == row.id, IncidentDispatchRow.ended_utc.is_(None)
        )
    ).all()
    if busy:
        raise InputError.one(
            "incident",
            Message(
                "unit(s) {units} still on incident {incident}: they close it as they report",
                units=", ".join(busy),
                incident=row.id,
            ),
        )
    row.closed_utc = utc_naive(now)
    row.close_reason = reason or "closed by hand"
    audit.record(
        session, actor, "incident_close", None, f"incident {row.id} closed: {row.close_reason}", None, None
    )
    return _view(session, row)


def dispatch_unit(session: Session, *, incident: str, unit: str, actor: str, now: datetime) -> Dispatch:
    """Send `unit` to `incident`: refused (naming `unit`) when it has no crew in service now, is out of
    service or busy, and (naming `incident`) when the incident is closed. The unit becomes `dispatched`.
    The answer carries the crew's endpoint and the announcement, for the call that rings them."""
    now = _need_aware(now)
    row = _row(session, incident)
    if row.closed_utc is not None:
        raise InputError.one("incident", Message("incident {incident} is closed", incident=row.id))
    unit_row = session.get(UnitRow, unit)
    if unit_row is None:
        raise InputError.one("unit", Message("unknown unit {unit!r}", unit=unit))
    status = statuses(session).get(unit, AVAILABLE)
    if status == OUT_OF_SERVICE:
        raise InputError.one("unit", Message("unit {unit} is out of service", unit=unit))
    crew = crew_states(now, crew_duties(session, now)).get(unit)
    problem = crew.problem if crew is not None else NOT_IN_SERVICE
    if problem is not None:
        raise InputError.one(
            "unit",
            Message(
                "unit {unit} cannot go: {problem} (no driver and medic on duty on it)",
                unit=unit,
                problem=problem,
            ),
        )
    if status != AVAILABLE:
        raise InputError.one("unit", Message("unit {unit} is busy ({status})", unit=unit, status=status))
    set_unit_status(session, unit=unit, status=DISPATCHED, source="dispatch", actor=actor, now=now)
    run = IncidentDispatchRow(incident_id=row.id, unit=unit, actor=actor[:100], dispatched_utc=utc_naive(now))
    session.add(run)
    if row.dispatched_utc is None:
        row.dispatched_utc = utc_naive(now)
    session.flush()
    audit.record(
        session,
        actor,
        "incident_dispatch",
        unit_row.base_facility,
        f"unit {unit} dispatched to incident {row.id}",
        None,
        {"incident": row.id, "unit": unit},
    )
    view = _view(session, row)
    return Dispatch(
        run.id,
        row.id,
        unit,
        run.actor,
        now,
        endpoint=unit_row.endpoint,
        announcement=announcement(view),
    )


# -- reading --------------------------------------------------------------------------------------------


def _dispatch_view(r: IncidentDispatchRow) -> Dispatch:
    return Dispatch(
        r.id,
        r.incident_id,
        r.unit,
        r.actor,
        r.dispatched_utc.replace(tzinfo=UTC),
        _aware(r.en_route_utc),
        _aware(r.on_scene_utc),
        _aware(r.transporting_utc),
        _aware(r.at_hospital_utc),
        _aware(r.returning_utc),
        _aware(r.ended_utc),
        r.end_reason,
    )


def _view(session: Session, row: IncidentRow, runs: list[IncidentDispatchRow] | None = None) -> Incident:
    if runs is None:
        runs = list(
            session.scalars(
                select(IncidentDispatchRow)
                .where(IncidentDispatchRow.incident_id == row.id)
                .order_by(IncidentDispatchRow.id)
            )
        )
    return Incident(
        row.id,
        row.call_id,
        row.caller,
        row.lat,
        row.lon,
        row.address,
        row.location_source,
        row.area_code,
        row.area_name,
        row.kabupaten,
        row.timezone,
        row.category,
        row.priority,
        row.notes,
        row.operator,
        _aware(row.call_started_utc),
        row.opened_utc.replace(tzinfo=UTC),
        _aware(row.dispatched_utc),
        _aware(row.on_scene_utc),
        _aware(row.at_hospital_utc),
        _aware(row.closed_utc),
        row.close_reason,
        tuple(_dispatch_view(r) for r in runs),
    )


def get_incident(session: Session, incident: str | int) -> Incident:
    return _view(session, _row(session, incident))


def list_incidents(
    session: Session,
    *,
    open_only: bool = False,
    kabupaten: frozenset[str] | None = None,
    since: datetime | None = None,
    limit: int = 200,
) -> list[Incident]:
    """Newest first; `kabupaten` None means every incident (a national reader), else only those located
    in one of them (an incident with no known kabupaten is a national reader's)."""
    query = select(IncidentRow).order_by(IncidentRow.id.desc()).limit(limit)
    if open_only:
        query = query.where(IncidentRow.closed_utc.is_(None))
    if kabupaten is not None:
        query = query.where(IncidentRow.kabupaten.in_(sorted(kabupaten)))
    if since is not None:
        query = query.where(IncidentRow.opened_utc >= utc_naive(since))
    rows = list(session.scalars(query))
    runs: dict[int, list[IncidentDispatchRow]] = {r.id: [] for r in rows}
    if rows:
        for run in session.scalars(
            select(IncidentDispatchRow)
            .where(IncidentDispatchRow.incident_id.in_(list(runs)))
            .order_by(IncidentDispatchRow.id)
        ):
            runs[run.incident_id].append(run)
    return [_view(session, r, runs[r.id]) for r in rows]


def recommend_here(
    session: Session,
    now: datetime,
    lat: float,
    lon: float,
    *,
    need: str,
    bed_class: str,
    settings: DispatchSettings,
    travel: TravelTimes,
) -> Recommendation:
    """The dispatch recommendation for a point, from what is stored now: the units, their crews on duty,
    their statuses and the hospitals' beds. `siaga dispatch recommend`, the console and the tests ask here,
    so they cannot disagree."""
    return recommend(
        now,
        lat,
        lon,
        need=need,
        bed_class=bed_class,
        units=read_units(session),
        facilities={f.code: f for f in read_facilities(session)},
        duties=crew_duties(session, now),
        statuses=statuses(session),
        beds=read_beds(session),
        settings=settings,
        travel=travel,
    )
