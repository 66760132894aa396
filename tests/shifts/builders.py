"""Small builders for roster tests: times, duties, facilities and a roster database in a temp dir."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from kernel.db import make_engine
from shifts.importing import ImportResult, import_roster
from shifts.roster import Duty, StaffMember
from shifts.templates import DEFAULT_SHIFTS

WIB, WITA, WIT = "Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"

# Two puskesmas in one kecamatan of Semarang (WIB), one in Makassar (WITA), one in Jayapura (WIT),
# and a consultation desk.
ZONES = {"pkm-a": WIB, "pkm-b": WIB, "pkm-mks": WITA, "pkm-jpr": WIT, "desk": WIB}


@dataclass(frozen=True)
class Place:
    """A facility as the coverage check sees it."""

    code: str
    kind: str
    area_code: str
    timezone: str


FACILITIES = [
    Place("pkm-a", "puskesmas", "33.74.01", WIB),
    Place("pkm-b", "puskesmas", "33.74.01", WIB),
    Place("pkm-mks", "puskesmas", "73.71.01", WITA),
    Place("pkm-jpr", "puskesmas", "91.71.01", WIT),
]


def at(iso: str) -> datetime:
    return datetime.fromisoformat(iso)


def duty(facility: str, shift: str, day: str, staff: str | None = None, role: str = "operator") -> Duty:
    """A planned shift from the default templates, in the facility's own zone."""
    zone = ZONES.get(facility, WIB)
    start, end = DEFAULT_SHIFTS[shift].window(date.fromisoformat(day), ZoneInfo(zone))
    staff_id = staff or f"{facility}-op"
    return Duty(
        staff_id, staff_id.title(), role, staff_id, facility, shift, start, end, zone, date.fromisoformat(day)
    )


def person(staff_id: str, role: str = "operator") -> StaffMember:
    return StaffMember(staff_id, staff_id.title(), role, staff_id)


STAFF_CSV = (
    "facility_code,staff_id,start,end,staff_name,role,endpoint\n"
    # staff records only: these rows carry one short shift far in the past to create the people
    "pkm-a,sri,2020-01-01T07:00+07:00,2020-01-01T08:00+07:00,Sri Wahyuni,operator,pkm-a-op1\n"
    "pkm-a,budi,2020-01-02T07:00+07:00,2020-01-02T08:00+07:00,Budi Santoso,nurse,pkm-a-op2\n"
    "pkm-b,ani,2020-01-03T07:00+07:00,2020-01-03T08:00+07:00,Ani Lestari,operator,pkm-b-op1\n"
    "pkm-b,wati,2020-01-04T07:00+07:00,2020-01-04T08:00+07:00,Wati Susanti,midwife,pkm-b-op2\n"
    "pkm-mks,andi,2020-01-05T08:00+08:00,2020-01-05T09:00+08:00,Andi Makkasau,operator,pkm-mks-op1\n"
    "pkm-jpr,yohana,2020-01-06T09:00+09:00,2020-01-06T10:00+09:00,Yohana Wenda,operator,pkm-jpr-op1\n"
)


def roster_db(directory: Path, url: str | None = None) -> Engine:
    """A fresh database (`url`, else a SQLite file in `directory`) with the six people of `STAFF_CSV`."""
    engine = make_engine(url or f"sqlite:///{directory / 'roster.db'}")
    load(engine, STAFF_CSV)
    return engine


def load(engine: Engine, text: str, **options: object) -> ImportResult:
    """Import roster CSV text through the same path as `siaga roster import`."""
    with Session(engine) as session, session.begin():
        return import_roster(session, text, "test.csv", ZONES, **options)  # type: ignore[arg-type]
