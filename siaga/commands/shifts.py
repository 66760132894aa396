"""`siaga roster …`: the supervisor's commands, each a thin shell around `shifts`.

Edits (import, fill, leave, swap) go through `shifts.service.RosterService`, the service the console
calls too: the same checks, the revision bump and an audit entry naming `cli:<login>`. Every command
takes `--db` (and the other common options) and explains itself with `--help`.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from dispatch.store import unit_bases
from geo.facilities import Facility
from geo.store import facility_kabupaten, facility_zones, load_facilities, read_facilities
from kernel.catalogue import SERVICES
from kernel.cli_common import add_common_options, parse_at, settings_from_args
from kernel.dataerrors import InputError
from kernel.db import make_engine
from kernel.messages import N_, Message
from kernel.settings import SettingsError
from shifts.coverage import coverage_gaps
from shifts.jobs import JobContext, coverage_check, describe_gap, describe_summary, roster_summary
from shifts.report import clock, duty_json, gap_json, gap_lines, iso_week_days, on_duty_lines, week_table
from shifts.roster import on_duty
from shifts.scope import RosterBounds
from shifts.service import RosterService
from shifts.store import facility_templates, load_roster, next_boundary, set_facility_shifts
from shifts.templates import LONGEST_SHIFT, parse_template_spec, shifts_for, zone_label
from siaga.engine import build_roster
from siaga.language import tr
from siaga.scheduler import stored_jobs
from web.i18n import format_day, format_number

_TO_AFTER_FROM = N_("--to must be after --from")

ROSTER_COLUMNS_HELP = (
    "Columns: facility_code,staff_id and either date,shift (the facility's shift times) or start,end "
    "(ISO times with the facility's own offset, e.g. 2026-11-23T21:00+07:00, or UTC with Z); optional "
    "staff_name,role,endpoint,phone create or update the staff member."
)


# -- shared pieces -------------------------------------------------------------------------------------


def _settings(args: argparse.Namespace) -> Any:

    return settings_from_args(args)


def _engine(settings: Any) -> Engine:

    return make_engine(settings.db_url)


def _zones(settings: Any) -> dict[str, str]:

    return facility_zones(settings)


def _service(settings: Any, session: Session, facilities: Sequence[Facility] | None = None) -> RosterService:
    """The roster service over the stored facilities. Staff stay in their own kabupaten; the command line
    has no narrower scope (it holds the database)."""
    if facilities is None:
        facilities = load_facilities(settings)
    of_facility, names = facility_kabupaten(session)
    return RosterService(
        {f.code: f.timezone for f in facilities},
        {f.code: f.kind for f in facilities},
        RosterBounds(of_facility, names),
        _max_shift(settings),
        units=unit_bases,
    )


def _actor() -> str:
    """Who the audit log names for a change made here: the login at this terminal."""
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):  # no login name in the environment nor in the password database
        return "cli:unknown"


@contextmanager
def _plain_reasons() -> Iterator[None]:
    """The service names the field of each problem; here the options name it, so the user reads only the
    reasons, as the commands always printed them (exit status 2, like any other bad input)."""
    try:
        yield
    except InputError as exc:
        raise ValueError("; ".join(tr(e.reason) for e in exc.errors)) from exc


def _max_shift(settings: Any) -> timedelta:

    value = timedelta(hours=settings.max_shift_hours)
    if not timedelta(0) < value <= LONGEST_SHIFT:
        raise SettingsError(
            Message(
                "max_shift_hours must be between 0 and {most}",
                most=f"{LONGEST_SHIFT.total_seconds() / 3600:g}",
            )
        )
    return value


def _instant(raw: str, option: str) -> datetime:
    try:
        value = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise ValueError(
            Message(
                "{option} {raw!r} is not an ISO time (e.g. 2026-11-23T07:00+07:00)", option=option, raw=raw
            )
        ) from exc
    if value.tzinfo is None:
        raise ValueError(
            Message(
                "{option} {raw!r} needs a UTC offset, e.g. 2026-11-23T07:00+07:00", option=option, raw=raw
            )
        )
    return value


def _day(raw: str | None, option: str) -> date | None:
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise ValueError(
            Message("{option} {raw!r} is not a date (YYYY-MM-DD)", option=option, raw=raw)
        ) from exc


def _known_facility(zones: dict[str, str], code: str) -> str:
    if code not in zones:
        raise ValueError(Message("unknown facility {facility!r}", facility=code))
    return zones[code]


def _write_text(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")


# -- import / export -----------------------------------------------------------------------------------


def cmd_import(args: argparse.Namespace) -> int:

    settings = _settings(args)
    facilities = load_facilities(settings)
    try:
        text = args.file.read_text(encoding="utf-8-sig")  # a spreadsheet's CSV often starts with a BOM
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(Message("cannot read {file}: {error}", file=args.file, error=str(exc))) from exc
    with _plain_reasons(), Session(_engine(settings)) as session, session.begin():
        result = _service(settings, session, facilities).import_csv(
            session,
            _actor(),
            text,
            str(args.file),
            replace=args.replace,
            update=args.update,
            dry_run=args.dry_run,
        )
    if not result.written:
        print(
            tr(
                Message(
                    "{file} is good: {assignments} assignment(s), {staff} staff record(s); nothing written",
                    file=args.file,
                    assignments=result.assignments,
                    staff=result.staff,
                )
            )
        )
        return 0
    print(
        tr(
            Message(
                "imported {assignments} assignment(s) and {staff} staff record(s) from {file}",
                assignments=result.assignments,
                staff=result.staff,
                file=args.file,
            )
        )
    )
    return 0


def cmd_export(args: argparse.Namespace) -> int:

    settings = _settings(args)
    first, last = _day(args.from_date, "--from"), _day(args.to_date, "--to")
    with _plain_reasons(), Session(_engine(settings)) as session:
        # No facilities is an empty roster here, not an error: read them without `load_facilities`.
        service = _service(settings, session, read_facilities(session))
        text = service.export_csv(session, args.facility or None, first, last)
    _write_text(text, args.output)
    if args.output is not None:
        print(
            tr(
                Message(
                    "wrote {count} assignment(s) to {file}", count=text.count(chr(10)) - 1, file=args.output
                )
            )
        )
    return 0


# -- reading the roster --------------------------------------------------------------------------------


def cmd_show(args: argparse.Namespace) -> int:

    settings = _settings(args)
    facility = next((f for f in load_facilities(settings) if f.code == args.facility), None)
    if facility is None:
        raise ValueError(Message("unknown facility {facility!r}", facility=args.facility))
    days = iso_week_days(args.week or _this_week(facility.timezone))
    zone = ZoneInfo(facility.timezone)
    start = datetime.combine(days[0], datetime.min.time(), tzinfo=zone)
    end = datetime.combine(days[-1] + timedelta(days=1), datetime.min.time(), tzinfo=zone) + LONGEST_SHIFT
    with Session(_engine(settings)) as session:
        roster = load_roster(session, start, end, facility_code=facility.code)
        templates = facility_templates(session)
    people = {d.staff_id for d in roster.duties}
    week_end = start + timedelta(days=7)
    title = tr(
        Message(
            "{name} ({code}) · week {week}, {first} – {last} · times in {zone} ({timezone})",
            name=facility.name,
            code=facility.code,
            week=args.week or _this_week(facility.timezone),
            first=format_day(days[0], "column_day"),
            last=format_day(days[-1], "date"),
            zone=zone_label(facility.timezone),
            timezone=facility.timezone,
        )
    )
    print(
        week_table(
            title,
            facility.timezone,
            days,
            roster.resolved(),
            shifts_for(facility.code, templates),
            [leave for leave in roster.leaves if leave.staff_id in people and leave.start < week_end],
            [s for s in roster.swaps if s.staff_id in people and s.start < week_end],
            translate=tr,
            day_label=lambda day: format_day(day, "column_day"),
        )
    )
    return 0


def _this_week(zone_name: str) -> str:
    year, week, _ = datetime.now(ZoneInfo(zone_name)).date().isocalendar()
    return f"{year}-W{week:02d}"


def cmd_on_duty(args: argparse.Namespace) -> int:

    settings = _settings(args)
    at = parse_at(args.at)
    zones = _zones(settings)
    codes = [args.facility] if args.facility else sorted(zones)
    if args.facility:
        _known_facility(zones, args.facility)
    with Session(_engine(settings)) as session:
        duties = load_roster(session, at, at, facility_code=args.facility).resolved()
    found = [d for code in codes for d in on_duty(duties, code, at)]
    if args.json:
        print(json.dumps([duty_json(d) for d in found], indent=2, ensure_ascii=False))
    else:
        print("\n".join(on_duty_lines(found, at, tr)))
    return 0


def cmd_gaps(args: argparse.Namespace) -> int:

    settings = _settings(args)
    start, end = _instant(args.from_time, "--from"), _instant(args.to_time, "--to")
    if end <= start:
        raise ValueError(_TO_AFTER_FROM)
    if end - start > timedelta(days=62):
        raise ValueError(N_("check at most 62 days at a time"))
    facilities = load_facilities(settings)
    with Session(_engine(settings)) as session:
        duties = load_roster(session, start, end).resolved()
    gaps = coverage_gaps(duties, facilities, SERVICES, start, end)
    if args.facility:  # their own gaps and their kecamatan's (which every facility there decides)
        chosen = {f.code: f for f in facilities if f.code in set(args.facility)}
        missing = set(args.facility) - set(chosen)
        if missing:
            raise ValueError(Message("unknown facility {facility}", facility=", ".join(sorted(missing))))
        areas = {f.area_code for f in chosen.values()}
        gaps = [g for g in gaps if g.code in (chosen if g.scope == "facility" else areas)]
    if args.json:
        print(json.dumps([gap_json(g) for g in gaps], indent=2, ensure_ascii=False))
    elif gaps:
        print("\n".join(gap_lines(gaps, tr, format_number)))
        places = len({(g.scope, g.code) for g in gaps})
        print(
            tr(
                Message(
                    "{gaps} gap(s) at {places} place(s) between {start} and {end}",
                    gaps=len(gaps),
                    places=places,
                    start=start.isoformat(),
                    end=end.isoformat(),
                )
            )
        )
    else:
        print(
            tr(
                Message(
                    "no gaps: every facility and kecamatan has someone on duty from {start} to {end}",
                    start=start.isoformat(),
                    end=end.isoformat(),
                )
            )
        )
    return 1 if gaps else 0


# -- planning ------------------------------------------------------------------------------------------


def cmd_fill(args: argparse.Namespace) -> int:

    settings = _settings(args)
    year, month = _month(args.month)
    facilities = load_facilities(settings)
    with _plain_reasons(), Session(_engine(settings)) as session, session.begin():
        service = _service(settings, session, facilities)
        rotation = service.month_rotation(
            session,
            year,
            month,
            args.facility or None,
            args.per_shift,
            timedelta(hours=args.min_rest_hours),
        )
        for note in rotation.unfilled[:20]:
            print(tr(Message("unfilled: {note}", note=note)), file=sys.stderr)
        if len(rotation.unfilled) > 20:
            print(
                tr(Message("unfilled: … and {count} more", count=len(rotation.unfilled) - 20)),
                file=sys.stderr,
            )
        if args.template:
            _write_text(rotation.text, args.output)
            if args.output is not None:
                print(
                    tr(
                        Message(
                            "wrote a {label} rotation of {rows} shift(s) to {file}",
                            label=rotation.label,
                            rows=rotation.rows,
                            file=args.output,
                        )
                    )
                )
            return 0
        result = service.fill(session, _actor(), rotation, update=args.update)
    print(
        tr(
            Message(
                "filled {label}: {assignments} assignment(s) at {facilities} facilit(ies)",
                label=rotation.label,
                assignments=result.assignments,
                facilities=rotation.facilities,
            )
        )
    )
    return 0


def _month(raw: str | None) -> tuple[int, int]:
    if raw is None:
        today = datetime.now(UTC).date()
        return (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
    try:
        year, month = (int(p) for p in raw.split("-"))
        date(year, month, 1)
    except ValueError as exc:
        raise ValueError(Message("--month {month!r} is not a month like 2026-12", month=raw)) from exc
    return year, month


def cmd_leave(args: argparse.Namespace) -> int:

    settings = _settings(args)
    start, end = _instant(args.from_time, "--from"), _instant(args.to_time, "--to")
    if end <= start:
        raise ValueError(_TO_AFTER_FROM)
    with _plain_reasons(), Session(_engine(settings)) as session, session.begin():
        affected = _service(settings, session).leave(
            session, _actor(), args.staff_id, start, end, args.reason or ""
        )
    print(
        tr(
            Message(
                "{staff} on leave {start} – {end}: {count} shift(s) affected",
                staff=args.staff_id,
                start=start.isoformat(),
                end=end.isoformat(),
                count=len(affected),
            )
        )
    )
    for duty in affected:
        print(
            "  "
            + tr(
                Message(
                    "{facility} {day} {shift}: no longer covered by {staff}",
                    facility=duty.facility_code,
                    day=duty.shift_date,
                    shift=duty.shift,
                    staff=args.staff_id,
                )
            )
        )
    return 0


def cmd_swap(args: argparse.Namespace) -> int:

    settings = _settings(args)
    start, end = _instant(args.from_time, "--from"), _instant(args.to_time, "--to")
    if end <= start:
        raise ValueError(_TO_AFTER_FROM)
    with _plain_reasons(), Session(_engine(settings)) as session, session.begin():
        shifts = _service(settings, session).swap_span(
            session, _actor(), args.staff_id, args.replacement, start, end, args.reason or ""
        )
    print(
        tr(
            Message(
                "{replacement} works {count} shift(s) of {staff} between {start} and {end}",
                replacement=args.replacement,
                count=len(shifts),
                staff=args.staff_id,
                start=start.isoformat(),
                end=end.isoformat(),
            )
        )
    )
    return 0


def cmd_shifts(args: argparse.Namespace) -> int:

    settings = _settings(args)
    _known_facility(_zones(settings), args.facility)
    with Session(_engine(settings)) as session, session.begin():
        if args.reset:
            set_facility_shifts(session, args.facility, [])
        elif args.set:
            templates = [parse_template_spec(spec, _max_shift(settings)) for spec in args.set]
            names = [t.name for t in templates]
            if len(set(names)) != len(names):
                raise ValueError(N_("each shift name once, please"))
            set_facility_shifts(session, args.facility, templates)
        templates = facility_templates(session)
    shown = sorted(shifts_for(args.facility, templates).values(), key=lambda t: t.start)
    origin = N_("its own shifts") if args.facility in templates else N_("the national default shifts")
    print(
        tr(Message("{facility} keeps {origin}: ", facility=args.facility, origin=Message(origin)))
        + ", ".join(t.label() for t in shown)
    )
    return 0


def cmd_jobs(args: argparse.Namespace) -> int:

    settings = _settings(args)
    engine = _engine(settings)
    if args.list:
        jobs = stored_jobs(engine)
        if not jobs:
            print(
                tr(
                    N_(
                        "no scheduled jobs stored yet (they are created when `siaga serve` starts its "
                        "scheduler)"
                    )
                )
            )
        for job_id, next_run, trigger in jobs:
            when = next_run.isoformat(timespec="seconds") if next_run else tr(N_("paused"))
            print(f"{job_id:<16} " + tr(Message("next {when}  ({trigger})", when=when, trigger=trigger)))
        return 0
    at = parse_at(args.at)
    context = JobContext(
        engine,
        build_roster(settings),
        lambda: load_facilities(settings),
        SERVICES,
        timedelta(hours=settings.coverage_warn_hours),
    )
    run = set(args.run or ["coverage", "summary"])
    if "coverage" in run:
        report = coverage_check(context, at, remember=False)
        print(
            tr(
                Message(
                    "coverage {start} + {hours} h: {gaps} gap(s)",
                    start=report.start.isoformat(timespec="minutes"),
                    hours=f"{settings.coverage_warn_hours:g}",
                    gaps=len(report.gaps),
                )
            )
        )
        for gap in report.gaps:
            print(f"  {describe_gap(gap, tr, format_number)}")
    if "summary" in run:
        print(describe_summary(roster_summary(context, at), tr, format_number))
    if "boundary" in run:
        with Session(engine) as session:
            upcoming = next_boundary(session, at)
        when = clock(upcoming, "UTC") if upcoming else tr(N_("none rostered"))
        print(tr(Message("next shift boundary: {when}", when=when)))
    return 0


# -- parsers -------------------------------------------------------------------------------------------


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]

    parser = subparsers.add_parser(
        "roster",
        help="shift rosters: import, export, show, on-duty, gaps, fill, leave, swap, shifts, jobs",
        description="Plan and check who is on duty where. Times are stored in UTC and shown in each "
        "facility's own zone (WIB, WITA, WIT); a night shift belongs to the date it starts.",
    )
    actions = parser.add_subparsers(dest="roster_command", required=True, metavar="ACTION")

    def action(name: str, help: str, description: str, func: Any) -> argparse.ArgumentParser:
        p = actions.add_parser(name, help=help, description=description)
        add_common_options(p)
        p.set_defaults(func=func)
        return p

    p = action(
        "import",
        "import a roster CSV (all or nothing; every bad line is reported)",
        "Import assignments. " + ROSTER_COLUMNS_HELP + " Refused, with every bad line named: unknown "
        "facility or staff, dates that do not exist, offsets that are not the facility's, shifts longer "
        "than max_shift_hours, and a person on two overlapping shifts (in the file or against the "
        "database).",
        cmd_import,
    )
    p.add_argument("file", type=Path, help="roster CSV file")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--replace", action="store_true", help="replace every existing assignment")
    mode.add_argument(
        "--update",
        action="store_true",
        help="replace what is rostered for the file's facilities on the dates it covers (a corrected month)",
    )
    p.add_argument("--dry-run", action="store_true", help="check the file, write nothing")

    p = action(
        "export",
        "write the roster as CSV (the import's columns; safe to open in a spreadsheet)",
        "Export assignments in the columns `roster import` reads, so a roster can be edited and "
        "re-imported with --update. Cells that a spreadsheet would run as a formula (=, +, -, @) are "
        "written with a leading ' .",
        cmd_export,
    )
    p.add_argument("--facility", action="append", metavar="CODE", help="only this facility (repeatable)")
    p.add_argument("--from", dest="from_date", metavar="DATE", help="first shift date (YYYY-MM-DD)")
    p.add_argument("--to", dest="to_date", metavar="DATE", help="last shift date (YYYY-MM-DD)")
    p.add_argument("-o", "--output", type=Path, help="write to this file (default: standard output)")

    p = action(
        "show",
        "a facility's week as a grid of shifts and names",
        "Show one facility's week: a row per day, a column per shift, with leave and swaps applied "
        "and listed underneath.",
        cmd_show,
    )
    p.add_argument("--facility", required=True, metavar="CODE", help="facility code, e.g. pkm-gayamsari")
    p.add_argument("--week", metavar="YYYY-Www", help="ISO week, e.g. 2026-W48 (default: this week)")

    p = action(
        "on-duty",
        "who is on duty at an instant (the snapshot routing uses)",
        "List everyone on duty at --at, leave and swaps applied. With --json: a list of objects with "
        "facility, staff_id, role, endpoint, shift, start, end (and staff_name, phone, timezone).",
        cmd_on_duty,
    )
    p.add_argument("--at", metavar="ISO", help="time with offset (default now), e.g. 2026-11-23T02:00+07:00")
    p.add_argument("--facility", metavar="CODE", help="only this facility")
    p.add_argument("--json", action="store_true", help="print JSON")

    p = action(
        "gaps",
        "where and when no one of the needed roles is on duty (exit status 1 if any)",
        "Coverage check over [--from, --to): every facility whose services' roles (kernel/catalogue.py) "
        "have no one on duty, and every kecamatan where none of its facilities has. Exits 1 when there "
        "are gaps, 0 when there are none.",
        cmd_gaps,
    )
    p.add_argument(
        "--from", dest="from_time", required=True, metavar="ISO", help="start, e.g. 2026-12-01T00:00+07:00"
    )
    p.add_argument("--to", dest="to_time", required=True, metavar="ISO", help="end (at most 62 days later)")
    p.add_argument(
        "--facility",
        action="append",
        metavar="CODE",
        help="only this facility and its kecamatan (repeatable)",
    )
    p.add_argument("--json", action="store_true", help="print JSON")

    p = action(
        "fill",
        "a month's rotation of each facility's staff (as a CSV template, or straight in)",
        "Rotate each facility's own staff (those whose role its services need) through every shift of "
        "a month: the fewest shifts first, nights going round, never less than --min-rest-hours between "
        "two shifts of one person. With --template the rotation is written as a roster CSV to edit and "
        "import; without, it is imported at once through the same checks.",
        cmd_fill,
    )
    p.add_argument(
        "--template", action="store_true", help="write the rotation as a CSV instead of importing it"
    )
    p.add_argument("--month", metavar="YYYY-MM", help="month to fill (default: next month)")
    p.add_argument("--facility", action="append", metavar="CODE", help="only this facility (repeatable)")
    p.add_argument("--per-shift", type=int, default=1, metavar="N", help="people on each shift (default 1)")
    p.add_argument(
        "--min-rest-hours", type=float, default=11.0, metavar="H", help="rest between two shifts (default 11)"
    )
    p.add_argument(
        "--update", action="store_true", help="replace what those facilities already have that month"
    )
    p.add_argument(
        "-o", "--output", type=Path, help="with --template: write to this file (default: standard output)"
    )

    p = action(
        "leave",
        "take a person off every shift in a period (sick, cuti, training)",
        "Record leave: the person's shifts in [--from, --to) no longer count as on duty; the coverage "
        "check shows any gap this opens.",
        cmd_leave,
    )
    p.add_argument("staff_id", help="who is away")
    p.add_argument("--from", dest="from_time", required=True, metavar="ISO", help="start, with offset")
    p.add_argument("--to", dest="to_time", required=True, metavar="ISO", help="end, with offset")
    p.add_argument("--reason", help="free text shown in `roster show`")

    p = action(
        "swap",
        "let someone else work a person's shifts for a while (tukar jaga)",
        "Record a swap: --with works every shift of STAFF_ID in [--from, --to). Refused if that person "
        "is already on duty at the same time. For a two-way swap record two swaps.",
        cmd_swap,
    )
    p.add_argument("staff_id", help="whose shifts are handed over")
    p.add_argument("--with", dest="replacement", required=True, metavar="STAFF_ID", help="who works them")
    p.add_argument("--from", dest="from_time", required=True, metavar="ISO", help="start, with offset")
    p.add_argument("--to", dest="to_time", required=True, metavar="ISO", help="end, with offset")
    p.add_argument("--reason", help="free text shown in `roster show`")

    p = action(
        "shifts",
        "show or set a facility's own shift times",
        "Without options: show the facility's shifts. --set NAME=HH:MM-HH:MM (repeatable) replaces them "
        "(an end at or before the start is the next day, e.g. malam=21:00-08:00); --reset returns to the "
        "national pagi 07-14, siang 14-21, malam 21-07. Applies to shifts imported afterwards.",
        cmd_shifts,
    )
    p.add_argument("--facility", required=True, metavar="CODE", help="facility code")
    group = p.add_mutually_exclusive_group()
    group.add_argument("--set", action="append", metavar="NAME=HH:MM-HH:MM", help="a shift of this facility")
    group.add_argument("--reset", action="store_true", help="back to the national default shifts")

    p = action(
        "jobs",
        "run the roster checks once, or list the scheduled jobs",
        "Run what the scheduler in `siaga serve` runs, once, at --at: the coverage check (gaps within "
        "coverage_warn_hours) and the daily summary; `boundary` shows the next shift boundary. Nothing "
        "is recorded, so the scheduled warnings still fire. --list shows the stored jobs and their next "
        "runs.",
        cmd_jobs,
    )
    p.add_argument("--list", action="store_true", help="list the jobs stored in the database")
    p.add_argument(
        "--run",
        action="append",
        choices=("coverage", "summary", "boundary"),
        help="what to run (default: coverage and summary)",
    )
    p.add_argument("--at", metavar="ISO", help="time with offset (default now)")
