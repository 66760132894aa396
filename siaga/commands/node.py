"""`siaga node render`: one real machine's files in a folder (systemd units, Asterisk's generated
configuration, Kamailio's), for the person installing it. Thin: checking and rendering are
lab/node_files.py's; here only the options and what is printed."""

from __future__ import annotations

import argparse
from pathlib import Path

from kernel.cli_common import settings_from_args
from kernel.messages import Message
from kernel.settings import SettingsError
from lab.kamailio import KamailioError
from lab.node_files import missing_peers, plan_layout, write_node_files
from siaga.language import tr

DEFAULT_CONFIG = Path("/etc/siaga/siaga.toml")
DEFAULT_DATA_DIR = Path("/var/lib/siaga")
DEFAULT_PREFIX = Path("/opt/siaga")


def cmd_node_render(args: argparse.Namespace) -> int:
    args.config = args.config or DEFAULT_CONFIG
    args.data_dir = args.data_dir or DEFAULT_DATA_DIR
    settings = settings_from_args(args)
    layout = plan_layout(
        settings,
        node=args.node_address,
        nodes=args.nodes or "",
        kamailio=args.kamailio or "",
        trunk=args.trunk or "",
        install_prefix=args.install_prefix,
        config=args.config,
    )
    try:
        written = write_node_files(args.out, layout, settings)
    except KamailioError as exc:
        raise SettingsError(Message("--kamailio: {problem}", problem=str(exc))) from exc
    sounds = args.out / "asterisk" / "sounds"
    for path in written:
        if not path.is_relative_to(sounds):
            print(path)
    prompts = sum(1 for p in written if p.is_relative_to(sounds))
    print(tr(Message("and {count} prompt files in {folder}", count=prompts, folder=str(sounds))))
    missing = missing_peers(settings.agi_allowed_peers, layout)
    if missing:
        print(
            "siaga: "
            + tr(
                Message(
                    "warning: agi_allowed_peers lacks {addresses}: the engine would refuse their Asterisk",
                    addresses=", ".join(missing),
                )
            )
        )
    print(
        tr(Message("read {readme}: what goes where, and the commands", readme=str(args.out / "README.txt")))
    )
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser(
        "node",
        help="files for installing a real machine (systemd units, Asterisk and Kamailio configuration)",
        description="Files for real machines, beyond one machine's `siaga up` (see docs/deployment.md).",
    )
    actions = p.add_subparsers(dest="node_command", required=True, metavar="ACTION")
    r = actions.add_parser(
        "render",
        help="write one Asterisk node's files into a folder",
        description="Write into a new folder, for one Asterisk node: the systemd units siaga-engine.service, "
        "siaga-web.service and siaga-asterisk.service (Asterisk from the Debian sid root, as `siaga asterisk "
        "start` runs it), the node's Asterisk configuration from the same renderer, with --kamailio "
        "Kamailio's kamailio.cfg and dispatcher.list, and a README.txt saying where each file goes. Run it "
        "on the node itself: it reads the phones and desks from the database and "
        "the SIP secrets from the data dir, and the units name the same settings file and data dir. The "
        "folder is mode 0700; the files holding SIP and manager secrets are 0600.",
    )
    r.add_argument(
        "--config",
        type=Path,
        help="the node's settings file: read now, and named in the units (default /etc/siaga/siaga.toml)",
    )
    r.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv: debug)")
    r.add_argument(
        "--data-dir",
        type=Path,
        help="the node's data dir: read now, and named in the units (default /var/lib/siaga)",
    )
    r.add_argument("--db", metavar="URL", help="database URL (env SIAGA_DB; default: the settings file's)")
    r.add_argument("--out", type=Path, required=True, help="the folder to write; must be new or empty")
    r.add_argument(
        "--node-address",
        required=True,
        metavar="ADDRESS",
        help="this node's IPv4 address: its SIP, media and engine listen there (e.g. 10.1.2.11)",
    )
    r.add_argument(
        "--nodes",
        metavar="A,B,…",
        help="every Asterisk node's address, this one included, in the same order on every node; each "
        "node asks the next one's engine when its own is gone (default: this node alone)",
    )
    r.add_argument(
        "--kamailio",
        metavar="ADDRESS",
        help="Kamailio's address in front of the nodes: also writes kamailio.cfg and dispatcher.list, "
        "and the nodes take callers' calls from it",
    )
    r.add_argument(
        "--trunk",
        metavar="ADDRESS",
        help="address or network the callers' calls come from (the carrier); default: --kamailio",
    )
    r.add_argument(
        "--install-prefix",
        type=Path,
        default=DEFAULT_PREFIX,
        metavar="DIR",
        help="where siaga is installed on the node, with its .venv (default /opt/siaga)",
    )
    r.set_defaults(func=cmd_node_render)
