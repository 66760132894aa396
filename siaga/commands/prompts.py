"""`siaga prompts make|list|check`: the Indonesian prompts callers and crews hear (kernel/prompts.py)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from kernel.messages import Message
from kernel.prompts import GROUPS, PROMPTS, PromptToolMissing, check_tools, make_prompts, missing_prompts
from kernel.settings import Settings
from siaga.language import describe, tr


def _directory(args: argparse.Namespace) -> Path:
    return args.directory if args.directory is not None else Settings().prompts_dir


def cmd_prompts_make(args: argparse.Namespace) -> int:
    directory = _directory(args)
    try:
        check_tools()
        done = make_prompts(directory, force=args.force)
    except PromptToolMissing as exc:
        print(f"siaga: {describe(exc)}", file=sys.stderr)
        return 1
    print(
        tr(
            Message(
                "prompts in {directory}: {made} made, {kept} already there",
                directory=directory,
                made=len(done.made),
                kept=len(done.kept),
            )
        )
    )
    return 0


def cmd_prompts_list(args: argparse.Namespace) -> int:
    if args.json:
        rows = [{"name": p.name, "group": p.group, "text": p.text} for p in PROMPTS]
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return 0
    for group, what in GROUPS.items():
        print(f"# {group}: {tr(what)}")
        for prompt in (p for p in PROMPTS if p.group == group):
            print(f"{prompt.name}\t{prompt.text}")
    return 0


def cmd_prompts_check(args: argparse.Namespace) -> int:
    directory = _directory(args)
    missing = missing_prompts(directory)
    for name in missing:
        print(tr(Message("{directory}: missing {name}.wav", directory=directory, name=name)), file=sys.stderr)
    if missing:
        print(
            "siaga: "
            + tr(
                Message(
                    "{count} prompts missing; run `siaga prompts make {directory}`",
                    count=len(missing),
                    directory=directory,
                )
            ),
            file=sys.stderr,
        )
        return 1
    print(tr(Message("{directory}: all {count} prompts present", directory=directory, count=len(PROMPTS))))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = subparsers.add_parser(
        "prompts",
        help="the Indonesian prompts callers and crews hear (made with espeak-ng and sox)",
        description="Every prompt the dialplan and the queues play, listed once in kernel/prompts.py.",
    )
    actions = p.add_subparsers(dest="prompts_command", required=True, metavar="ACTION")
    default = f"default: the setting prompts_dir, {Settings().prompts_dir}"
    make = actions.add_parser(
        "make",
        help="speak every missing or changed prompt into DIR",
        description="Speak each prompt with espeak-ng's Indonesian voice and convert it with sox to 8 kHz "
        "mono WAV. A prompt already made from the same text is kept (DIR/.prompts.json says which).",
    )
    make.add_argument("directory", nargs="?", type=Path, metavar="DIR", help=default)
    make.add_argument("--force", action="store_true", help="make every prompt again")
    make.set_defaults(func=cmd_prompts_make)
    listing = actions.add_parser("list", help="every prompt's name, group and text")
    listing.add_argument("--json", action="store_true", help="as JSON")
    listing.set_defaults(func=cmd_prompts_list)
    check = actions.add_parser("check", help="exit 1 naming each prompt DIR lacks")
    check.add_argument("directory", nargs="?", type=Path, metavar="DIR", help=default)
    check.set_defaults(func=cmd_prompts_check)
