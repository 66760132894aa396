"""Issue 17: `siaga roster` keeps staff in their own kabupaten — a swap or an import line that puts a
person on a shift in another kabupaten is refused, naming the person and the kabupaten."""

from __future__ import annotations

import json
from pathlib import Path

from shapely.geometry import box
from sqlalchemy.orm import Session

from geo.areas import Area
from geo.facilities import Facility
from geo.store import write_areas, write_facilities
from kernel.db import make_engine
from shifts.roster_csv import ParsedRoster, StaffRow
from shifts.store import write_roster
from tests.shifts.test_cli import Siaga, siaga, write  # noqa: F401  (the sample-region fixture)

OTHER_FACILITY, OTHER_STAFF = "pkm-ungaran", "pkm-ungaran-op1"


def _second_kabupaten(data_dir: Path) -> None:
    """Kabupaten Semarang (33.22) south of the sample's Kota Semarang, with one puskesmas and one person."""
    engine = make_engine(f"sqlite:///{data_dir / 'siaga.db'}")
    with Session(engine) as session, session.begin():
        outline = box(110.36, -7.20, 110.46, -7.10)
        write_areas(
            session,
            [
                Area("33.22", "Kabupaten Semarang", "kabupaten", "33", outline),
                Area("33.22.01", "Ungaran Barat", "kecamatan", "33.22", outline),
            ],
        )
        write_facilities(
            session,
            [
                Facility(
                    OTHER_FACILITY,
                    "Puskesmas Ungaran",
                    "puskesmas",
                    -7.14,
                    110.40,
                    "33.22.01",
                    "Asia/Jakarta",
                )
            ],
        )
        staff = StaffRow(OTHER_STAFF, "Wulan Sari", "operator", OTHER_STAFF, OTHER_FACILITY)
        write_roster(session, ParsedRoster([staff], []))


def test_a_swap_with_someone_of_another_kabupaten_is_refused(siaga: Siaga) -> None:  # noqa: F811
    _second_kabupaten(siaga.data_dir)
    morning = ("--at", "2026-11-24T09:00+07:00", "--facility", "pkm-gayamsari", "--json")
    (on_duty,) = json.loads(siaga("roster", "on-duty", *morning)[1])
    window = ("--from", "2026-11-24T07:00+07:00", "--to", "2026-11-24T14:00+07:00")
    code, _, err = siaga("roster", "swap", on_duty["staff_id"], "--with", OTHER_STAFF, *window)
    assert code == 2, err
    assert OTHER_STAFF in err and "Kabupaten Semarang (33.22)" in err and "pkm-gayamsari" in err


def test_an_import_line_putting_someone_of_another_kabupaten_on_a_shift_is_refused(
    siaga: Siaga,  # noqa: F811
    tmp_path: Path,
) -> None:
    _second_kabupaten(siaga.data_dir)
    before = siaga.count()
    roster = write(
        tmp_path / "december.csv",
        "facility_code,staff_id,date,shift\n"
        "pkm-gayamsari,pkm-gayamsari-op1,2026-12-01,pagi\n"
        f"pkm-gayamsari,{OTHER_STAFF},2026-12-01,malam\n",
    )
    code, out, err = siaga("roster", "import", str(roster))
    assert code == 2 and out == "", err
    assert "december.csv:3: staff_id:" in err and "Kabupaten Semarang (33.22)" in err
    assert siaga.count() == before
