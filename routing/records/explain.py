"""A call record in words a supervisor understands: where the caller was, what was planned, what happened.

Pure, in the reader's language: the caller passes `translate` (the CLI's `tr`) and `number` (the reader's
way of writing 5,5 or 5.5); the defaults are the English msgids and plain decimals, which is what logs
and tests read. The stored plan's "why", skip reasons and notes are English text in the record: the
caller may pass the plan already read back into the reader's language (`plan`).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from kernel.messages import N_, Message, Number, Translate, plain_number, untranslated
from routing.records.model import CallRecord

SOURCE_WORDS = {
    "pidf-lo": N_("the caller's phone (PIDF-LO location sent with the call)"),
    "carrier-header": N_("the carrier's location header"),
    "directory": N_("the caller directory"),
    "trunk": N_("the number or line the call came in on"),
    "ivr": N_("digits the caller typed"),
    "area-code": N_("the landline area code"),
    "manual": N_("a location given by hand"),
}
ORDINALS = (
    N_("first"),
    N_("second"),
    N_("third"),
    N_("fourth"),
    N_("fifth"),
    N_("sixth"),
    N_("seventh"),
    N_("eighth"),
)
# What a call's outcome and an attempt's outcome (routing/records/report.py) read as in a sentence.
OUTCOME_WORDS = {
    "answered": N_("answered"),
    "abandoned": N_("abandoned"),
    "unanswered": N_("unanswered"),
    "no answer": N_("no answer"),
    "busy": N_("busy"),
    "unavailable": N_("unavailable"),
    "caller hung up": N_("caller hung up"),
    "max wait reached": N_("max wait reached"),
    "withdrawn": N_("withdrawn"),
    "callback requested": N_("callback requested"),
}
STATUSES = {
    "engine unreachable": N_(
        "The routing engine could not be reached, so the dialplan sent the call straight to the central "
        "dispatcher."
    ),
    "engine hung": N_(
        "The routing engine did not answer in time, so the dialplan gave up on it and sent the call to the "
        "central dispatcher."
    ),
    "no plan": N_("The routing engine gave no complete plan, so the call went to the central dispatcher."),
    "not routed": N_(
        "The call did not need the routing engine (112 menu or an unknown number): it went to the central "
        "dispatcher."
    ),
}
LIST_COLUMNS = (
    N_("started"),
    N_("caller"),
    N_("dialled"),
    N_("service"),
    N_("location"),
    N_("area"),
    N_("result"),
)


def _local(value: datetime | None, zone: ZoneInfo, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    if value is None:
        return "?"
    return value.replace(tzinfo=UTC).astimezone(zone).strftime(fmt)


def _seconds(value: float | None, number: Number = plain_number, t: Translate = untranslated) -> str:
    return "?" if value is None else t(Message("{seconds} s", seconds=number(value, 1)))


def _who(endpoint: str, facility_name: str) -> str:
    return f"{facility_name} ({endpoint})" if facility_name else endpoint


def _word(outcome: str, t: Translate) -> str:
    return t(OUTCOME_WORDS[outcome]) if outcome in OUTCOME_WORDS else outcome


def list_header(translate: Translate = untranslated) -> str:
    """The column heads of `siaga calls list`, as wide as `summary_line`'s columns."""
    started, caller, dialled, service, location, area, result = (translate(c) for c in LIST_COLUMNS)
    return (
        f"{'#':>5}  {started:<14}  {caller:<14} {dialled:<8} {service:<12} {location:<14} {area:<20} {result}"
    )


def summary_line(
    record: CallRecord, zone: ZoneInfo, translate: Translate = untranslated, number: Number = plain_number
) -> str:
    """One line for `siaga calls list`."""
    t = translate
    where = record.area_name.split(" < ")[0] if record.area_name else t(N_("area unknown"))
    if record.outcome == "answered":
        result = t(
            Message(
                "answered by {who} after {seconds}",
                who=record.answered_by,
                seconds=_seconds(record.time_to_answer_s, number, t),
            )
        )
        if record.answered_attempt and record.answered_attempt > 1:
            result += t(Message(" (attempt {n})", n=record.answered_attempt))
    else:
        result = _word(record.outcome, t) if record.outcome else t(N_("in progress"))
    caller = record.caller or t(N_("unknown"))
    source = record.location_source or t(N_("none"))
    return (
        f"{record.id:>5}  {_local(record.started_at, zone, '%m-%d %H:%M:%S')}  "
        f"{caller:<14} {record.dialled or '-':<8} {record.service or '-':<12} "
        f"{source:<14} {where:<20} {result}"
    )


