"""The `siaga` command: each subcommand is a thin shell around a module, explained by its --help."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from datetime import date
from pathlib import Path

from geo.bounds import point_problem
from kernel.cli_common import add_common_options, parse_at, settings_from_args
from kernel.dataerrors import DataError
from kernel.db import make_engine
from kernel.messages import N_, Message
from kernel.settings import Settings, SettingsError
from lab import cluster
from lab.asterisk import AsteriskError
from lab.demo import run_demo
from lab.lifecycle import LifecycleError, down, status, up
from lab.lifecycle import read_state as read_single_state
from lab.loadcalls import calls_csv, make_load_calls
from lab.pbx import asterisk_for, start_asterisk
from lab.sample import load_sample_roster, week_start
from routing.explain import format_plan
from routing.plan import CallContext, Location, LocationFacts
from shifts.sipsecrets import endpoint_passwords
from siaga import language
from siaga.commands import MODULES as COMMAND_MODULES
from siaga.engine import build_router
from siaga.language import describe, tr
from siaga.models import TABLE_MODULES  # noqa: F401  (every table on Base)
from siaga.serve import serve
from softphone import cli as softphone_cli
from web.calls.services import said_in_language

log = logging.getLogger("siaga")

SERVICE_CHOICES = ("emergency", "consultation")


# -- serve ---------------------------------------------------------------------------------------------


def cmd_serve(args: argparse.Namespace) -> int:

    settings = settings_from_args(args, agi_host=args.host, agi_port=args.port, agi_workers=args.workers)
    return serve(settings)


# -- route ---------------------------------------------------------------------------------------------


def _route_facts(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """What a live call would carry, for the dry run: a PIDF-LO document, a carrier header, typed digits."""

    if not (args.pidf or args.carrier_header or args.digits or args.dialled):
        return None
    pidf = args.pidf.read_text(encoding="utf-8") if args.pidf else ""
    return LocationFacts(
        pidf_xml=pidf, carrier_header=args.carrier_header or "", digits=args.digits or "", ivr_done=True
    )


def cmd_route(args: argparse.Namespace) -> int:

    settings = settings_from_args(args)
    if (args.lat is None) != (args.lon is None):
        raise SettingsError(N_("give both --lat and --lon, or --caller"))
    location_facts = _route_facts(args)
    if args.lat is None and args.caller is None and location_facts is None:
        raise SettingsError(
            N_(
                "give a location (--lat and --lon), a caller number (--caller), --pidf, --carrier-header, "
                "--dialled or --digits"
            )
        )
    if args.lat is not None:
        problem = point_problem(args.lat, args.lon)
        if problem is not None and not (-90 <= args.lat <= 90 and -180 <= args.lon <= 180):
            raise SettingsError(Message("--lat/--lon: {problem}", problem=problem))
        if problem is not None:
            print(tr(Message("siaga: warning: --lat/--lon: {problem}", problem=problem)), file=sys.stderr)
    router = build_router(settings)
    ctx = CallContext(
        "dry-run",
        args.caller or "",
        args.dialled or "119",
        args.service,
        parse_at(args.at),
        location_facts or LocationFacts(ivr_done=True),
    )
    location = Location(args.lat, args.lon, "manual") if args.lat is not None else None
    plan = router.decide(ctx, location)
    print(
        json.dumps(plan.to_json(), indent=2, ensure_ascii=False)
        if args.json
        else format_plan(plan, said_in_language)
    )
    return 0


# -- sample --------------------------------------------------------------------------------------------


def cmd_sample_load(args: argparse.Namespace) -> int:

    settings = settings_from_args(args)
    first = week_start(date.fromisoformat(args.week_of) if args.week_of else date.today())
    count = load_sample_roster(
        make_engine(settings.db_url),
        settings.region_dir,
        settings.facilities_path,
        first,
        areas_path=settings.areas_path,
        callers_path=settings.callers_path,
    )
    print(
        tr(
            Message(
                "sample areas, facilities, known callers, DIDs, kode pos and desks from {folder}",
                folder=settings.region_dir,
            )
        )
    )
    print(
        tr(
            Message(
                "sample roster for the week of {week}: {count} assignment(s) in {db}",
                week=first.isoformat(),
                count=count,
                db=settings.db_url,
            )
        )
    )
    return 0


def cmd_sample_calls(args: argparse.Namespace) -> int:

    if args.count < 1:
        raise SettingsError(N_("--count must be at least 1"))
    router = build_router(settings_from_args(args))
    sys.stdout.write(calls_csv(make_load_calls(router, args.count, parse_at(args.at), seed=args.seed)))
    return 0


# -- asterisk ------------------------------------------------------------------------------------------


def cmd_asterisk(args: argparse.Namespace) -> int:

    settings = settings_from_args(args)
    if args.action == "start":
        pid = start_asterisk(settings)
        where = settings.run_dir / "asterisk"
        print(tr(Message("Asterisk running (pid {pid}); config and logs in {folder}", pid=pid, folder=where)))
    elif args.action == "stop":
        asterisk_for(settings).stop()
        print(tr(N_("Asterisk stopped")))
    elif args.action == "status":
        asterisk = asterisk_for(settings)
        pid = asterisk.pid()
        if pid is None:
            print(tr(N_("Asterisk is not running")))
            return 1
        print(tr(Message("Asterisk running (pid {pid})", pid=pid)))
        print(asterisk.cli("pjsip show contacts"))
    else:
        print(asterisk_for(settings).cli(" ".join(args.command)))
    return 0


# -- softphone -----------------------------------------------------------------------------------------


def cmd_softphone(args: argparse.Namespace) -> int:
    """Each --user registers with its endpoint's own secret from the data directory, unless --password
    is given (a softphone on another machine than siaga's data)."""

    if args.password is not None or args.list_audio_devices:
        return softphone_cli.run(args, translate=tr)
    return softphone_cli.run(
        args, passwords=endpoint_passwords(settings_from_args(args), args.user), translate=tr
    )


# -- up / down / status --------------------------------------------------------------------------------


def cmd_up(args: argparse.Namespace) -> int:

    settings = settings_from_args(args)
    if args.nodes > 1:
        return _cluster_up(settings, args)
    if cluster.read_state(settings) is not None:
        raise LifecycleError(N_("a cluster is up (siaga up --nodes); run `siaga down` first"))
    state = up(settings, bots=args.bots)
    print(
        tr(
            Message(
                "siaga is up: Asterisk pid {asterisk_pid} on 127.0.0.1:{sip_port}, engine pid {engine_pid} "
                "on {agi_host}:{agi_port}",
                asterisk_pid=state.asterisk_pid,
                sip_port=settings.sip_port,
                engine_pid=state.engine_pid,
                agi_host=settings.agi_host,
                agi_port=settings.agi_port,
            )
        )
        + (tr(Message(", {count} answering softphones", count=len(state.bots))) if state.bots else "")
    )
    print(
        tr(
            Message(
                "logs in {folder}: asterisk/log/messages.log, engine/engine.log, bots/; stop: siaga down",
                folder=settings.run_dir,
            )
        )
    )
    return 0


def _cluster_up(settings: Settings, args: argparse.Namespace) -> int:
    """`siaga up --nodes N`: Kamailio on the single node's address, N nodes behind it (lab/cluster.py)."""
    if read_single_state(settings) is not None:
        raise LifecycleError(N_("the single node is up; run `siaga down` first"))
    state = cluster.up(settings, nodes=args.nodes, bots=args.bots)
    print(
        tr(
            Message(
                "siaga is up: Kamailio pid {pid} on {address} in front of",
                pid=state["kamailio_pid"],
                address=state["address"],
            )
        )
    )
    for node in state["nodes"]:  # type: ignore[union-attr]
        bots = node["bot_pids"]
        print(
            f"  {node['name']}: "
            + tr(
                Message(
                    "Asterisk pid {asterisk_pid} on {sip}, engine pid {engine_pid} on {agi}",
                    asterisk_pid=node["asterisk_pid"],
                    sip=node["sip"],
                    engine_pid=node["engine_pid"],
                    agi=node["agi"],
                )
            )
            + (tr(Message(", {count} bot process(es)", count=len(bots))) if bots else "")  # type: ignore[arg-type]
        )
    print(
        tr(
            Message(
                "database {database}; logs in {folder}/kamailio and each node's run/",
                database=state["database"],
                folder=settings.run_dir,
            )
        )
    )
    print(tr(N_("stop: siaga down")))
    return 0


def cmd_down(args: argparse.Namespace) -> int:

    settings = settings_from_args(args)
    stopped = cluster.down(settings) + down(settings)
    print(
        tr(N_("stopped: ")) + ", ".join(tr(s) for s in stopped) if stopped else tr(N_("nothing was running"))
    )
    return 0


def cmd_status(args: argparse.Namespace) -> int:

    settings = settings_from_args(args)
    nodes = cluster.status(settings)
    if nodes:
        for key, value in nodes.items():
            print(f"{key:<14} {tr(value) if isinstance(value, str) else value}")
        running = [v for k, v in nodes.items() if k == "kamailio" or k.endswith(("asterisk", "engine"))]
        return 0 if all(str(v).startswith("running") for v in running) else 1
    report = status(settings)
    for key, value in report.items():
        print(f"{key:<9} {tr(value) if isinstance(value, str) else value}")
    return 0 if str(report["asterisk"]).startswith("running") else 1


# -- demo ----------------------------------------------------------------------------------------------


def cmd_demo(args: argparse.Namespace) -> int:

    return run_demo(settings_from_args(args), keep_running=args.keep_running)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="siaga",
        description="siaga routes public-health hotline calls (119, 112, consultation lines) from Asterisk "
        "to the nearest staffed puskesmas, with failover to the next nearest and the central dispatcher.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser(
        "serve",
        help="run the FastAGI engine that Asterisk asks where to route each call",
        description="Serve the AGI script `route` over FastAGI (pre-forked worker processes).",
    )
    add_common_options(p)
    p.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="TCP port (default 4573)")
    p.add_argument("--workers", type=int, help="worker processes (default 4)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser(
        "route",
        help="dry-run the routing decision for a place or a caller at a given time",
        description="Show where a call would ring, in order, and why: the same code path as the engine.",
    )
    add_common_options(p)
    p.add_argument("--lat", type=float, help="caller latitude (e.g. -6.99)")
    p.add_argument("--lon", type=float, help="caller longitude (e.g. 110.42)")
    p.add_argument("--caller", help="caller number, looked up in the caller directory")
    p.add_argument("--service", choices=SERVICE_CHOICES, default="emergency", help="hotline service")
    p.add_argument("--at", help="ISO time with offset (default now), e.g. 2026-11-22T23:30+07:00")
    p.add_argument("--json", action="store_true", help="print the decision as JSON")
    p.add_argument("--pidf", type=Path, help="a PIDF-LO document (GML Point/Circle or civic address)")
    p.add_argument("--carrier-header", help="a carrier location header value, lat,lon[;accuracy_m]")
    p.add_argument("--dialled", help="the number dialled (a puskesmas's own DID), default 119")
    p.add_argument("--digits", help="what the caller typed in the IVR: a kode pos or a kecamatan code")
    p.set_defaults(func=cmd_route)

    p = sub.add_parser("sample", help="sample region (Kota Semarang)", description="Sample region data.")
    sample = p.add_subparsers(dest="sample_command", required=True, metavar="ACTION")
    s = sample.add_parser(
        "load",
        help="load the sample staff and a roster for the current week",
        description="Replace the roster with the sample region's rotation for one week.",
    )
    add_common_options(s)
    s.add_argument("--week-of", help="any date in the week to roster (default today)")
    s.set_defaults(func=cmd_sample_load)
    s = sample.add_parser(
        "calls",
        help="write a load-run call list: PIDF-LO callers over the region, with the expected facility",
        description="Print a CSV for `siaga replay` (caller,dialled,lat,lon,expected_facility): COUNT "
        "callers "
        "at random points of the region's smallest areas, each expecting the first target the router picks "
        "for that point with the roster at --at (default now). Deterministic for a --seed.",
    )
    add_common_options(s)
    s.add_argument("--count", type=int, default=300, help="how many calls (default 300)")
    s.add_argument("--seed", type=int, default=119, help="random seed (default 119)")
    s.add_argument("--at", help="ISO time with offset whose roster decides the expectation (default now)")
    s.set_defaults(func=cmd_sample_calls)

    p = sub.add_parser(
        "asterisk",
        help="start, stop or query siaga's own Asterisk",
        description="Asterisk runs from a Debian sid root (scripts/install-asterisk.sh) with "
        "config generated into <data-dir>/run/asterisk from config/asterisk and dialplans/.",
    )
    add_common_options(p)
    p.add_argument("action", choices=("start", "stop", "status", "cli"), help="what to do")
    p.add_argument("command", nargs="*", help="with `cli`: the Asterisk CLI command to run")
    p.set_defaults(func=cmd_asterisk)

    p = sub.add_parser(
        "softphone",
        help="an operator's pjsua2 softphone (also the answering bot in tests)",
        description="Register to Asterisk as one or more operators and show (or answer) calls.",
    )
    softphone_cli.add_arguments(p)
    add_common_options(p, data=False)  # --config: where the data directory (and its secrets) is
    p.add_argument("--data-dir", type=Path, help="siaga's data, with the SIP secrets (default ./var)")
    p.set_defaults(func=cmd_softphone)

    p = sub.add_parser(
        "up",
        help="start Asterisk, the engine (and answering softphones) in the background",
        description="Bring the local system up and exit once it is ready: Asterisk with an endpoint for "
        "every operator in the staff table, the engine, and with --bots a pjsua2 bot for every operator.",
    )
    add_common_options(p)
    p.add_argument("--bots", action="store_true", help="also start an answering softphone for every operator")
    p.add_argument(
        "--nodes",
        type=int,
        default=1,
        help="N Asterisk nodes (127.0.0.2 …), each with its engine, behind Kamailio on the SIP port "
        "(default 1: one Asterisk, no Kamailio); they share the database (--db)",
    )
    p.set_defaults(func=cmd_up)
    p = sub.add_parser("down", help="stop what `siaga up` started", description="Stop the local system.")
    add_common_options(p)
    p.set_defaults(func=cmd_down)
    p = sub.add_parser("status", help="show what runs", description="Show Asterisk, engine and bots state.")
    add_common_options(p)
    p.set_defaults(func=cmd_status)

    for module in COMMAND_MODULES:
        module.register(sub)

    p = sub.add_parser(
        "demo",
        help="set up the sample region and place real calls through Asterisk",
        description="Load the sample roster, start Asterisk, the engine and answering bots, "
        "place calls with SIPp and show where each was routed and who answered.",
    )
    add_common_options(p)
    p.add_argument("--keep-running", action="store_true", help="leave everything running afterwards")
    p.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    # The language first, before the parser words anything: help, usage and argparse's errors.
    with language.speaking():
        return _run(argv)


def _run(argv: list[str] | None) -> int:
    args = language.localize_parser(build_parser()).parse_args(argv)
    level = logging.WARNING - 10 * min(getattr(args, "verbose", 0), 2)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return int(args.func(args) or 0)
    except DataError as exc:
        print(f"siaga: {describe(exc)}", file=sys.stderr)
        return 2
    except (SettingsError, ValueError) as exc:
        print(f"siaga: {describe(exc)}", file=sys.stderr)
        return 2
    except (AsteriskError, LifecycleError, TimeoutError) as exc:
        print(f"siaga: {describe(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
