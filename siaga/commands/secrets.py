"""`siaga secrets show ENDPOINT`: an operator endpoint's SIP secret, for setting up a real softphone."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kernel.cli_common import add_common_options, settings_from_args
from kernel.messages import Message
from shifts.sipsecrets import endpoint_passwords
from siaga.language import tr


def cmd_secrets_show(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    password = endpoint_passwords(settings, [args.endpoint])[args.endpoint]
    for note in settings.deprecations:
        if "operator_password" in note:  # the shared password, not this endpoint's own
            print("siaga: " + tr(Message("warning: {note}", note=tr(note))), file=sys.stderr)
    print(password)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser(
        "secrets",
        help="operator endpoints' SIP secrets (for setting up a real softphone)",
        description="Every operator endpoint has its own SIP secret, made when Asterisk first starts with "
        "it and kept in <data-dir>/secrets/sip.json (mode 0600, readable by root only).",
    )
    actions = p.add_subparsers(dest="secrets_command", required=True, metavar="ACTION")
    s = actions.add_parser(
        "show",
        help="print one endpoint's SIP secret",
        description="Print the SIP password of ENDPOINT (its user name is the endpoint name), to configure "
        "a softphone. It is printed in clear: run it where no one reads over your shoulder.",
    )
    add_common_options(s, data=False)
    s.add_argument("--data-dir", type=Path, help="where siaga's data, with the secrets, is (default ./var)")
    s.add_argument("endpoint", metavar="ENDPOINT", help="the operator's endpoint, e.g. pkm-gayamsari-op1")
    s.set_defaults(func=cmd_secrets_show)
