"""`siaga import facilities|callers`: rows checked against stored areas, every bad line named."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from geo.callers import normalise_number
from geo.importers import ImportRejected, import_areas, import_callers, import_facilities
from geo.store import read_callers, read_facilities
from kernel.db import make_engine
from tests.geo.conftest import feature, square, write_collection

HEADER = "code,name,kind,lat,lon,area_code,timezone,service_area\n"


def _with_areas(tmp_path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'siaga.db'}")
    areas = [
        feature("33", "provinsi", None, None),
        feature("33.74", "kabupaten", "33", square(110.3, -7.1, 0.2)),
        feature("33.74.01", "kecamatan", "33.74", square(110.3, -7.1, 0.1)),
        feature("33.74.02", "kecamatan", "33.74", square(110.4, -7.1, 0.1)),
    ]
    import_areas(engine, write_collection(tmp_path / "a.geojson", areas))
    return engine


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_every_bad_facility_row_is_named_by_line_and_field(tmp_path: Path) -> None:
    engine = _with_areas(tmp_path)
    path = _write(
        tmp_path,
        "f.csv",
        HEADER
        + "pkm-a,Puskesmas A,puskesmas,-7.05,110.35,33.74.01,Asia/Jakarta,33.74.01\n"
        + "pkm-b,Puskesmas B,clinic,-7.0,110.4,33.74.01,Asia/Jakarta,\n"
        + "pkm-c,Puskesmas C,puskesmas,110.4,-7.0,33.74.01,Asia/Jakarta,\n"
        + "pkm-d,Puskesmas D,puskesmas,nan,110.4,33.74.01,Asia/Jakarta,\n"
        + "pkm-a,Puskesmas A2,puskesmas,-7.0,110.4,33.74.99,Mars/Base,\n"
        + "pkm-e,Puskesmas E,puskesmas,-7.0,110.45,33.74.02,Asia/Jakarta,33.74.02 33.74.77\n"
        + "pkm-f,Puskesmas F,puskesmas,Infinity,abc,33.74.02,Asia/Jakarta,\n",
    )
    with pytest.raises(ImportRejected) as err:
        import_facilities(engine, path)
    text = str(err.value)
    assert "f.csv:3: kind: 'clinic' is not one of" in text
    assert "f.csv:4: lat:" in text and "swapped" in text
    assert "f.csv:5: lat: lat must be a finite number" in text
    assert "f.csv:6: code: duplicate code 'pkm-a' (first on line 2)" in text
    assert "f.csv:6: area_code: unknown area '33.74.99'" in text
    assert "f.csv:6: timezone:" in text
    assert "f.csv:7: service_area: unknown area(s) '33.74.77'" in text
    assert "f.csv:8: lat: lat must be a finite number" in text and "f.csv:8: lon: lon is not a number" in text
    assert not any(e.line == 2 for e in err.value.errors)
    assert read_facilities(Session(engine)) == []


def test_skip_bad_facilities_and_service_areas_survive_the_database(tmp_path: Path) -> None:
    engine = _with_areas(tmp_path)
    path = _write(
        tmp_path,
        "f.csv",
        HEADER
        + "pkm-a,Puskesmas A,puskesmas,-7.05,110.35,33.74.01,Asia/Jakarta,33.74.01 33.74.02\n"
        + "pkm-b,Puskesmas B,puskesmas,-7.05,110.45,33.74.02,Asia/Makassar,\n"
        + "pkm-c,Puskesmas C,puskesmas,-7.05,110.45,33.74.99,Asia/Jakarta,\n",
    )
    result = import_facilities(engine, path, skip_bad=True)
    assert result.imported == 2 and [e.line for e in result.skipped] == [4]
    stored = {f.code: f for f in read_facilities(Session(engine))}
    assert stored["pkm-a"].service_area == ("33.74.01", "33.74.02")
    assert stored["pkm-b"].service_area == () and stored["pkm-b"].timezone == "Asia/Makassar"


def test_facilities_need_areas_first(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    path = _write(tmp_path, "f.csv", HEADER + "pkm-a,A,puskesmas,-7.05,110.35,33.74.01,Asia/Jakarta,\n")
    with pytest.raises(ImportRejected, match="no areas in the database: run `siaga import areas FILE` first"):
        import_facilities(engine, path)


def test_missing_columns_fail_the_file(tmp_path: Path) -> None:
    engine = _with_areas(tmp_path)
    with pytest.raises(ValueError, match="missing column"):
        import_facilities(engine, _write(tmp_path, "f.csv", "code,name,kind,lat,lon\n"))


def test_callers_are_normalised_and_bad_rows_named(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'siaga.db'}")
    path = _write(
        tmp_path,
        "c.csv",
        "\ufeffnumber,lat,lon,label\n0248312345,-7.0,110.4,ok\nabc,-7,110,x\n"
        "+62248312345,-7.0,110.4,dup\n0811,inf,110,x\n0812-1,110.4,-7.0,swapped\n",
    )
    with pytest.raises(ImportRejected) as err:
        import_callers(engine, path)
    assert [(e.line, e.field) for e in err.value.errors] == [
        (3, "number"),
        (4, "number"),
        (5, "lat/lon"),
        (6, "lat/lon"),
    ]
    assert "swapped" in str(err.value.errors[-1])
    result = import_callers(engine, path, skip_bad=True)
    assert result.imported == 1
    assert [(c.number, c.label) for c in read_callers(Session(engine))] == [("62248312345", "ok")]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0812-3456-7890", "6281234567890"),
        ("+6281234567890", "6281234567890"),
        ("6281234567890", "6281234567890"),
        ("(024) 831 2345", "62248312345"),
        ("unknown", None),
        ("0812\n3456", None),
        ('"><script>', None),
        ("", None),
    ],
)
def test_number_normalisation(raw: str, expected: str | None) -> None:
    assert normalise_number(raw) == expected
