"""Issue 17: every place importer takes a file as a spreadsheet or an editor on Windows saves it, with a
UTF-8 byte order mark in front."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from geo.importers import import_areas, import_callers, import_facilities
from geo.store import read_areas, read_callers, read_facilities
from kernel.db import make_engine
from tests.geo.conftest import feature, square, write_collection

BOM = b"\xef\xbb\xbf"


def _with_bom(path: Path) -> Path:
    path.write_bytes(BOM + path.read_bytes())
    return path


def test_areas_facilities_and_callers_with_a_bom(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'siaga.db'}")
    areas = [
        feature("33", "provinsi", None, None),
        feature("33.74", "kabupaten", "33", square(110.3, -7.1, 0.2)),
        feature("33.74.01", "kecamatan", "33.74", square(110.3, -7.1, 0.1)),
    ]
    assert import_areas(engine, _with_bom(write_collection(tmp_path / "a.geojson", areas))).imported == 3
    facilities = tmp_path / "f.csv"
    facilities.write_text(
        "code,name,kind,lat,lon,area_code,timezone\n"
        "pkm-a,Puskesmas A,puskesmas,-7.05,110.35,33.74.01,Asia/Jakarta\n",
        encoding="utf-8",
    )
    assert import_facilities(engine, _with_bom(facilities)).imported == 1
    callers = tmp_path / "c.csv"
    callers.write_text("number,lat,lon,label\n0248000101,-7.05,110.35,rumah\n", encoding="utf-8")
    assert import_callers(engine, _with_bom(callers)).imported == 1
    with Session(engine) as session:
        assert {a.code for a in read_areas(session)} == {"33", "33.74", "33.74.01"}
        assert [f.code for f in read_facilities(session)] == ["pkm-a"]
        assert [c.number for c in read_callers(session)] == ["62248000101"]
