"""Loads the sample region (areas, facilities, known callers, DIDs, kode pos, desks' overflow), its staff
and a roster for the current week; and its ambulance units, their crews (rostered on the units) and the
hospitals' bed counts.

Everything goes through the same importers as `siaga import …` and `siaga roster import`.
"""

from __future__ import annotations

import csv
import io
import tomllib
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from desks.config import DESK_KINDS
from desks.overflow_import import clear_desks, import_desks
from desks.skills import check_topics, skills_from_staff_csv, write_skills
from desks.staffed import check_desks_staffed
from dispatch.store import unit_bases, write_beds_csv, write_units_csv
from geo.importers import import_areas, import_callers, import_facilities
from geo.store import read_facilities
from kernel.dataerrors import DataError, RowError
from routing.tables_store import IMPORTERS, clear_table
from shifts.endpoints import endpoint_problem
from shifts.roster_csv import ParsedRoster, StaffRow, parse_roster_csv
from shifts.rotation import rotate_week
from shifts.store import known_staff, write_roster


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def sample_roster_csv(region_dir: Path, first_day: date) -> str:
    """A roster CSV for a week from `first_day`: staff rotate; the region's `off_this_week` stay empty.

    The central dispatcher needs no roster to be rung (the dialplan always ends there); it is rostered
    like everyone else only so the roster shows who sits at the desk.
    """
    region = tomllib.loads((region_dir / "region.toml").read_text(encoding="utf-8"))
    with (region_dir / "staff.csv").open(newline="", encoding="utf-8-sig") as handle:
        staff = list(csv.DictReader(handle))
    by_facility: dict[str, list[str]] = {}
    for row in staff:
        by_facility.setdefault(row["facility_code"], []).append(row["staff_id"])
    info = {row["staff_id"]: row for row in staff}
    # Start the day before, so a night shift that began yesterday evening covers the early hours.
    rows = rotate_week(
        by_facility, first_day - timedelta(days=1), days=8, skip_facilities=region.get("off_this_week", [])
    )
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["facility_code", "staff_id", "date", "shift", "staff_name", "role", "endpoint", "unit"])
    for facility, staff_id, day, shift in rows:
        person = info[staff_id]
        writer.writerow(
            [
                facility,
                staff_id,
                day.isoformat(),
                shift,
                person["staff_name"],
                person["role"],
                person["endpoint"],
                "",
            ]
        )
    # Ambulance crews (crews.csv): drivers and medics of each unit rotate apart, so a unit with three of
    # each has a driver and a medic on every shift, and one with fewer shows the gaps.
    crews = _crew_rows(region_dir)
    groups: dict[str, list[str]] = {}
    for row in crews:
        kind = "driver" if row["role"] == "driver" else "medic"
        groups.setdefault(f"{row['unit']}|{kind}", []).append(row["staff_id"])
    by_id = {row["staff_id"]: row for row in crews}
    for _, staff_id, day, shift in rotate_week(groups, first_day - timedelta(days=1), days=8):
        person = by_id[staff_id]
        writer.writerow(
            [
                person["facility_code"],
                staff_id,
                day.isoformat(),
                shift,
                person["staff_name"],
                person["role"],
                person["endpoint"],
                person["unit"],
            ]
        )
    return out.getvalue()


def _crew_rows(region_dir: Path) -> list[dict[str, str]]:
    path = region_dir / "crews.csv"
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def sample_crew_staff(region_dir: Path) -> list[StaffRow]:
    """The ambulance crews of crews.csv as staff (not in staff.csv: they answer no hotline, and the
    telephony tests start a softphone for everyone in staff.csv)."""
    return [
        StaffRow(r["staff_id"], r["staff_name"], r["role"], r["endpoint"], r["facility_code"])
        for r in _crew_rows(region_dir)
    ]


def sample_beds_csv(region_dir: Path, now: datetime) -> str | None:
    """beds.csv with its times moved so the newest count is `now`, their spacing kept: the sample's
    beds stay fresh whenever it is loaded, and a count written hours older stays stale."""
    path = region_dir / "beds.csv"
    if not path.exists():
        return None
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    times = [datetime.fromisoformat(r["updated_at"]) for r in rows]
    shift = now - max(times)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]) if rows else ["hospital"])
    writer.writeheader()
    for row, when in zip(rows, times, strict=True):
        writer.writerow({**row, "updated_at": (when + shift).isoformat(timespec="seconds")})
    return out.getvalue()


