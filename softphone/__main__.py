"""`python -m softphone`: the same CLI the lead wires as `siaga softphone`."""

from __future__ import annotations

import argparse
import sys

from softphone.cli import add_arguments, run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m softphone",
        description="Register operator softphones to Asterisk and report (or auto-answer) their calls.",
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
