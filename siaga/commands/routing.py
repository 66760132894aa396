"""`siaga calls list` and `siaga calls show ID`: the call records, for supervisors."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from kernel.cli_common import add_common_options, settings_from_args
from kernel.db import make_engine
from kernel.messages import Message
from kernel.settings import SettingsError
from routing.records.explain import explain, list_header, summary_line
from routing.records.model import CallRecord
from routing.records.store import find_call, recent_calls
from siaga.language import tr
from web.calls.services import plan_in_language
from web.i18n import format_number


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise SettingsError(
            Message("--tz: unknown time zone {zone!r} (use e.g. Asia/Jakarta)", zone=name)
        ) from exc


def cmd_calls_list(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    zone = _zone(args.tz)
    with Session(make_engine(settings.db_url)) as session:
        records = recent_calls(session, args.limit)
        if args.json:
            print(json.dumps([list_entry(r) for r in records], indent=2, ensure_ascii=False))
            return 0
        if not records:
            print(tr(Message("no call records in {db}", db=settings.db_url)))
            return 0
        print(list_header(tr))
        for record in records:
            print(summary_line(record, zone, tr, format_number))
    return 0


def list_entry(record: CallRecord) -> dict[str, object]:
    """One call for `calls list --json`: the fields others build on (wall times in UTC, ISO 8601)."""
    return {
        "call_id": record.call_id,
        "record": record.id,
        "caller": record.caller,
        "dialled": record.dialled,
        "service": record.service,
        "started": record.started_at.replace(tzinfo=UTC).isoformat() if record.started_at else None,
        "ended": record.ended_at.replace(tzinfo=UTC).isoformat() if record.ended_at else None,
        "route_status": record.route_status,
        "area_code": record.area_code,
        "location_source": record.location_source,
        "outcome": record.outcome,
        "answered_by": record.answered_by,
        "answered_facility": record.answered_facility,
        "time_to_answer_s": record.time_to_answer_s,
        "desk": record.desk,
        "queue_wait_s": record.queue_wait_s,
        "queue_position": record.queue_position,
        "overflow_path": record.overflow_path,
        "abandoned_in_queue": record.abandoned_in_queue,
        "callback_requested": _iso(record.callback_requested),
        "callback_placed": _iso(record.callback_placed),
        "callback_answered": _iso(record.callback_answered),
        "callback_tries": record.callback_tries,
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.replace(tzinfo=UTC).isoformat() if moment is not None else None


def cmd_calls_show(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    with Session(make_engine(settings.db_url)) as session:
        record = find_call(session, args.id)
        if record is None:
            raise SettingsError(
                Message(
                    "no call record {call!r} (give the number from `siaga calls list` or a UNIQUEID)",
                    call=args.id,
                )
            )
        if args.json:
            data = {c.name: getattr(record, c.name) for c in record.__table__.columns}
            data["plan"] = json.loads(data.pop("plan_json") or "{}")
            data["attempts"] = [
                {
                    c.name: getattr(a, c.name)
                    for c in a.__table__.columns
                    if c.name not in ("id", "call_record_id")
                }
                for a in record.attempts
            ]
            print(json.dumps(data, indent=2, ensure_ascii=False, default=str))
        else:
            # The stored plan's "why", skip reasons and notes are English: read back into the reader's words.
            plan = plan_in_language(json.loads(record.plan_json) if record.plan_json else {})
            print(explain(record, _zone(args.tz), tr, format_number, plan))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser(
        "calls",
        help="call records: who called, where from, where it rang and who answered",
        description="Read the call records the engine keeps: one per call, one per attempt.",
    )
    calls = p.add_subparsers(dest="calls_command", required=True, metavar="ACTION")
    c = calls.add_parser("list", help="the most recent calls, newest first", description="List recent calls.")
    add_common_options(c)
    c.add_argument("--limit", type=int, default=20, help="how many calls (default 20)")
    c.add_argument("--tz", default="Asia/Jakarta", help="time zone to show times in (default Asia/Jakarta)")
    c.add_argument(
        "--json",
        action="store_true",
        help="one JSON object per call (call_id, caller, service, started, outcome, answered_by, "
        "answered_facility, desk, queue_wait_s, …)",
    )
    c.set_defaults(func=cmd_calls_list)
    c = calls.add_parser(
        "show",
        help="one call explained: location, plan, each attempt and why the call went where it went",
        description="Explain one call in words a supervisor understands.",
    )
    add_common_options(c)
    c.add_argument("id", help="the record number from `siaga calls list`, or Asterisk's UNIQUEID")
    c.add_argument("--tz", default="Asia/Jakarta", help="time zone to show times in (default Asia/Jakarta)")
    c.add_argument("--json", action="store_true", help="the record as JSON")
    c.set_defaults(func=cmd_calls_show)