def sample_staff(region_dir: Path) -> list[StaffRow]:
    """Everyone in staff.csv, rostered or not: an operator off this week still has a softphone.

    Written straight to the staff table, so each endpoint gets the check every other writer uses.
    """
    path = region_dir / "staff.csv"
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        staff = [
            (
                reader.line_num,
                StaffRow(r["staff_id"], r["staff_name"], r["role"], r["endpoint"], r["facility_code"]),
            )
            for r in reader
        ]
    bad = [(line, endpoint_problem(s.endpoint)) for line, s in staff]
    errors = [RowError(str(path), line, "endpoint", problem) for line, problem in bad if problem]
    if errors:
        raise DataError(errors)
    return [s for _, s in staff]


def load_sample_places(
    engine: Engine, areas_path: Path, facilities_path: Path, callers_path: Path
) -> dict[str, int]:
    """Replace the stored areas, facilities and known callers with the sample region's, and its DID, kode
    pos and desk overflow tables with the did.csv, kode_pos.csv and desks.csv beside areas_path (emptied
    where there is none).

    The area-code table is emptied, not filled: the engine then uses the national table shipped with
    siaga (config/area_codes.csv), as it always did for the sample, and a corrected shipped file reaches
    the sample without a copy of it frozen in the database."""
    counts = {
        "areas": import_areas(engine, areas_path, replace=True).imported,
        "facilities": import_facilities(engine, facilities_path, replace=True).imported,
        "callers": import_callers(engine, callers_path, replace=True).imported,
    }
    for verb, name in (("did", "did.csv"), ("kode-pos", "kode_pos.csv")):
        path = areas_path.parent / name
        counts[verb] = IMPORTERS[verb](engine, path).imported if path.exists() else 0
        if not path.exists():
            clear_table(engine, verb)
    clear_table(engine, "area-codes")
    desks = areas_path.parent / "desks.csv"
    counts["desks"] = import_desks(engine, desks).imported if desks.exists() else 0
    if not desks.exists():
        clear_desks(engine)
    return counts


def load_sample_roster(
    engine: Engine,
    region_dir: Path,
    facilities_path: Path,
    first_day: date,
    *,
    areas_path: Path | None = None,
    callers_path: Path | None = None,
) -> int:
    """Load the sample's places, then replace the roster with the sample week's; returns the assignments.

    The consultation desk's skills (staff.csv's optional `skills` column, desks/skills.py) are read first,
    so an unknown skill refuses the load before anything is written, and a topic nobody has refuses the
    roster's transaction."""
    skills = skills_from_staff_csv(region_dir / "staff.csv")
    load_sample_places(
        engine,
        areas_path or region_dir / "areas.geojson",
        facilities_path,
        callers_path or region_dir / "callers.csv",
    )
    with Session(engine) as session:
        zones = {f.code: f.timezone for f in read_facilities(session)}
    text = sample_roster_csv(region_dir, first_day)
    with Session(engine) as session, session.begin():
        units_path = region_dir / "units.csv"
        if units_path.exists():
            write_units_csv(
                session, units_path.read_text(encoding="utf-8-sig"), str(units_path), replace=True
            )
        staff = sample_staff(region_dir) + sample_crew_staff(region_dir)
        parsed = parse_roster_csv(
            text, "sample roster", zones, known_staff(session), units=unit_bases(session)
        )
        count = write_roster(session, ParsedRoster(staff, parsed.assignments), replace=True)
        now = datetime.now(UTC)
        beds = sample_beds_csv(region_dir, now)
        if beds is not None:
            write_beds_csv(session, beds, str(region_dir / "beds.csv"), now, replace=True)
        write_skills(session, skills)
        consultation = [f.code for f in read_facilities(session) if f.kind == "consultation"]
        desks = {f.code: f.kind for f in read_facilities(session) if f.kind in DESK_KINDS}
        check_desks_staffed(session, desks, str(region_dir / "staff.csv"))
        check_topics(session, consultation, str(region_dir / "staff.csv"))
        return count
