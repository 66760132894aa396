"""`siaga import areas|facilities|callers`: the thin shell around `geo.importers`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from geo.areas import LEVELS, PropertyMap
from geo.importers import ImportRejected, ImportResult, import_areas, import_callers, import_facilities
from geo.progress import ImportReport
from siaga.cli_common import add_common_options, settings_from_args
from siaga.db import make_engine


def _run(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    engine = make_engine(settings.db_url)
    report = ImportReport(sys.stderr)
    options = {"skip_bad": args.skip_bad, "replace": args.replace, "report": report}
    try:
        result: ImportResult
        if args.import_command == "areas":
            mapping = PropertyMap.parse(args.map, args.level)
            result = import_areas(engine, args.file, mapping=mapping, **options)
        elif args.import_command == "facilities":
            result = import_facilities(engine, args.file, **options)
        else:
            result = import_callers(engine, args.file, **options)
    except ImportRejected as exc:
        print(f"siaga: {exc}", file=sys.stderr)
        hint = f"; {exc.good:,} good row(s) would load with --skip-bad" if exc.good else ""
        print(f"siaga: nothing imported from {args.file}{hint}", file=sys.stderr)
        return 2
    for error in result.skipped:
        print(f"skipped: {error}", file=sys.stderr)
    print(f"{result.summary()} into {settings.db_url}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "import",
        help="import areas (GeoJSON), facilities or known callers (CSV) into the database",
        description="Import places into the database the engine loads at start. All or nothing by "
        "default: every bad row is reported by line (CSV) or feature number (GeoJSON).",
    )
    actions = parser.add_subparsers(dest="import_command", required=True, metavar="WHAT")

    def common(p: argparse.ArgumentParser) -> None:
        add_common_options(p)
        p.add_argument(
            "--skip-bad", action="store_true", help="import the good rows, report and skip bad ones"
        )
        p.add_argument(
            "--replace",
            action="store_true",
            help="remove every stored row of this kind first (default: merge)",
        )
        p.set_defaults(func=_run)

    p = actions.add_parser(
        "areas",
        help="administrative areas from a GeoJSON FeatureCollection",
        description="Polygon/MultiPolygon features with properties code, name, level "
        f"({', '.join(LEVELS)}) and parent (the code of the area above). Invalid polygons are repaired "
        "with make_valid and reported as warnings; a same code replaces the stored area.",
    )
    p.add_argument("file", type=Path, help="GeoJSON FeatureCollection")
    p.add_argument(
        "--map",
        metavar="FIELD=PROPERTY,…",
        help="read our fields from other property names, e.g. code=KDEPUM,name=WADMKD,parent=KDCPUM",
    )
    p.add_argument("--level", choices=LEVELS, help="level of features that do not give one")
    common(p)

    p = actions.add_parser(
        "facilities",
        help="facilities from CSV (code,name,kind,lat,lon,area_code,timezone[,service_area])",
        description="Columns code,name,kind,lat,lon,area_code,timezone and optional service_area "
        "(area codes separated by spaces: the facility serves callers there first). Area codes must "
        "already be stored.",
    )
    p.add_argument("file", type=Path, help="facilities CSV")
    common(p)

    p = actions.add_parser(
        "callers",
        help="the caller directory from CSV (number,lat,lon[,label])",
        description="Known callers and where they are; 0812…, +62812… and 62812… are one number.",
    )
    p.add_argument("file", type=Path, help="callers CSV")
    common(p)
