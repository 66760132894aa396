"""`siaga web` (the supervisors' console) and `siaga user add` (who may log in to it)."""

from __future__ import annotations

import argparse
import getpass
import sys

from geo.store import load_areas
from kernel.cli_common import add_common_options, settings_from_args
from kernel.db import make_engine
from kernel.messages import N_, Message
from siaga.console import console_app
from siaga.language import row, tr
from web.access import add_user
from web.errors import InputError
from web.model import WEB_ROLES


def cmd_web(args: argparse.Namespace) -> int:
    """One process serves both cores badly (the GIL): with --workers N, uvicorn runs N processes, each
    building the app from the same settings, handed over through SIAGA_* variables."""
    import os

    import uvicorn

    settings = settings_from_args(args, web_host=args.host, web_port=args.port, web_workers=args.workers)
    url = f"http://{settings.web_host}:{settings.web_port}/"
    options = {
        "host": settings.web_host,
        "port": settings.web_port,
        "log_level": "warning",
        "access_log": False,
    }
    if settings.web_workers <= 1:
        app = console_app(settings)
        print(tr(Message("siaga web console on {url}", url=url)), flush=True)
        uvicorn.run(app, **options)  # type: ignore[arg-type]
        return 0
    os.environ["SIAGA_DB"] = settings.db_url
    os.environ["SIAGA_DATA_DIR"] = str(settings.data_dir)
    os.environ["SIAGA_REGION_DIR"] = str(settings.region_dir)
    # The cookies' Secure flag follows web_host ("auto"): a worker must see the --host it serves on.
    os.environ["SIAGA_WEB_HOST"] = settings.web_host
    os.environ["SIAGA_WEB_SECURE_COOKIE"] = settings.web_secure_cookie
    if args.config is not None:
        os.environ["SIAGA_CONFIG"] = str(args.config)
    print(
        tr(
            Message(
                "siaga web console on {url} ({workers} worker processes)",
                url=url,
                workers=settings.web_workers,
            )
        ),
        flush=True,
    )
    factory = "siaga.console:console_from_environment"
    uvicorn.run(factory, factory=True, workers=settings.web_workers, **options)  # type: ignore[arg-type]
    return 0


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass(tr(Message("password for {name}: ", name=args.name)))
    if getpass.getpass(tr(N_("again: "))) != first:
        raise ValueError(N_("the two passwords differ"))
    return first


def cmd_user_add(args: argparse.Namespace) -> int:
    from sqlalchemy.orm import Session

    settings = settings_from_args(args)
    known = {a.code for a in load_areas(settings).by_code.values() if a.level == "kabupaten"}
    password = _read_password(args)
    try:
        with Session(make_engine(settings.db_url)) as session, session.begin():
            user = add_user(session, args.name, args.role, args.kabupaten or [], password, known)
            scope = user.kabupaten or tr(N_("every kabupaten"))
    except InputError as exc:
        for error in exc.errors:
            print(f"siaga: {row(error)}", file=sys.stderr)
        return 2
    print(tr(Message("user {name} added: {role} of {scope}", name=args.name, role=args.role, scope=scope)))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "web",
        help="the supervisors' console: roster editor, coverage map, calls (and its REST API)",
        description="Serve the web console and /api (OpenAPI at /openapi.json). Create a user first "
        "with `siaga user add`.",
    )
    add_common_options(p)
    p.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, help="TCP port (default 8080)")
    p.add_argument("--workers", type=int, help="worker processes (default 1)")
    p.set_defaults(func=cmd_web)

    p = subparsers.add_parser("user", help="web console users", description="Manage web console users.")
    actions = p.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    a = actions.add_parser(
        "add",
        help="add a user who may log in to the web console",
        description="An admin sees and edits everything; a supervisor sees and edits only their "
        "kabupaten; a viewer only reads (everything, or only the kabupaten given).",
    )
    add_common_options(a)
    a.add_argument("name", help="login name")
    a.add_argument("--role", required=True, choices=WEB_ROLES, help="what the user may do")
    a.add_argument(
        "--kabupaten", nargs="+", metavar="CODE", help="kabupaten/kota codes (e.g. 33.74) a supervisor holds"
    )
    a.add_argument(
        "--password-stdin", action="store_true", help="read the password from the first line of stdin"
    )
    a.set_defaults(func=cmd_user_add)
