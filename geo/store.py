"""Areas, facilities and known callers in the database: written by the importers, read at engine start
and again by every running engine after a re-import.

Writes happen inside the caller's transaction, so an import either lands whole or not at all; each bumps
its kind's counter (`kernel.revisions`) in that transaction, which is how running engines notice it. Reads
return plain domain objects; geometries travel as WKB and are decoded in one vectorised call.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import shapely
from sqlalchemy import Engine, delete, func, insert, select
from sqlalchemy.orm import Session

from geo.areas import Area, AreaIndex
from geo.callers import CallerDirectory, KnownCaller
from geo.facilities import Facility
from geo.model import AreaRow, FacilityRow, KnownCallerRow
from geo.parsed import ProgressFn
from geo.region import Region
from kernel.db import make_engine
from kernel.revisions import AREAS, CALLERS, FACILITIES, bump_data_revision
from kernel.settings import Settings

_CHUNK = 500  # codes per DELETE … IN (…), well under SQLite's variable limit


class NoAreasError(ValueError):
    """The engine cannot route without areas; the message says how to get some."""


def missing_areas_message(db_url: str) -> str:
    return (
        f"no areas in the database {db_url}: run `siaga sample load` for the sample region, "
        "or `siaga import areas FILE` (then `siaga import facilities FILE.csv`)"
    )


def area_levels(session: Session) -> dict[str, str]:
    return {code: level for code, level in session.execute(select(AreaRow.code, AreaRow.level))}


def facility_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(FacilityRow)) or 0)


def _replace_keys(session: Session, column: Any, keys: Sequence[str]) -> None:
    for start in range(0, len(keys), _CHUNK):
        session.execute(delete(column.class_).where(column.in_(keys[start : start + _CHUNK])))


def _insert(
    session: Session, table: type, rows: list[dict[str, object]], progress: ProgressFn | None
) -> None:
    step = 5000
    for start in range(0, len(rows), step):
        session.execute(insert(table), rows[start : start + step])
        if progress is not None:
            progress(min(start + step, len(rows)), len(rows))


def write_areas(
    session: Session, areas: Sequence[Area], *, replace: bool = False, progress: ProgressFn | None = None
) -> int:
    """Store `areas` (same code: the new one wins); `replace` first removes every stored area."""
    if replace:
        session.execute(delete(AreaRow))
    else:
        _replace_keys(session, AreaRow.code, [a.code for a in areas])
    geometries = np.array([a.geometry for a in areas], dtype=object)
    blobs = shapely.to_wkb(geometries) if len(areas) else []
    rows = [
        {"code": a.code, "name": a.name, "level": a.level, "parent": a.parent, "geometry": blob}
        for a, blob in zip(areas, blobs, strict=True)
    ]
    _insert(session, AreaRow, rows, progress)
    bump_data_revision(session, AREAS)  # running engines rebuild their places (siaga/engine.py)
    return len(rows)


def write_facilities(
    session: Session,
    facilities: Sequence[Facility],
    *,
    replace: bool = False,
    progress: ProgressFn | None = None,
) -> int:
    if replace:
        session.execute(delete(FacilityRow))
    else:
        _replace_keys(session, FacilityRow.code, [f.code for f in facilities])
    rows = [
        {
            "code": f.code,
            "name": f.name,
            "kind": f.kind,
            "lat": f.lat,
            "lon": f.lon,
            "area_code": f.area_code,
            "timezone": f.timezone,
            "service_area": " ".join(f.service_area),
        }
        for f in facilities
    ]
    _insert(session, FacilityRow, rows, progress)
    bump_data_revision(session, FACILITIES)
    return len(rows)


def write_callers(
    session: Session,
    callers: Sequence[KnownCaller],
    *,
    replace: bool = False,
    progress: ProgressFn | None = None,
) -> int:
    if replace:
        session.execute(delete(KnownCallerRow))
    else:
        _replace_keys(session, KnownCallerRow.number, [c.number for c in callers])
    rows = [{"number": c.number, "lat": c.lat, "lon": c.lon, "label": c.label} for c in callers]
    _insert(session, KnownCallerRow, rows, progress)
    bump_data_revision(session, CALLERS)
    return len(rows)


def read_areas(session: Session) -> list[Area]:
    rows = session.execute(
        select(AreaRow.code, AreaRow.name, AreaRow.level, AreaRow.parent, AreaRow.geometry)
    ).all()
    blobs = np.array([r.geometry for r in rows], dtype=object)
    geometries = shapely.from_wkb(blobs) if len(rows) else []
    return [Area(r.code, r.name, r.level, r.parent, g) for r, g in zip(rows, geometries, strict=True)]


def read_facilities(session: Session) -> list[Facility]:
    return [
        Facility(r.code, r.name, r.kind, r.lat, r.lon, r.area_code, r.timezone, tuple(r.service_area.split()))
        for r in session.scalars(select(FacilityRow).order_by(FacilityRow.code))
    ]


def facility_kabupaten(session: Session) -> tuple[dict[str, str | None], dict[str, str]]:
    """(facility code → its kabupaten code, kabupaten code → name), read without the outlines.

    A facility's kabupaten is the kabupaten-level ancestor of its area, as the console's `Places` has
    it; `siaga roster` needs only this much to keep staff in their own kabupaten, not the geometries.
    """
    areas = {
        code: (name, level, parent)
        for code, name, level, parent in session.execute(
            select(AreaRow.code, AreaRow.name, AreaRow.level, AreaRow.parent)
        )
    }

    def kabupaten(code: str | None) -> str | None:
        seen: set[str] = set()
        while code is not None and code in areas and code not in seen:
            seen.add(code)
            _, level, parent = areas[code]
            if level == "kabupaten":
                return code
            code = parent
        return None

    of_facility = {
        code: kabupaten(area)
        for code, area in session.execute(select(FacilityRow.code, FacilityRow.area_code))
    }
    names = {code: name for code, (name, level, _) in areas.items() if level == "kabupaten"}
    return of_facility, names


def read_callers(session: Session) -> Iterable[KnownCaller]:
    rows = session.execute(
        select(KnownCallerRow.number, KnownCallerRow.lat, KnownCallerRow.lon, KnownCallerRow.label)
    )
    return [KnownCaller(r.number, r.lat, r.lon, r.label) for r in rows]


def load_region_from_db(engine: Engine) -> Region:
    """The engine's snapshot of places; NoAreasError when nothing was imported yet."""
    with Session(engine) as session:
        areas = read_areas(session)
        if not areas:
            raise NoAreasError(missing_areas_message(engine.url.render_as_string(hide_password=True)))
        facilities = read_facilities(session)
        callers = read_callers(session)
    return Region(AreaIndex(areas), {f.code: f for f in facilities}, CallerDirectory(callers))


class NoFacilitiesError(ValueError):
    """Rosters and coverage need facilities; the message says how to import them."""


def load_facilities(settings: Settings) -> list[Facility]:
    """Every facility in the database; rosters and coverage checks read them through here."""
    with Session(make_engine(settings.db_url)) as session:
        facilities = read_facilities(session)
    if not facilities:
        raise NoFacilitiesError(
            f"no facilities in the database {settings.db_url}: run `siaga sample load` for the sample "
            "region, or `siaga import facilities FILE.csv`"
        )
    return facilities


def facility_zones(settings: Settings) -> dict[str, str]:
    """Facility code → IANA time zone, which decides when its shifts start and end."""
    return {f.code: f.timezone for f in load_facilities(settings)}


def load_areas(settings: Settings) -> AreaIndex:
    """The stored areas as a lookup index (the console and coverage checks use the engine's areas)."""
    with Session(make_engine(settings.db_url)) as session:
        areas = read_areas(session)
    if not areas:
        raise NoAreasError(missing_areas_message(settings.db_url))
    return AreaIndex(areas)
