"""`siaga staffing`: a desk's operators needed per shift and day of the week (Erlang C) beside the roster.

A thin shell: the options are checked here, `staffing.store` reads the desk's records and duties, and
`staffing.report` makes the table. Bad input (an unknown desk, a facility that is not a desk, a malformed
target, --from after --to) exits 2 with the option named, like every other `siaga` command.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, date, datetime

from sqlalchemy.orm import Session

from kernel.cli_common import add_common_options, settings_from_args
from kernel.db import make_engine
from kernel.messages import N_, Message, Number, Translate, plain_number, untranslated
from siaga.language import tr
from staffing.report import (
    DEFAULT_TARGET,
    Cell,
    StaffingInputError,
    StaffingTable,
    Target,
    parse_target,
)
from staffing.store import desk_staffing, read_desk
from web.i18n import format_number


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            tr(Message("{text!r} is not a date such as 2026-11-23", text=text))
        ) from None


def _target(text: str) -> Target:
    try:
        return parse_target(text)
    except StaffingInputError as exc:
        raise argparse.ArgumentTypeError(tr(exc.reason)) from None


def cmd_staffing(args: argparse.Namespace) -> int:

    settings = settings_from_args(args)
    with Session(make_engine(settings.db_url)) as session:
        desk = read_desk(session, args.desk)
        table = desk_staffing(session, desk, args.target, datetime.now(UTC), args.first, args.last)
    if args.json:
        print(json.dumps(table.to_json(), indent=2, ensure_ascii=False))
    else:
        print(format_table(table, tr, format_number))
    return 0


def _number(value: float | None, digits: int, number: Number) -> str:
    return "—" if value is None else number(value, digits)


def _share(value: float | None, number: Number) -> str:
    return "—" if value is None else f"{number(value * 100, 0)} %"


# The day names `staffing.report.WEEKDAYS` gives each cell (its JSON keeps them in English).
DAY_WORDS = {
    "Monday": N_("Monday"),
    "Tuesday": N_("Tuesday"),
    "Wednesday": N_("Wednesday"),
    "Thursday": N_("Thursday"),
    "Friday": N_("Friday"),
    "Saturday": N_("Saturday"),
    "Sunday": N_("Sunday"),
}


def _row(cell: Cell, t: Translate, number: Number) -> list[str]:
    aht = _number(cell.aht_s, 0, number) + ("*" if cell.aht_basis == "desk" else "")
    return [
        t(DAY_WORDS[cell.day]) if cell.day in DAY_WORDS else cell.day,
        f"{cell.shift.name} {cell.shift.start:%H:%M}–{cell.shift.end:%H:%M}",
        number(cell.calls, 0),
        number(cell.calls_per_hour, 2),
        aht,
        _number(cell.erlangs, 3, number),
        "—" if cell.needed is None else number(cell.needed, 0),
        number(cell.rostered, 2),
        _share(cell.service_level_if_rostered, number),
        _share(cell.measured_service_level, number),
        t(Message("short by {n}", n=number(cell.short_by, 1))) if cell.short_by > 0 else "",
    ]


HEADER = [
    N_("day"),
    N_("shift"),
    N_("calls"),
    N_("calls/h"),
    N_("AHT s"),
    N_("Erlangs"),
    N_("needed"),
    N_("rostered"),
    N_("SL if rostered"),
    N_("SL measured"),
    "",
]
_LEFT = {0, 1, 10}
KINDS = {"dispatch": N_("dispatch"), "consultation": N_("consultation"), "complaints": N_("complaints")}


def format_table(
    table: StaffingTable, translate: Translate = untranslated, number: Number = plain_number
) -> str:
    """The table as a supervisor reads it in a terminal, with what each number means underneath.

    `translate` (the CLI's `tr`) and `number` (`web.i18n.format_number`) put it in the reader's language;
    the defaults give the English msgids and plain decimals."""
    t = translate
    desk, period = table.desk, table.period
    kind = t(KINDS[desk.kind]) if desk.kind in KINDS else desk.kind
    share, within = table.target.share * 100, table.target.within_s
    target = t(
        Message(
            "{share} % within {seconds} s",
            share=number(share, _digits(share)),
            seconds=number(within, _digits(within)),
        )
    )
    lines = [
        t(
            Message(
                "{name} [{code}], {kind} desk, times in {zone}",
                name=desk.name,
                code=desk.code,
                kind=kind,
                zone=table.zone,
            )
        ),
        t(
            Message(
                "{first} to {last} ({days} days), target {target}",
                first=period.first.isoformat(),
                last=period.last.isoformat(),
                days=period.length,
                target=target,
            )
        ),
    ]
    if table.calls == 0:
        lines.append(
            t(
                Message(
                    "no calls to {code} in this period: only the rostered numbers are shown", code=desk.code
                )
            )
        )
    else:
        lines.append(t(Message("{n} call(s)", n=number(table.calls, 0))))
    lines.append("")
    header = [t(h) if h else h for h in HEADER]
    rows = [header, *(_row(c, t, number) for c in table.cells)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(HEADER))]
    for row in rows:
        cells = [
            v.ljust(w) if i in _LEFT else v.rjust(w) for i, (v, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    lines.append("")
    lines.append(t(N_("needed: the fewest operators that meet the target by Erlang C (none without calls).")))
    lines.append(
        t(N_("rostered: the desk's staff on duty, averaged over the time of those shifts in the period;"))
    )
    lines.append(
        t(
            N_(
                "a night shift counts on the day it starts. SL: share of calls answered within the target "
                "time."
            )
        )
    )
    if any(c.aht_basis == "desk" for c in table.cells):
        lines.append(
            t(N_("*: no answered call in that shift: the desk's average handle time over the period."))
        )
    if table.outside_shifts:
        lines.append(
            t(
                Message(
                    "{n} call(s) fell outside the desk's shifts and are not counted.",
                    n=number(table.outside_shifts, 0),
                )
            )
        )
    return "\n".join(lines)


def _digits(value: float) -> int:
    """As many decimals as `value` needs (90 → 0, 92.5 → 1), as `Target.label`'s `:g` did."""
    text = f"{value:g}"
    return len(text.split(".")[1]) if "." in text and "e" not in text else 0


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]

    p = subparsers.add_parser(
        "staffing",
        help="a desk's operators needed per shift and day of the week (Erlang C) beside those rostered",
        description="Read a desk's call records and roster over a period and print, per day of the week "
        "and shift (in the desk's own time zone; a night shift counts on the day it starts): calls per "
        "hour, average handle time, the operators Erlang C says meet the target, the operators rostered "
        "(on average) and the service level those would give.",
    )
    add_common_options(p)
    p.add_argument(
        "--desk",
        required=True,
        metavar="CODE",
        help="the desk's facility code (dispatch, consultation or complaints)",
    )
    p.add_argument(
        "--from",
        dest="first",
        type=_date,
        metavar="DATE",
        help="first shift date (default: four weeks up to --to)",
    )
    p.add_argument(
        "--to",
        dest="last",
        type=_date,
        metavar="DATE",
        help="last shift date (default: yesterday, or four weeks from --from)",
    )
    p.add_argument(
        "--target",
        type=_target,
        default=DEFAULT_TARGET,
        metavar="SHARE/SECONDS",
        help=f"service-level target: 0.9/15 = 90 %% of calls answered within 15 s (default {DEFAULT_TARGET})",
    )
    p.add_argument(
        "--json", action="store_true", help="print the table as JSON, one object per day and shift"
    )
    p.set_defaults(func=cmd_staffing)
