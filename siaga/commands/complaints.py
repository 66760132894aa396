"""`siaga complaints open|show|list|status|review`: thin shells around `complaints.service`."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from datetime import datetime

from sqlalchemy.orm import Session

from complaints.lifecycle import STATUSES
from complaints.service import (
    Complaint,
    ComplaintRules,
    ListFilter,
    change_status,
    describe_review,
    list_complaints,
    open_complaint,
    review,
    rules_from_settings,
    show,
)
from kernel.cli_common import add_common_options, parse_at, settings_from_args
from kernel.dataerrors import InputError, NotFound
from kernel.db import make_engine
from kernel.messages import N_, Message
from kernel.settings import SettingsError
from siaga.language import describe, row, tr
from web.i18n import format_number


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


def _fail(message: str, code: int = 2) -> int:
    print(f"siaga: {message}", file=sys.stderr)
    return code


def _line(c: Complaint) -> str:
    flags = " " + tr(N_("OVERDUE")) if c.sla.overdue else (" " + tr(N_("due-soon")) if c.sla.due_soon else "")
    return (
        f"{c.number}  {c.status:<17} {c.category:<10} {c.desk or '-':<6} {c.facility or '-':<22} "
        f"{c.received_at:%Y-%m-%d %H:%M}{flags}"
    )


def _run(args: argparse.Namespace) -> int:
    try:
        settings = settings_from_args(args)
        rules: ComplaintRules = rules_from_settings(settings)
        now = parse_at(getattr(args, "at", None))
    except (SettingsError, ValueError) as exc:
        return _fail(describe(exc))
    engine = make_engine(settings.db_url)
    try:
        with Session(engine) as session, session.begin():
            return int(args.action(args, session, rules, now))
    except InputError as exc:
        return _fail(
            tr(Message("nothing was changed: {problems}", problems="; ".join(row(e) for e in exc.errors)))
        )
    except NotFound as exc:
        return _fail(describe(exc), 1)


def _open(args: argparse.Namespace, session: Session, rules: ComplaintRules, now: datetime) -> int:
    number = open_complaint(
        session,
        caller=args.caller,
        category=args.category,
        text=args.text,
        facility=args.facility,
        channel="cli",
        recording=None,
        now=now,
        actor=_actor(),
        rules=rules,
    )
    view = show(session, number, now, rules=rules)
    print(json.dumps(view.to_json(), indent=2, ensure_ascii=False) if args.json else number)
    return 0


def _show(args: argparse.Namespace, session: Session, rules: ComplaintRules, now: datetime) -> int:
    view = show(session, args.number, now, rules=rules)
    if args.json:
        print(json.dumps(view.to_json(), indent=2, ensure_ascii=False))
        return 0
    print(_line(view))
    print(
        "  "
        + tr(
            Message(
                "caller {caller}  channel {channel}  recording {recording}",
                caller=view.caller or "-",
                channel=view.channel,
                recording=view.recording or "-",
            )
        )
    )
    print(
        "  "
        + tr(
            Message(
                "first response due {first}, done due {done}",
                first=f"{view.due.first_response_due:%Y-%m-%d %H:%M}",
                done=f"{view.due.resolution_due:%Y-%m-%d %H:%M}",
            )
        )
    )
    for step in view.history:
        took = tr(Message(" (+{minutes} min)", minutes=step.took_s // 60)) if step.took_s is not None else ""
        print(f"  {step.at:%Y-%m-%d %H:%M} {step.status}{took} {step.officer} {step.note}")
    return 0


def _list(args: argparse.Namespace, session: Session, rules: ComplaintRules, now: datetime) -> int:
    found = list_complaints(
        session,
        ListFilter(status=args.status, category=args.category, facility=args.facility, overdue=args.overdue),
        now,
        rules=rules,
    )
    if args.json:
        print(
            json.dumps(
                {"at": now.isoformat(), "complaints": [c.to_json() for c in found]},
                indent=2,
                ensure_ascii=False,
            )
        )
    else:
        for c in found:
            print(_line(c))
        print(tr(Message("{count} complaint(s)", count=format_number(len(found)))))
    return 0


def _status(args: argparse.Namespace, session: Session, rules: ComplaintRules, now: datetime) -> int:
    view = change_status(
        session,
        args.number,
        args.status,
        note=args.note,
        officer=_actor(),
        now=now,
        public=args.public,
        rules=rules,
    )
    print(json.dumps(view.to_json(), indent=2, ensure_ascii=False) if args.json else _line(view))
    return 0


def _review(args: argparse.Namespace, session: Session, rules: ComplaintRules, now: datetime) -> int:
    result = review(session, now, rules=rules)
    if args.json:
        print(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
    else:
        print("\n".join(describe_review(result, tr)))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    top = subparsers.add_parser(
        "complaints",
        help="the complaints desk: open, show, list, change status, review",
        description="Complaints with LAPOR!/SP4N statuses (received, verified, in_progress, done, "
        "not_our_authority, rejected), numbered with a check digit, answered within 8 hours and done within "
        "5 working days by default.",
    )
    verbs = top.add_subparsers(dest="complaints_command", required=True)

    p = verbs.add_parser("open", help="take a complaint (channel cli)")
    p.add_argument("--caller", required=True, metavar="NUMBER", help="the complainant's phone number")
    p.add_argument("--category", required=True, metavar="CAT", help="one of the complaint_categories setting")
    p.add_argument("--text", required=True, help="the complaint as told")
    p.add_argument("--facility", metavar="CODE", help="the facility complained about")
    p.set_defaults(action=_open)

    p = verbs.add_parser("show", help="one complaint with its history")
    p.add_argument("number")
    p.add_argument("--at", metavar="ISO", help="judge deadlines at this time (default now)")
    p.set_defaults(action=_show)

    p = verbs.add_parser("list", help="complaints, newest first")
    p.add_argument("--overdue", action="store_true", help="only those past a deadline")
    p.add_argument("--at", metavar="ISO", help="judge deadlines at this time (default now)")
    p.add_argument("--status", choices=STATUSES)
    p.add_argument("--category")
    p.add_argument("--facility", metavar="CODE")
    p.set_defaults(action=_list)

    p = verbs.add_parser("status", help="move a complaint one step, with a response note")
    p.add_argument("number")
    p.add_argument("status", choices=STATUSES)
    p.add_argument("--note", required=True, help="the response to the complainant")
    p.add_argument("--public", action="store_true", help="show the note on the public page")
    p.set_defaults(action=_status)

    p = verbs.add_parser("review", help="new and overdue complaints per desk, and deadlines coming up")
    p.add_argument("--at", metavar="ISO", help="review as of this time (default now)")
    p.set_defaults(action=_review)

    for parser in verbs.choices.values():
        add_common_options(parser)
        parser.add_argument("--json", action="store_true", help="machine-readable output")
        parser.set_defaults(func=_run)
