"""The baseline of bench/agi_throughput.py: the same routing as a classic AGI script, one process per call.

This is how AGI is often deployed: Asterisk starts `AGI(script.py)` for every call and talks pyst2's
protocol over the process's stdin and stdout. Every call pays for the interpreter, the imports, and loading
the region and roster before it can route. Settings come from SIAGA_* variables, like `siaga serve`.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from asterisk.agi import AGI

from agi.facts import read_device_states, read_location_facts
from agi.route import context_from_env, write_plan
from kernel.settings import load
from siaga.engine import build_router


class Pyst2Session:
    """pyst2's AGI seen through the two methods the route script's helpers use."""

    def __init__(self, agi: AGI) -> None:
        self.agi = agi

    def get_full_variable(self, expr: str) -> str | None:
        return str(self.agi.get_full_variable(expr))

    def set_variable(self, name: str, value: str) -> None:
        self.agi.set_variable(name, value)


def main() -> int:
    settings = load()
    router = build_router(settings)
    with open(os.devnull, "w") as quiet:
        agi = AGI(stdin=sys.stdin, stdout=sys.stdout, stderr=quiet)
        session = Pyst2Session(agi)
        env = agi.env
        args = [env[f"agi_arg_{n}"] for n in range(1, 10) if f"agi_arg_{n}" in env]
        facts, _ = read_location_facts(session, settings.carrier_location_header)
        ctx = context_from_env(env, args, env.get("agi_uniqueid", ""), datetime.now(UTC), facts)
        plan = router.decide(ctx, presence=lambda endpoints: read_device_states(session, endpoints))
        write_plan(session, plan)
    return 0


if __name__ == "__main__":
    sys.exit(main())
