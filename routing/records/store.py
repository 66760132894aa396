"""Applying record events to the database, and reading records back for `siaga calls`.

Events touch disjoint columns (the plan's versus the outcome's), so they may arrive in either order: the
`route` and `outcome` scripts of one call often run in different engine workers.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, selectinload

from desks.callbacks import CallbackSummary
from desks.topics import desk_of_queue
from geo.model import FacilityRow
from routing.records.model import CallAttempt, CallRecord
from shifts.model import Assignment, Staff


def _utc(epoch: float | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC).replace(tzinfo=None)


def _record(session: Session, call_id: str) -> CallRecord:
    row = session.scalars(
        select(CallRecord).where(CallRecord.call_id == call_id).options(selectinload(CallRecord.attempts))
    ).one_or_none()
    if row is None:
        row = CallRecord(call_id=call_id, route_status="", plan_json="")
        session.add(row)
    return row


def apply_plan(session: Session, event: dict[str, Any]) -> None:
    plan = event["plan"]
    row = _record(session, event["call_id"])
    if row.started_at is None and event.get("started"):
        row.started_at = _utc(float(event["started"]))
    if row.started_at is None:
        row.started_at = datetime.fromisoformat(plan["at"]).astimezone(UTC).replace(tzinfo=None)
    row.caller = plan.get("caller") or row.caller or ""
    row.service = plan.get("service") or row.service or ""
    if not row.route_status or row.route_status == "ok":
        row.route_status = "ok"
    location = plan.get("location") or {}
    row.location_source = location.get("source")
    row.lat, row.lon = location.get("lat"), location.get("lon")
    row.accuracy_m = location.get("accuracy_m")
    row.location_label = (location.get("label") or "")[:200]
    area = plan.get("area") or {}
    row.area_code = area.get("code", "")
    row.area_name = " < ".join(a["name"] for a in plan.get("areas", []))[:200]
    kept = {k: plan.get(k) for k in ("targets", "skipped", "desks", "notes", "ask_digits", "budget_s")}
    previous = json.loads(row.plan_json) if row.plan_json else {}
    if {k: v for k, v in previous.items() if k != "earlier"} == kept:
        return  # the same plan again (a writer re-reading its spool): nothing to change
    if previous.get("targets"):
        kept["earlier"] = {k: previous.get(k) for k in ("targets", "notes")}
    row.plan_json = json.dumps(kept, ensure_ascii=False)
    names = {t["endpoint"]: (t["facility"], t["facility_name"]) for t in plan.get("targets", [])}
    for attempt in row.attempts:  # the outcome may have been written first
        if attempt.facility is None and attempt.endpoint in names:
            attempt.facility, attempt.facility_name = names[attempt.endpoint]
    if row.answered_by in names and row.answered_facility is None:
        row.answered_facility = names[row.answered_by][0]


def apply_outcome(session: Session, event: dict[str, Any]) -> None:
    report = event["report"]
    dispatcher = event.get("dispatcher", "")
    row = _record(session, event["call_id"])
    row.started_at = _utc(report["started"])
    row.ended_at = _utc(report["ended"])
    row.caller = row.caller or report["caller"]
    row.dialled = report["dialled"] if report["dialled"] != "s" else row.dialled
    row.service = row.service or report["service"]
    if report["route_status"] != "ok" or not row.route_status:
        row.route_status = report["route_status"]
    plan = json.loads(row.plan_json) if row.plan_json else {}
    names = {t["endpoint"]: (t["facility"], t["facility_name"]) for t in plan.get("targets", [])}
    desk_names = {d["desk"]: d.get("name", "") for d in plan.get("desks", []) if isinstance(d, dict)}
    if dispatcher:  # deprecated single endpoint (Settings.dispatcher_endpoint)
        names.setdefault(dispatcher, ("dispatcher", "Central dispatcher"))
    unnamed = {a["endpoint"] for a in report["attempts"] if not a.get("desk") and a["endpoint"] not in names}
    if unnamed:
        names.update(_phones_facilities(session, unnamed, _utc(report["started"])))
    row.attempts.clear()
    session.flush()
    answered = None
    for attempt in report["attempts"]:
        desk = attempt.get("desk", "")
        facility, name = (
            (desk_of_queue(desk), desk_names.get(desk, ""))
            if desk
            else names.get(attempt["endpoint"], (None, ""))
        )
        row.attempts.append(
            CallAttempt(
                n=attempt["n"],
                endpoint=attempt["endpoint"],
                facility=facility,
                facility_name=name,
                started_at=_utc(attempt["started"]),
                ring_s=attempt["ring_s"],
                outcome=attempt["outcome"],
                dial_status=attempt["dial_status"],
            )
        )
        if attempt["answered"] and answered is None:
            answered = attempt
    _desk_fields(row, report["attempts"])
    if answered is not None:
        row.outcome = "answered"
        row.answered_by = answered["endpoint"]
        row.answered_facility = (
            desk_of_queue(answered.get("desk") or "") or names.get(answered["endpoint"], (None, ""))[0]
        )
        row.answered_attempt = answered["n"]
        row.time_to_answer_s = round(answered["started"] + (answered["ring_s"] or 0) - report["started"], 3)
    else:
        attempts = report["attempts"]
        # The caller hung up first: before anyone was rung (during the IVR) or while a phone was ringing.
        caller_left = not attempts or attempts[-1]["dial_status"] in ("CANCEL", "", "ABANDON")
        row.outcome = "abandoned" if caller_left else "unanswered"
        if attempts and attempts[-1]["dial_status"] == "CALLBACK":
            row.outcome = "callback"  # left the queue asking to be called back (desks/callbacks.py)
        row.answered_by = row.answered_facility = None
        row.answered_attempt = None
        row.time_to_answer_s = None


def _phones_facilities(
    session: Session, endpoints: set[str], at: datetime | None
) -> dict[str, tuple[str, str]]:
    """Where each phone answers, for a report that arrives before its call's plan: the plan may still be
    in the spool of an engine killed after routing the call, while the hangup report reached another
    engine (dialplans/siaga.conf, siaga-hangup), and it lands only when that engine is back. A phone's
    facility is its owner's shift at the call's start, else the owner's own facility. The plan, when it
    comes, names the same facility (the router rings a facility through its staff on duty) and fills
    nothing that is already set."""
    found: dict[str, tuple[str, str]] = {}
    if at is not None:
        on_shift = session.execute(
            select(Staff.endpoint, Assignment.facility_code)
            .join(Assignment, Assignment.staff_id == Staff.id)
            .where(Staff.endpoint.in_(endpoints), Assignment.start_utc <= at, Assignment.end_utc > at)
        )
        found = {endpoint: (code, "") for endpoint, code in on_shift}
    homes = session.execute(
        select(Staff.endpoint, Staff.facility_code).where(
            Staff.endpoint.in_(endpoints - found.keys()), Staff.facility_code.is_not(None)
        )
    )
    found.update({endpoint: (code, "") for endpoint, code in homes if code})
    if found:
        codes = {code for code, _ in found.values()}
        titles = dict(
            session.execute(
                select(FacilityRow.code, FacilityRow.name).where(FacilityRow.code.in_(codes))
            ).all()
        )
        found = {endpoint: (code, titles.get(code, "")) for endpoint, (code, _) in found.items()}
    return found


def _desk_fields(row: CallRecord, attempts: list[dict[str, Any]]) -> None:
    """Desk, time in queues, position on entry, overflow path, and whether the caller gave up waiting."""
    queued = [a for a in attempts if a.get("desk")]
    row.desk = desk_of_queue(queued[-1]["desk"]) if queued else None  # a topic queue counts as its desk
    row.queue_wait_s = round(sum(a["ring_s"] or 0.0 for a in queued), 3) if queued else None
    row.queue_position = queued[0].get("queue_position") if queued else None
    row.overflow_path = ">".join(a["desk"] for a in queued)[:300]
    row.abandoned_in_queue = (
        bool(queued) and attempts[-1] is queued[-1] and queued[-1]["dial_status"] == "ABANDON"
    )


def set_callback_fields(
    session: Session,
    call_id: str,
    *,
    requested: datetime | None,
    placed: datetime | None,
    answered: datetime | None,
    tries: int,
) -> bool:
    """The call's callback columns (UTC, naive like every time here); False while the call has no record
    yet (the record writer may take the call after its callback request), so the caller tries again."""
    row = session.scalars(select(CallRecord).where(CallRecord.call_id == call_id)).one_or_none()
    if row is None:
        return False
    row.callback_requested, row.callback_placed, row.callback_answered = requested, placed, answered
    row.callback_tries = tries
    return True


def apply_callbacks(session: Session, summaries: Iterable[CallbackSummary]) -> list[CallbackSummary]:
    """Copy each callback's summary (desks/callback_store.py) onto its call record; the ones done (a call
    whose record is not written yet is left for the next round)."""
    return [
        summary
        for summary in summaries
        if set_callback_fields(
            session,
            summary.call_id,
            requested=summary.requested_at,
            placed=summary.placed_at,
            answered=summary.answered_at,
            tries=summary.tries,
        )
    ]


APPLY = {"plan": apply_plan, "outcome": apply_outcome}


def apply_event(session: Session, event: dict[str, Any]) -> None:
    APPLY[event["kind"]](session, event)


def _plan_row(event: dict[str, Any]) -> dict[str, Any]:
    plan = event["plan"]
    location = plan.get("location") or {}
    area = plan.get("area") or {}
    started = _utc(float(event["started"])) if event.get("started") else None
    if started is None:
        started = datetime.fromisoformat(plan["at"]).astimezone(UTC).replace(tzinfo=None)
    kept = {k: plan.get(k) for k in ("targets", "skipped", "desks", "notes", "ask_digits", "budget_s")}
    return {
        "call_id": event["call_id"],
        "started_at": started,
        "caller": plan.get("caller") or "",
        "dialled": "",
        "service": plan.get("service") or "",
        "route_status": "ok",
        "location_source": location.get("source"),
        "lat": location.get("lat"),
        "lon": location.get("lon"),
        "accuracy_m": location.get("accuracy_m"),
        "location_label": (location.get("label") or "")[:200],
        "area_code": area.get("code", ""),
        "area_name": " < ".join(a["name"] for a in plan.get("areas", []))[:200],
        "plan_json": json.dumps(kept, ensure_ascii=False),
    }


def apply_batch(session: Session, events: list[dict[str, Any]]) -> None:
    """The usual case in one statement: a first plan for a call not yet recorded is a plain insert.

    Everything else (outcomes, a second plan after the IVR, a call already recorded) goes through the
    per-event upserts above, in order. At a few hundred calls a second this keeps the writer cheap: the
    lookup and the insert are Core statements on the session's connection (its transaction), because
    the ORM's bulk insert cost the writer more CPU per call than the rest of the batch (measured).
    """
    table = CallRecord.__table__
    connection = session.connection()
    plan_ids = [e["call_id"] for e in events if e["kind"] == "plan"]
    known = set(connection.execute(select(table.c.call_id).where(table.c.call_id.in_(plan_ids))).scalars())
    seen: set[str] = set()
    fresh: list[dict[str, Any]] = []
    rest: list[dict[str, Any]] = []
    for item in events:
        call_id = item["call_id"]
        if item["kind"] == "plan" and call_id not in known and call_id not in seen:
            fresh.append(_plan_row(item))
        else:
            rest.append(item)
        seen.add(call_id)
    if fresh:
        connection.execute(insert(table), fresh)
    for item in rest:
        apply_event(session, item)


def recent_calls(session: Session, limit: int = 20) -> list[CallRecord]:
    query = (
        select(CallRecord)
        .options(selectinload(CallRecord.attempts))
        .order_by(CallRecord.started_at.desc(), CallRecord.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def find_call(session: Session, key: str) -> CallRecord | None:
    """By record number (`siaga calls list` shows it) or by Asterisk's UNIQUEID."""
    query = select(CallRecord).options(selectinload(CallRecord.attempts))
    if key.isdigit():
        found = session.scalars(query.where(CallRecord.id == int(key))).one_or_none()
        if found is not None:
            return found
    return session.scalars(query.where(CallRecord.call_id == key)).one_or_none()