def explain(
    record: CallRecord,
    zone: ZoneInfo,
    translate: Translate = untranslated,
    number: Number = plain_number,
    plan: dict[str, Any] | None = None,
) -> str:
    """Several short paragraphs: the call, where the caller was, the plan, what happened, the upshot.

    `plan` is the record's stored plan as the reader should see it (default: as stored)."""
    t = translate
    lines: list[str] = []
    tz = _local(record.started_at, zone, "%Z") if record.started_at else ""
    # Marked outside the sentence's own Message: Babel does not extract a marker nested in another's call.
    caller = record.caller or t(N_("an unknown number"))
    service = record.service or t(N_("unknown service"))
    lines.append(
        t(
            Message(
                "Call {id} ({call_id}) from {caller} to {dialled} ({service}) at {at} {zone}.",
                id=record.id,
                call_id=record.call_id,
                caller=caller,
                dialled=record.dialled or "?",
                service=service,
                at=_local(record.started_at, zone),
                zone=tz,
            )
        )
    )
    if record.location_source:
        accuracy = (
            t(Message(", within about {metres} m", metres=number(record.accuracy_m, 0)))
            if record.accuracy_m
            else ""
        )
        label = f" — {record.location_label}" if record.location_label else ""
        source = SOURCE_WORDS.get(record.location_source)
        lines.append(
            t(
                Message(
                    "Location: from {source}{accuracy}{label}.",
                    source=t(source) if source else record.location_source,
                    accuracy=accuracy,
                    label=label,
                )
            )
        )
        if record.area_name:
            lines.append(t(Message("Area: {area}.", area=record.area_name)))
    elif record.route_status == "ok":
        lines.append(t(N_("Location: unknown — no source had it, so the call took the default route.")))
    if plan is None:
        plan = json.loads(record.plan_json) if record.plan_json else {}
    if record.route_status in STATUSES:
        lines.append(t(STATUSES[record.route_status]))
    targets = plan.get("targets") or []
    if targets:
        lines.append(t(N_("Plan (nearest staffed first, the central dispatcher last):")))
        for n, target in enumerate(targets, start=1):
            distance = (
                t(Message(", {km} km away", km=number(target["distance_m"] / 1000, 1)))
                if target.get("distance_m")
                else ""
            )
            lines.append(
                "  "
                + t(
                    Message(
                        "{n}. {who}, ring {seconds} s{distance}: {why}",
                        n=n,
                        who=_who(target["endpoint"], target["facility_name"]),
                        seconds=target["timeout_s"],
                        distance=distance,
                        why=target["why"],
                    )
                )
            )
    for skip in plan.get("skipped") or []:
        distance = (
            t(Message(" ({km} km away)", km=number(skip["distance_m"] / 1000, 1)))
            if skip.get("distance_m")
            else ""
        )
        lines.append(
            "  "
            + t(
                Message(
                    "passed over: {facility}{distance} — {reason}",
                    facility=skip["facility_name"],
                    distance=distance,
                    reason=skip["reason"],
                )
            )
        )
    for note in plan.get("notes") or []:
        lines.append("  " + t(Message("note: {note}", note=note)))
    if record.attempts:
        lines.append(t(N_("What happened:")))
        for attempt in record.attempts:
            lines.append(
                "  "
                + t(
                    Message(
                        "{n}. rang {who} for {seconds}: {outcome}.",
                        n=attempt.n,
                        who=_who(attempt.endpoint, attempt.facility_name),
                        seconds=_seconds(attempt.ring_s, number, t),
                        outcome=_word(attempt.outcome, t),
                    )
                )
            )
    elif record.ended_at is None:
        lines.append(t(N_("What happened: not reported yet (the call may still be running).")))
    lines.append(_upshot(record, t, number))
    return "\n".join(lines)


def _upshot(record: CallRecord, t: Translate, number: Number) -> str:
    if record.outcome == "answered":
        attempt = record.answered_attempt or 1
        ordinal = t(ORDINALS[attempt - 1]) if attempt <= len(ORDINALS) else f"#{attempt}"
        answered = next((a for a in record.attempts if a.n == attempt), None)
        who = _who(record.answered_by or "?", answered.facility_name if answered else "")
        text = t(
            Message(
                "Answered by {who} {seconds} after the call arrived",
                who=who,
                seconds=_seconds(record.time_to_answer_s, number, t),
            )
        )
        text += t(Message(", on the {ordinal} attempt", ordinal=ordinal))
        earlier = [a for a in record.attempts if a.n < attempt]
        if earlier:
            reasons = "; ".join(_failed(a.facility_name or a.endpoint, a.outcome, t) for a in earlier)
            text += t(Message(", because {reasons}", reasons=reasons))
        return text + "."
    if record.outcome == "abandoned":
        return t(N_("The caller hung up before anyone answered."))
    if record.outcome == "unanswered":
        return t(N_("Nobody answered, not even the central dispatcher: check the dispatcher desk."))
    return t(N_("The call has not been reported as ended yet."))


def _failed(who: str, outcome: str, t: Translate) -> str:
    failed = {
        "no answer": N_("{who} did not answer"),
        "busy": N_("{who} was busy"),
        "unavailable": N_("{who} could not be reached"),
        "caller hung up": N_("{who} was ringing when the caller hung up"),
    }.get(outcome)
    if failed is None:
        return f"{who} {_word(outcome, t)}"
    return t(Message(failed, who=who))
