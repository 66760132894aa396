"""`siaga import areas|facilities|callers|did|kode-pos|area-codes`: the thin shell around `geo.importers`
and `routing.tables_store`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from desks.overflow_import import import_desks
from geo.areas import LEVELS, PropertyMap
from geo.importers import ImportRejected, ImportResult, import_areas, import_callers, import_facilities
from geo.progress import ImportReport
from kernel.cli_common import add_common_options, settings_from_args
from kernel.db import make_engine
from kernel.messages import N_, Message
from routing.tables_store import IMPORTERS as TABLE_IMPORTERS
from siaga.commands import dispatch
from siaga.language import describe, row, tr
from web.i18n import format_number


def _run(args: argparse.Namespace) -> int:
    settings = settings_from_args(args)
    engine = make_engine(settings.db_url)
    report = ImportReport(sys.stderr)
    options = {"skip_bad": args.skip_bad, "replace": args.replace, "report": report}
    try:
        result: ImportResult
        if args.import_command in dispatch.IMPORT_VERBS:  # units, beds: always all or nothing
            result = dispatch.run_import(engine, args)
        elif args.import_command == "desks":  # replaced whole, and never in part: no --skip-bad
            result = import_desks(engine, args.file, report=report)
        elif args.import_command in TABLE_IMPORTERS:  # replaced whole: no --replace to choose
            importer = TABLE_IMPORTERS[args.import_command]
            result = importer(engine, args.file, skip_bad=args.skip_bad, report=report)
        elif args.import_command == "areas":
            mapping = PropertyMap.parse(args.map, args.level)
            result = import_areas(engine, args.file, mapping=mapping, **options)
        elif args.import_command == "facilities":
            result = import_facilities(engine, args.file, **options)
        else:
            result = import_callers(engine, args.file, **options)
    except ImportRejected as exc:
        print(f"siaga: {describe(exc)}", file=sys.stderr)
        hint = (
            tr(Message("; {count} good row(s) would load with --skip-bad", count=format_number(exc.good)))
            if exc.good
            else ""
        )
        print(
            "siaga: " + tr(Message("nothing imported from {file}{hint}", file=args.file, hint=hint)),
            file=sys.stderr,
        )
        return 2
    for error in result.skipped:
        print(tr(N_("skipped: ")) + row(error), file=sys.stderr)
    print(tr(Message("{summary} into {db}", summary=result.summary(tr, format_number), db=settings.db_url)))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser(
        "import",
        help="import areas (GeoJSON), facilities, known callers, DIDs, kode pos or area codes (CSV) "
        "into the database",
        description="Import region data into the database the engine loads at start. All or nothing by "
        "default: every bad row is reported by line (CSV) or feature number (GeoJSON).",
    )
    actions = parser.add_subparsers(dest="import_command", required=True, metavar="WHAT")

    def common(p: argparse.ArgumentParser, *, merge: bool = True) -> None:
        add_common_options(p)
        p.add_argument(
            "--skip-bad", action="store_true", help="import the good rows, report and skip bad ones"
        )
        if merge:
            p.add_argument(
                "--replace",
                action="store_true",
                help="remove every stored row of this kind first (default: merge)",
            )
        p.set_defaults(func=_run, replace=False)

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

    # The lookup tables of the coarser location sources (routing/tables_store.py): each file is the whole
    # table, so an import replaces the stored one in one transaction.
    p = actions.add_parser(
        "did",
        help="numbers and trunks that locate a call by where it came in (did,facility_code,area_code,label)",
        description="Columns did,facility_code,area_code and optional label: a number (0246717001, "
        "+62…, 62…) or trunk:ENDPOINT, and exactly one of a stored facility's code or a stored area's "
        "code. Replaces the stored DID table whole.",
    )
    p.add_argument("file", type=Path, help="DID CSV")
    common(p, merge=False)
    p = actions.add_parser(
        "kode-pos",
        help="kode pos a caller may type in the IVR → the area it lies in (kode_pos,area_code,label)",
        description="Columns kode_pos (5 digits), area_code (a stored area) and optional label. Replaces "
        "the stored kode pos table whole.",
    )
    p.add_argument("file", type=Path, help="kode pos CSV")
    common(p, merge=False)
    p = actions.add_parser(
        "area-codes",
        help="landline area codes → the kabupaten/kota they serve (prefix,area_code,name)",
        description="Columns prefix (024, 0741 …; not 08…), area_code and name; the area need not be "
        "stored (a plan can still name it). Replaces the stored table whole; while none is stored the "
        "engine uses the national table shipped with siaga (config/area_codes.csv).",
    )
    p.add_argument("file", type=Path, help="area codes CSV")
    common(p, merge=False)
    p = actions.add_parser(
        "desks",
        help="the desks' overflow chains and waits (desk,overflow,max_wait_s)",
        description="Columns desk, overflow (desk codes separated by |, in order) and optional max_wait_s "
        "(5-3600, default 60). Every desk and overflow desk must be a stored facility of kind dispatch "
        "or consultation. Replaces the stored table whole, and always all or nothing: a half-applied "
        "overflow table would send callers in circles or nowhere.",
    )
    p.add_argument("file", type=Path, help="desks CSV")
    add_common_options(p)
    p.set_defaults(func=_run, replace=False, skip_bad=False)
    dispatch.add_import_parsers(actions, _run)
