"""Pieces every `siaga` subcommand shares: the common options and how they become `Settings`.

Each module that adds commands (e.g. `siaga.commands.shifts`) has a `register(subparsers)` function that
builds its parsers with `add_common_options` and reads settings with `settings_from_args`.
"""

from __future__ import annotations

import argparse
import logging
from datetime import UTC, datetime
from pathlib import Path

from kernel.settings import Settings, SettingsError, load


def add_common_options(parser: argparse.ArgumentParser, *, data: bool = True) -> None:
    parser.add_argument("--config", type=Path, help="settings file (default: ./siaga.toml or $SIAGA_CONFIG)")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv: debug)")
    if data:
        parser.add_argument(
            "--db",
            metavar="URL",
            help="SQLAlchemy database URL (env SIAGA_DB; default sqlite file in the data dir)",
        )
        parser.add_argument(
            "--data-dir", type=Path, help="where the database and run files live (default ./var)"
        )
        parser.add_argument(
            "--region-dir",
            type=Path,
            help="folder with areas.geojson, facilities.csv, callers.csv (default: the sample)",
        )


def settings_from_args(args: argparse.Namespace, **extra: object) -> Settings:
    overrides = {k: getattr(args, k, None) for k in ("db", "data_dir", "region_dir")}
    overrides.update(extra)
    settings = load(getattr(args, "config", None), overrides=overrides)
    for note in settings.deprecations:
        logging.getLogger("siaga.settings").warning("%s", note)
    return settings


def parse_at(raw: str | None) -> datetime:
    if raw is None:
        return datetime.now(UTC)
    value = datetime.fromisoformat(raw)
    if value.tzinfo is None:
        raise SettingsError(f"--at {raw!r} needs a UTC offset, e.g. 2026-11-22T23:30+07:00")
    return value
