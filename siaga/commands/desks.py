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
from staffing.report import (
    DEFAULT_TARGET,
    Cell,
    StaffingInputError,
    StaffingTable,
    Target,
    parse_target,
)
from staffing.store import desk_staffing, read_desk


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date such as 2026-11-23") from None


def _target(text: str) -> Target:
    try:
        return parse_target(text)
    except StaffingInputError as exc:
        raise argparse.ArgumentTypeError(exc.reason) from None


def cmd_staffing(args: argparse.Namespace) -> int:

    settings = settings_from_args(args)
    with Session(make_engine(settings.db_url)) as session:
        desk = read_desk(session, args.desk)
        table = desk_staffing(session, desk, args.target, datetime.now(UTC), args.first, args.last)
    if args.json:
        print(json.dumps(table.to_json(), indent=2, ensure_ascii=False))
    else:
        print(format_table(table))
    return 0


def _number(value: float | None, fmt: str) -> str:
    return "—" if value is None else format(value, fmt)


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f} %"


def _row(cell: Cell) -> list[str]:
    aht = _number(cell.aht_s, ".0f") + ("*" if cell.aht_basis == "desk" else "")
    return [
        cell.day,
        f"{cell.shift.name} {cell.shift.start:%H:%M}–{cell.shift.end:%H:%M}",
        str(cell.calls),
        f"{cell.calls_per_hour:.2f}",
        aht,
        _number(cell.erlangs, ".3f"),
        "—" if cell.needed is None else str(cell.needed),
        f"{cell.rostered:.2f}",
        _share(cell.service_level_if_rostered),
        _share(cell.measured_service_level),
        f"short by {cell.short_by:.1f}" if cell.short_by > 0 else "",
    ]


HEADER = [
    "day",
    "shift",
    "calls",
    "calls/h",
    "AHT s",
    "Erlangs",
    "needed",
    "rostered",
    "SL if rostered",
    "SL measured",
    "",
]
_LEFT = {0, 1, 10}


def format_table(table: StaffingTable) -> str:
    """The table as a supervisor reads it in a terminal, with what each number means underneath."""
    desk, period = table.desk, table.period
    lines = [
        f"{desk.name} [{desk.code}], {desk.kind} desk, times in {table.zone}",
        f"{period.first.isoformat()} to {period.last.isoformat()} ({period.length} days), "
        f"target {table.target.label()}",
    ]
    if table.calls == 0:
        lines.append(f"no calls to {desk.code} in this period: only the rostered numbers are shown")
    else:
        lines.append(f"{table.calls} call(s)")
    lines.append("")
    rows = [HEADER, *(_row(c) for c in table.cells)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(HEADER))]
    for row in rows:
        cells = [
            v.ljust(w) if i in _LEFT else v.rjust(w) for i, (v, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    lines.append("")
    lines.append("needed: the fewest operators that meet the target by Erlang C (none without calls).")
    lines.append("rostered: the desk's staff on duty, averaged over the time of those shifts in the period;")
    lines.append(
        "a night shift counts on the day it starts. SL: share of calls answered within the target time."
    )
    if any(c.aht_basis == "desk" for c in table.cells):
        lines.append("*: no answered call in that shift: the desk's average handle time over the period.")
    if table.outside_shifts:
        lines.append(f"{table.outside_shifts} call(s) fell outside the desk's shifts and are not counted.")
    return "\n".join(lines)


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
