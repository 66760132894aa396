"""A call record in words a supervisor understands: where the caller was, what was planned, what happened."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from routing.records.model import CallRecord

SOURCE_WORDS = {
    "pidf-lo": "the caller's phone (PIDF-LO location sent with the call)",
    "carrier-header": "the carrier's location header",
    "directory": "the caller directory",
    "trunk": "the number or line the call came in on",
    "ivr": "digits the caller typed",
    "area-code": "the landline area code",
    "manual": "a location given by hand",
}
ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth")


def _local(value: datetime | None, zone: ZoneInfo, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    if value is None:
        return "?"
    return value.replace(tzinfo=UTC).astimezone(zone).strftime(fmt)


def _seconds(value: float | None) -> str:
    return "?" if value is None else f"{value:.1f} s"


def _who(endpoint: str, facility_name: str) -> str:
    return f"{facility_name} ({endpoint})" if facility_name else endpoint


def summary_line(record: CallRecord, zone: ZoneInfo) -> str:
    """One line for `siaga calls list`."""
    where = record.area_name.split(" < ")[0] if record.area_name else "area unknown"
    if record.outcome == "answered":
        result = f"answered by {record.answered_by} after {_seconds(record.time_to_answer_s)}"
        if record.answered_attempt and record.answered_attempt > 1:
            result += f" (attempt {record.answered_attempt})"
    else:
        result = record.outcome or "in progress"
    return (
        f"{record.id:>5}  {_local(record.started_at, zone, '%m-%d %H:%M:%S')}  "
        f"{record.caller or 'unknown':<14} {record.dialled or '-':<8} {record.service or '-':<12} "
        f"{(record.location_source or 'none'):<14} {where:<20} {result}"
    )


def explain(record: CallRecord, zone: ZoneInfo) -> str:
    """Several short paragraphs: the call, where the caller was, the plan, what happened, the upshot."""
    lines: list[str] = []
    tz = _local(record.started_at, zone, "%Z") if record.started_at else ""
    lines.append(
        f"Call {record.id} ({record.call_id}) from {record.caller or 'an unknown number'} to "
        f"{record.dialled or '?'} ({record.service or 'unknown service'}) at "
        f"{_local(record.started_at, zone)} {tz}."
    )
    if record.location_source:
        accuracy = f", within about {record.accuracy_m:.0f} m" if record.accuracy_m else ""
        label = f" — {record.location_label}" if record.location_label else ""
        source = SOURCE_WORDS.get(record.location_source, record.location_source)
        lines.append(f"Location: from {source}{accuracy}{label}.")
        if record.area_name:
            lines.append(f"Area: {record.area_name}.")
    elif record.route_status == "ok":
        lines.append("Location: unknown — no source had it, so the call took the default route.")
    plan = json.loads(record.plan_json) if record.plan_json else {}
    statuses = {
        "engine unreachable": "The routing engine could not be reached, so the dialplan sent the call "
        "straight to the central dispatcher.",
        "engine hung": "The routing engine did not answer in time, so the dialplan gave up on it and sent "
        "the call to the central dispatcher.",
        "no plan": "The routing engine gave no complete plan, so the call went to the central dispatcher.",
        "not routed": "The call did not need the routing engine (112 menu or an unknown number): it went "
        "to the central dispatcher.",
    }
    if record.route_status in statuses:
        lines.append(statuses[record.route_status])
    targets = plan.get("targets") or []
    if targets:
        lines.append("Plan (nearest staffed first, the central dispatcher last):")
        for n, target in enumerate(targets, start=1):
            distance = f", {target['distance_m'] / 1000:.1f} km away" if target.get("distance_m") else ""
            lines.append(
                f"  {n}. {_who(target['endpoint'], target['facility_name'])}, ring {target['timeout_s']} s"
                f"{distance}: {target['why']}"
            )
    for skip in plan.get("skipped") or []:
        distance = f" ({skip['distance_m'] / 1000:.1f} km away)" if skip.get("distance_m") else ""
        lines.append(f"  passed over: {skip['facility_name']}{distance} — {skip['reason']}")
    for note in plan.get("notes") or []:
        lines.append(f"  note: {note}")
    if record.attempts:
        lines.append("What happened:")
        for attempt in record.attempts:
            who = _who(attempt.endpoint, attempt.facility_name)
            lines.append(f"  {attempt.n}. rang {who} for {_seconds(attempt.ring_s)}: {attempt.outcome}.")
    elif record.ended_at is None:
        lines.append("What happened: not reported yet (the call may still be running).")
    lines.append(_upshot(record))
    return "\n".join(lines)


def _upshot(record: CallRecord) -> str:
    if record.outcome == "answered":
        attempt = record.answered_attempt or 1
        ordinal = ORDINALS[attempt - 1] if attempt <= len(ORDINALS) else f"#{attempt}"
        answered = next((a for a in record.attempts if a.n == attempt), None)
        who = _who(record.answered_by or "?", answered.facility_name if answered else "")
        text = f"Answered by {who} {_seconds(record.time_to_answer_s)} after the call arrived"
        text += f", on the {ordinal} attempt"
        earlier = [a for a in record.attempts if a.n < attempt]
        if earlier:
            reasons = "; ".join(f"{a.facility_name or a.endpoint} {_failed(a.outcome)}" for a in earlier)
            text += f", because {reasons}"
        return text + "."
    if record.outcome == "abandoned":
        return "The caller hung up before anyone answered."
    if record.outcome == "unanswered":
        return "Nobody answered, not even the central dispatcher: check the dispatcher desk."
    return "The call has not been reported as ended yet."


def _failed(outcome: str) -> str:
    return {
        "no answer": "did not answer",
        "busy": "was busy",
        "unavailable": "could not be reached",
        "caller hung up": "was ringing when the caller hung up",
    }.get(outcome, outcome)
