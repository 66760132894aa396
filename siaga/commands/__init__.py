"""The command-line front-ends: each module adds its subcommands with `register(subparsers)` and calls its
domain's functions; `siaga.cli` puts them together."""

from __future__ import annotations

from lab import replay
from siaga.commands import (
    complaints,
    db,
    desks,
    dispatch,
    geo,
    incidents,
    node,
    prompts,
    routing,
    secrets,
    shifts,
    web,
)

MODULES = (
    geo,
    web,
    shifts,
    routing,
    replay,
    desks,
    secrets,
    dispatch,
    complaints,
    incidents,
    db,
    prompts,
    node,
)
