"""`siaga dispatch recommend|status|units`, `siaga token add|list|revoke` and the `units` and `beds` verbs
of `siaga import`: thin shells around `dispatch.store` and the pure `dispatch.recommend`."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from dispatch.beds import BED_CLASSES
from dispatch.recommend import NEEDS, DispatchSettings, Recommendation
from dispatch.service import recommend_here, set_unit_status
from dispatch.store import (
    DispatchError,
    add_token,
    crew_duties,
    import_beds,
    import_units,
    list_tokens,
    read_units,
    revoke_token,
    status_history,
    statuses,
)
from dispatch.transitions import STATUS_DIGITS
from dispatch.travel import GeodesicTravel
from dispatch.units import STATUSES, crew_states
from geo.importers import ImportResult
from kernel.cli_common import add_common_options, parse_at, settings_from_args
from kernel.db import make_engine
from kernel.messages import N_, Message, plain_number, untranslated
from kernel.settings import SettingsError
from siaga.language import describe, tr
from web.i18n import format_number

IMPORT_VERBS = ("units", "beds")


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"


def run_import(engine: Engine, args: argparse.Namespace) -> ImportResult:
    """`siaga import units|beds FILE` (called from `siaga.commands.geo`, which owns `siaga import`)."""
    if args.import_command == "units":
        return import_units(engine, args.file, replace=args.replace)
    return import_beds(engine, args.file)


def add_import_parsers(actions: argparse._SubParsersAction, run: Callable[..., int]) -> None:  # type: ignore[type-arg]
    p = actions.add_parser(
        "units",
        help="ambulance units (code,name,base_facility,kind,endpoint)",
        description="Columns exactly code,name,base_facility,kind,endpoint: kind is emergency or "
        "transport, base_facility a stored facility, endpoint the crew's phone (a softphone endpoint name). "
        "All or nothing: every bad line is named. A code or endpoint already stored is refused unless "
        "--replace swaps every stored unit for the file's.",
    )
    p.add_argument("file", type=Path, help="units CSV")
    add_common_options(p)
    p.add_argument("--replace", action="store_true", help="remove every stored unit first")
    p.set_defaults(func=run, skip_bad=False)
    p = actions.add_parser(
        "beds",
        help="hospital beds per class (hospital,bed_class,total,occupied,waiting,updated_at)",
        description=f"Columns exactly hospital,bed_class,total,occupied,waiting,updated_at: hospital a "
        f"stored facility of kind hospital, bed_class one of {', '.join(BED_CLASSES)}, updated_at ISO 8601 "
        "with its offset (not in the future). Each line replaces that hospital's count of that class; a "
        "count older than the stored one is refused. All or nothing: every bad line is named.",
    )
    p.add_argument("file", type=Path, help="beds CSV")
    add_common_options(p)
    p.set_defaults(func=run, skip_bad=False, replace=False)


# -- siaga dispatch -------------------------------------------------------------------------------------


def cmd_recommend(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    if not (-90 <= args.lat <= 90 and -180 <= args.lon <= 180):
        print("siaga: " + tr(N_("--lat/--lon: not a point on Earth")), file=sys.stderr)
        return 2
    try:
        now = parse_at(args.at)
        travel = GeodesicTravel(settings.dispatch_road_factor, settings.dispatch_speed_kmh)
    except (SettingsError, ValueError) as exc:
        print(f"siaga: {describe(exc)}", file=sys.stderr)
        return 2
    with Session(make_engine(settings.db_url)) as session:
        result = recommend_here(
            session,
            now,
            args.lat,
            args.lon,
            need=args.need,
            bed_class=args.bed_class,
            settings=DispatchSettings.from_settings(settings),
            travel=travel,
        )
    if args.json:
        print(json.dumps(result.to_json(), indent=2, ensure_ascii=False))
    else:
        print(format_recommendation(result, tr, format_number))
    return 0


def format_recommendation(
    result: Recommendation,
    translate: Callable[[str], str] = untranslated,
    number: Callable[[float, int], str] = plain_number,
) -> str:
    """The recommendation for a dispatcher's terminal; `translate` (`tr`) and `number`
    (`web.i18n.format_number`) give the reader's words and decimals, codes and names stay."""
    t = translate
    lines = [t(N_("units:"))]
    for u in result.units:
        eta = (
            "?"
            if u.eta_s is None
            else t(Message("{minutes} min {seconds} s", minutes=u.eta_s // 60, seconds=f"{u.eta_s % 60:02d}"))
        )
        km = f"{number(u.distance_m / 1000, 1):>6}"
        lines.append(
            f"  {u.unit:<16} {u.base_facility:<24} {km} km  "
            + t(Message("eta {eta}", eta=eta))
            + f"  {u.status}"
        )
    lines += [
        "  " + t(Message("skipped {what}: {reason}", what=s.unit, reason=t(s.reason))) for s in result.skipped
    ]
    if not result.units:
        lines.append("  " + t(N_("(no unit available)")))
    lines.append(t(N_("hospitals:")))
    for h in result.hospitals:
        km = f"{number(h.distance_m / 1000, 1):>6}"
        free = t(Message("{free} free", free=f"{number(h.free, 0):>4}"))
        updated = t(Message("updated {at}", at=h.updated_at))
        lines.append(f"  {h.facility:<24} {h.bed_class:<9} {free}  {km} km  {updated}")
    lines += [
        "  " + t(Message("skipped {what}: {reason}", what=s.facility, reason=t(s.reason)))
        for s in result.hospitals_skipped
    ]
    if not result.hospitals:
        lines.append("  " + t(N_("(no hospital with a fresh free bed of that class)")))
    return "\n".join(lines)


def cmd_status(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    try:
        at = parse_at(args.at)
        with Session(make_engine(settings.db_url)) as session, session.begin():
            change = set_unit_status(
                session, unit=args.unit, status=args.status, source="cli", actor=_actor(), now=at
            )
    except (SettingsError, ValueError) as exc:  # InputError is a ValueError naming the field
        print(f"siaga: {describe(exc)}", file=sys.stderr)
        return 2
    if not change.changed:
        print(
            tr(Message("{unit}: already {status} (nothing changed)", unit=change.unit, status=change.status))
        )
        return 0
    on = (
        tr(Message(" (incident {incident})", incident=change.incident)) if change.incident is not None else ""
    )
    print(
        tr(
            Message(
                "{unit}: {previous} → {status} at {at}",
                unit=change.unit,
                previous=change.previous,
                status=change.status,
                at=change.at.isoformat(timespec="seconds"),
            )
        )
        + on
    )
    return 0


def cmd_units(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    try:
        now = parse_at(args.at)
    except (SettingsError, ValueError) as exc:
        print(f"siaga: {describe(exc)}", file=sys.stderr)
        return 2
    with Session(make_engine(settings.db_url)) as session:
        units = read_units(session)
        crews = crew_states(now, crew_duties(session, now))
        current = statuses(session)
        history = {u.code: status_history(session, u.code, 1) for u in units} if args.json else {}
    rows = []
    for unit in units:
        crew = crews.get(unit.code)
        problem = crew.problem if crew else N_("not in service")
        rows.append(
            {
                "unit": unit.code,
                "name": unit.name,
                "base_facility": unit.base_facility,
                "kind": unit.kind,
                "endpoint": unit.endpoint,
                "status": current.get(unit.code, "available"),
                "in_service": problem is None,
                "crew_problem": problem,
                "drivers": list(crew.drivers) if crew else [],
                "medics": list(crew.medics) if crew else [],
                "status_since": (
                    history[unit.code][0].at.isoformat(timespec="seconds") if history.get(unit.code) else None
                ),
            }
        )
    if args.json:
        print(json.dumps({"units": rows}, indent=2, ensure_ascii=False))
        return 0
    for r in rows:
        crew_text = tr(N_("in service")) if r["in_service"] else tr(r["crew_problem"])  # type: ignore[arg-type]
        crew_of = tr(
            Message(
                "drivers: {drivers}  medics: {medics}",
                drivers=", ".join(r["drivers"]) or "—",  # type: ignore[arg-type]
                medics=", ".join(r["medics"]) or "—",  # type: ignore[arg-type]
            )
        )
        where = f"{r['unit']:<16} {r['kind']:<9} {r['base_facility']:<24} {r['status']:<14}"
        print(f"{where} {crew_text}  {crew_of}")
    return 0


# -- siaga token ----------------------------------------------------------------------------------------


def cmd_token_add(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    try:
        with Session(make_engine(settings.db_url)) as session, session.begin():
            token_id, token = add_token(session, args.hospital, _actor(), datetime.now(UTC))
    except DispatchError as exc:
        print(f"siaga: {describe(exc)}", file=sys.stderr)
        return 2
    print(
        tr(
            Message(
                "token {id} may write the beds of {hospital}; it is shown only now (only its hash is kept). "
                "Send it as `Authorization: Bearer <token>` to PUT /api/beds/{hospital}/<bed_class>.",
                id=token_id,
                hospital=args.hospital,
            )
        ),
        file=sys.stderr,
    )
    print(token)
    return 0


def cmd_token_list(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    with Session(make_engine(settings.db_url)) as session:
        for t in list_tokens(session):
            state = tr(N_("revoked")) if t.revoked else tr(N_("active"))
            print(f"{t.id:>4}  {t.hospital:<24} {state:<8} {t.created_at:%Y-%m-%d %H:%M}Z  {t.created_by}")
    return 0


def cmd_token_revoke(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    try:
        with Session(make_engine(settings.db_url)) as session, session.begin():
            revoke_token(session, args.id)
    except DispatchError as exc:
        print(f"siaga: {describe(exc)}", file=sys.stderr)
        return 2
    print(tr(Message("token {token} revoked", token=args.id)))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "dispatch",
        help="ambulance units: the recommendation for a caller's location, unit status",
        description="The dispatch side of a PSC 119: which unit to send and to which hospital.",
    )
    actions = parser.add_subparsers(dest="dispatch_command", required=True, metavar="ACTION")
    p = actions.add_parser(
        "recommend",
        help="the nearest available in-service units and the nearest hospitals with a fresh free bed",
        description="Units nearest the caller first (by base facility), each available unit with a driver "
        "and a medic on duty recommended and the others skipped with the reason; hospitals nearest first "
        "with a free bed of the class asked, skipping those full, stale or without the class. ETA is the "
        "straight-line distance x dispatch_road_factor / dispatch_speed_kmh.",
    )
    add_common_options(p)
    p.add_argument("--lat", type=float, required=True, help="the caller's latitude")
    p.add_argument("--lon", type=float, required=True, help="the caller's longitude")
    p.add_argument("--need", choices=NEEDS, default="emergency", help="kind of unit (default emergency)")
    p.add_argument("--bed-class", choices=BED_CLASSES, default="igd", help="bed class needed (default igd)")
    p.add_argument("--at", metavar="ISO", help="decide as at this time (with offset; default now)")
    p.add_argument("--json", action="store_true", help="print units, skipped, hospitals, hospitals_skipped")
    p.set_defaults(func=cmd_recommend)

    p = actions.add_parser(
        "status",
        help="set a unit's status (kept with time and who set it)",
        description=f"STATUS is one of {', '.join(STATUSES)}. Every change is kept with its time, who made "
        "it and how (here: cli:<login>) and audited. A run goes dispatched → en_route → on_scene → "
        "transporting → at_hospital → returning, forward only (steps may be skipped); `dispatched` comes "
        "only from `siaga incidents dispatch`; `available` ends a run except while transporting; "
        "`out_of_service` is allowed from anywhere and left only to `available`. The crew's keypad: "
        + ", ".join(f"{d} {s}" for d, s in STATUS_DIGITS.items())
        + ".",
    )
    add_common_options(p)
    p.add_argument("unit", metavar="UNIT", help="unit code")
    p.add_argument("status", metavar="STATUS", help=f"one of {', '.join(STATUSES)}")
    p.add_argument("--at", metavar="ISO", help="when it changed (with offset; default now)")
    p.set_defaults(func=cmd_status)

    p = actions.add_parser("units", help="every unit with its status and crew on duty now")
    add_common_options(p)
    p.add_argument("--at", metavar="ISO", help="crews as at this time (with offset; default now)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_units)

    tokens = subparsers.add_parser(
        "token",
        help="bearer tokens that let a hospital write its own bed counts",
        description="A token may write the beds of one hospital only (PUT /api/beds/{hospital}/{bed_class}).",
    )
    actions = tokens.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    p = actions.add_parser("add", help="make a token for one hospital; printed once, only its hash is kept")
    add_common_options(p)
    p.add_argument("--hospital", required=True, metavar="CODE", help="facility code of kind hospital")
    p.set_defaults(func=cmd_token_add)
    p = actions.add_parser("list", help="tokens (never the secrets themselves)")
    add_common_options(p)
    p.set_defaults(func=cmd_token_list)
    p = actions.add_parser("revoke", help="stop a token from writing")
    add_common_options(p)
    p.add_argument("id", type=int, metavar="ID", help="token id (siaga token list)")
    p.set_defaults(func=cmd_token_revoke)
