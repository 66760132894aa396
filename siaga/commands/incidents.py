"""`siaga incidents open|show|list|dispatch|edit|close|figures`: thin shells around `dispatch.service` (the
writes and their checks) and the pure `dispatch.incidents` (intervals, figures, the announcement)."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from dispatch.incidents import INTERVALS, Incident, announcement, figures
from dispatch.service import (
    close_incident,
    dispatch_unit,
    get_incident,
    list_incidents,
    open_incident,
    update_incident,
)
from dispatch.store import statuses
from geo.areas import AreaIndex
from geo.store import NoAreasError, load_areas
from kernel.cli_common import add_common_options, parse_at, settings_from_args
from kernel.dataerrors import InputError, NotFound
from kernel.db import make_engine
from kernel.messages import N_, Message, untranslated
from kernel.settings import Settings, SettingsError
from siaga.language import describe, row, tr


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


def _areas(settings: Settings) -> AreaIndex | None:
    """The stored areas, to place a typed point in its kecamatan and kabupaten (None: none stored)."""
    try:
        return load_areas(settings)
    except NoAreasError:
        return None


def _fail(exc: Exception) -> int:
    if isinstance(exc, InputError):
        for error in exc.errors:
            print(f"siaga: {row(error)}", file=sys.stderr)
    else:
        print(f"siaga: {describe(exc)}", file=sys.stderr)
    return 2


def _minutes(seconds: float | None, translate: Callable[[str], str] = untranslated) -> str:
    if seconds is None:
        return "—"
    return translate(
        Message("{minutes} min {seconds} s", minutes=int(seconds // 60), seconds=f"{int(seconds % 60):02d}")
    )


# An incident's intervals (`dispatch.incidents.INTERVALS`, the JSON's keys) as a dispatcher says them.
INTERVAL_WORDS = {
    "call_to_dispatch_s": N_("call to dispatch"),
    "dispatch_to_scene_s": N_("dispatch to scene"),
    "scene_to_hospital_s": N_("scene to hospital"),
    "call_to_close_s": N_("call to close"),
}
LABELS = {
    "caller": N_("caller"),
    "location": N_("location"),
    "area": N_("area"),
    "opened": N_("opened"),
    "notes": N_("notes"),
    "unit": N_("unit"),
}


def _interval(name: str, translate: Callable[[str], str]) -> str:
    return translate(INTERVAL_WORDS[name]) if name in INTERVAL_WORDS else name


def format_incident(
    incident: Incident, now: datetime, current: dict[str, str], translate: Callable[[str], str] = untranslated
) -> str:
    """An incident for the dispatcher's terminal; `translate` (`tr`) gives the reader's words. The
    announcement is the crew's Indonesian words whatever the reader's language."""
    t = translate
    label = {key: t(word) for key, word in LABELS.items()}
    width = max(len(v) for v in label.values()) + 1

    def field(key: str, value: str) -> str:
        return f"  {label[key]:<{width}} {value}"

    state = (
        t(N_("open")) if incident.is_open else t(Message("closed ({reason})", reason=incident.close_reason))
    )
    lines = [
        t(
            Message(
                "Incident {id} · {category} · {priority} · {state}",
                id=incident.id,
                category=incident.category,
                priority=incident.priority,
                state=state,
            )
        ),
        field("caller", incident.caller or "—")
        + ("  " + t(Message("(call {call})", call=incident.call_id)) if incident.call_id else ""),
        field("location", incident.address or "—")
        + (f"  {incident.lat:.5f}, {incident.lon:.5f}" if incident.lat is not None else "")
        + (f"  [{incident.location_source}]" if incident.location_source else ""),
        field("area", incident.area_name or "—"),
        field(
            "opened",
            t(
                Message(
                    "{at} by {operator}; age {age}",
                    at=incident.opened_at.isoformat(timespec="seconds"),
                    operator=incident.operator,
                    age=_minutes(incident.age_s(now), t),
                )
            ),
        ),
    ]
    if incident.notes:
        lines.append(field("notes", incident.notes))
    for run in incident.dispatches:
        now_status = current.get(run.unit, "available") if run.active else run.end_reason
        lines.append(
            field(
                "unit",
                t(
                    Message(
                        "{unit} dispatched {at}: {status}",
                        unit=run.unit,
                        at=run.dispatched_at.isoformat(timespec="seconds"),
                        status=now_status,
                    )
                ),
            )
        )
    for name, value in incident.intervals().items():
        lines.append(f"  {_interval(name, t):<20} {_minutes(value, t)}")
    lines.append("  " + t(Message("announcement: {text}", text=announcement(incident))))
    return "\n".join(lines)


def cmd_open(args: argparse.Namespace) -> int:
    try:
        settings = settings_from_args(args)
        now = parse_at(args.at)
        typed = args.lat is not None or args.lon is not None
        areas = _areas(settings) if typed else None
        with Session(make_engine(settings.db_url)) as session, session.begin():
            incident = open_incident(
                session,
                call_id=args.call_id,
                caller=args.caller,
                lat=args.lat,
                lon=args.lon,
                address=args.address,
                category=args.category,
                priority=args.priority,
                notes=args.notes or "",
                actor=_actor(),
                now=now,
                categories=settings.incident_categories,
                areas=areas,
            )
    except (SettingsError, ValueError) as exc:
        return _fail(exc)
    if args.json:
        print(json.dumps(incident.to_json(now), indent=2, ensure_ascii=False))
    else:
        print(format_incident(incident, now, {}, tr))
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    try:
        settings = settings_from_args(args)
        now = datetime.now(UTC)
        with Session(make_engine(settings.db_url)) as session:
            incident = get_incident(session, args.incident)
            current = statuses(session)
    except (SettingsError, ValueError, NotFound) as exc:
        return _fail(exc)
    if args.json:
        print(json.dumps(incident.to_json(now, current), indent=2, ensure_ascii=False))
    else:
        print(format_incident(incident, now, current, tr))
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    try:
        settings = settings_from_args(args)
    except SettingsError as exc:
        return _fail(exc)
    now = datetime.now(UTC)
    with Session(make_engine(settings.db_url)) as session:
        found = list_incidents(session, open_only=args.open, limit=args.limit)
        current = statuses(session)
    if args.json:
        print(
            json.dumps({"incidents": [i.to_json(now, current) for i in found]}, indent=2, ensure_ascii=False)
        )
        return 0
    for i in found:
        units = ", ".join(f"{d.unit} {current.get(d.unit, 'available')}" for d in i.active_dispatches)
        state = tr(N_("open")) if i.is_open else tr(N_("closed"))
        age = tr(Message("age {age}", age=_minutes(i.age_s(now), tr)))
        print(
            f"{i.id:>5}  {i.opened_at:%m-%d %H:%M}Z  {state:<6} {i.priority:<6} {i.category:<14} "
            f"{i.caller or '—':<14} {(i.area_name.split(' < ')[0] or '—'):<20} "
            f"{age:<16} "
            f"{units or tr(N_('no unit'))}"
        )
    return 0


def cmd_dispatch(args: argparse.Namespace) -> int:
    try:
        settings = settings_from_args(args)
        now = parse_at(args.at)
        with Session(make_engine(settings.db_url)) as session, session.begin():
            sent = dispatch_unit(session, incident=args.incident, unit=args.unit, actor=_actor(), now=now)
    except (SettingsError, ValueError, NotFound) as exc:
        return _fail(exc)
    if args.json:
        print(json.dumps(sent.to_json(), indent=2, ensure_ascii=False))
    else:
        print(
            tr(
                Message(
                    "unit {unit} dispatched to incident {incident} (crew phone {endpoint})",
                    unit=sent.unit,
                    incident=sent.incident,
                    endpoint=sent.endpoint,
                )
            )
        )
        print(tr(Message("announcement: {text}", text=sent.announcement)))
    return 0


def cmd_edit(args: argparse.Namespace) -> int:
    try:
        settings = settings_from_args(args)
        areas = _areas(settings) if args.lat is not None or args.lon is not None else None
        with Session(make_engine(settings.db_url)) as session, session.begin():
            incident = update_incident(
                session,
                incident=args.incident,
                actor=_actor(),
                now=datetime.now(UTC),
                lat=args.lat,
                lon=args.lon,
                address=args.address,
                notes=args.notes,
                areas=areas,
            )
    except (SettingsError, ValueError, NotFound) as exc:
        return _fail(exc)
    print(format_incident(incident, datetime.now(UTC), {}, tr))
    return 0


def cmd_close(args: argparse.Namespace) -> int:
    try:
        settings = settings_from_args(args)
        with Session(make_engine(settings.db_url)) as session, session.begin():
            incident = close_incident(
                session, incident=args.incident, actor=_actor(), now=datetime.now(UTC), reason=args.reason
            )
    except (SettingsError, ValueError, NotFound) as exc:
        return _fail(exc)
    print(
        tr(
            Message(
                "incident {incident} closed: {reason}", incident=incident.id, reason=incident.close_reason
            )
        )
    )
    return 0


def figures_json(rows: list[Any], now: datetime, days: float) -> dict[str, Any]:
    return {
        "at": now.isoformat(timespec="seconds"),
        "days": days,
        "intervals": list(INTERVALS),
        "figures": [r.to_json() for r in rows],
    }


def cmd_figures(args: argparse.Namespace) -> int:
    try:
        settings = settings_from_args(args)
        now = parse_at(args.at)
    except (SettingsError, ValueError) as exc:
        return _fail(exc)
    since = timedelta(days=args.days)
    with Session(make_engine(settings.db_url)) as session:
        found = list_incidents(session, since=now - since - timedelta(days=1), limit=100_000)
    rows = figures(found, now, since)
    if args.json:
        print(json.dumps(figures_json(rows, now, args.days), indent=2, ensure_ascii=False))
        return 0
    for r in rows:
        cells = "  ".join(
            f"{_interval(name, tr)}: {_minutes(f.median_s, tr)} / {_minutes(f.p90_s, tr)} (n={f.count})"
            for name, f in r.intervals.items()
        )
        count = tr(Message("incidents {n}", n=r.incidents))
        print(f"{r.kabupaten or '—':<8} {r.shift or '—':<6} {count:<14} {cells}")
    if not rows:
        print(tr(N_("no incidents in that time")))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "incidents",
        help="incidents: open one from a call, dispatch a unit to it, its intervals and figures",
        description="An incident is what the operator who answered opens from the call (its id is on the "
        "screen-pop): caller and location from the call record, category, priority (merah, kuning, hijau or "
        "1-3), notes. Dispatching a unit makes it `dispatched`; the crew's status reports stamp the incident "
        "(on scene, at hospital) and close it when they are done.",
    )
    actions = parser.add_subparsers(dest="incidents_command", required=True, metavar="ACTION")

    p = actions.add_parser("open", help="open an incident from a call id, or from a number and a point")
    add_common_options(p)
    p.add_argument(
        "--call-id", metavar="ID", help="the call's id (screen-pop X-Siaga-Call, Asterisk UNIQUEID)"
    )
    p.add_argument("--caller", metavar="NUMBER", help="the caller's number (without --call-id)")
    p.add_argument("--lat", type=float, help="latitude (overrides the call's location)")
    p.add_argument("--lon", type=float, help="longitude")
    p.add_argument("--address", help="address or landmark, as the caller said it")
    p.add_argument("--category", required=True, help="e.g. kecelakaan, persalinan, henti_jantung, ...")
    p.add_argument("--priority", required=True, help="merah, kuning, hijau (or 1, 2, 3)")
    p.add_argument("--notes", help="free text")
    p.add_argument("--at", metavar="ISO", help="when it was opened (with offset; default now)")
    p.add_argument("--json", action="store_true", help="print the incident as JSON")
    p.set_defaults(func=cmd_open)

    p = actions.add_parser("show", help="one incident: caller, place, units, intervals, announcement")
    add_common_options(p)
    p.add_argument("incident", metavar="INCIDENT", help="incident number")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_show)

    p = actions.add_parser("list", help="incidents, newest first")
    add_common_options(p)
    p.add_argument("--open", action="store_true", help="open incidents only")
    p.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_list)

    p = actions.add_parser(
        "dispatch",
        help="send a unit to an incident (it becomes dispatched)",
        description="Refused when the unit has no driver and medic on duty now, is out of service or busy, "
        "or the incident is closed.",
    )
    add_common_options(p)
    p.add_argument("incident", metavar="INCIDENT", help="incident number")
    p.add_argument("unit", metavar="UNIT", help="unit code (siaga dispatch recommend)")
    p.add_argument("--at", metavar="ISO", help="when (with offset; default now)")
    p.add_argument("--json", action="store_true", help="print the dispatch as JSON")
    p.set_defaults(func=cmd_dispatch)

    p = actions.add_parser("edit", help="correct an incident's location or notes")
    add_common_options(p)
    p.add_argument("incident", metavar="INCIDENT", help="incident number")
    p.add_argument("--lat", type=float, help="latitude")
    p.add_argument("--lon", type=float, help="longitude")
    p.add_argument("--address", help="address or landmark")
    p.add_argument("--notes", help="replaces the notes")
    p.set_defaults(func=cmd_edit)

    p = actions.add_parser("close", help="close an incident no unit is on (advice given, false alarm)")
    add_common_options(p)
    p.add_argument("incident", metavar="INCIDENT", help="incident number")
    p.add_argument("--reason", default="", help="why")
    p.set_defaults(func=cmd_close)

    p = actions.add_parser(
        "figures",
        help="median and p90 of each interval per kabupaten and shift",
        description="Intervals: call → dispatch, dispatch → on scene, on scene → hospital, call → close; "
        "over the incidents whose call arrived in the DAYS before --at.",
    )
    add_common_options(p)
    p.add_argument("--at", metavar="ISO", help="as at this time (with offset; default now)")
    p.add_argument("--days", type=float, default=30.0, help="look back this many days (default 30)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_figures)
