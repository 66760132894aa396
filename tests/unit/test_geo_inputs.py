import json
from pathlib import Path

import pytest

from geo.areas import load_areas_geojson
from geo.callers import load_callers_csv, normalise_number
from geo.facilities import load_facilities_csv
from siaga.dataerrors import DataError

HEADER = "code,name,kind,lat,lon,area_code,timezone,service_area\n"


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_every_bad_facility_row_is_named_by_line_and_field(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "f.csv",
        HEADER
        + "pkm-a,Puskesmas A,puskesmas,-7.0,110.4,33.74.01,Asia/Jakarta,\n"
        + "pkm-b,Puskesmas B,clinic,-7.0,110.4,33.74.01,Asia/Jakarta,\n"
        + "pkm-c,Puskesmas C,puskesmas,110.4,-7.0,33.74.01,Asia/Jakarta,\n"
        + "pkm-d,Puskesmas D,puskesmas,nan,110.4,33.74.01,Asia/Jakarta,\n"
        + "pkm-a,Puskesmas A2,puskesmas,-7.0,110.4,33.74.99,Mars/Base,\n",
    )
    with pytest.raises(DataError) as err:
        load_facilities_csv(path, known_areas={"33.74.01"})
    text = str(err.value)
    assert "f.csv:3: kind: 'clinic' is not one of" in text
    assert "f.csv:4: lat:" in text and "swapped" in text
    assert "f.csv:5: lat:" in text and "finite" in text
    assert "f.csv:6: code: duplicate code 'pkm-a'" in text
    assert "f.csv:6: area_code: unknown area '33.74.99'" in text
    assert "f.csv:6: timezone:" in text
    assert not any(e.line == 2 for e in err.value.errors)


def test_facility_file_missing_a_column(tmp_path: Path) -> None:
    path = _write(tmp_path, "f.csv", "code,name,kind,lat,lon\n")
    with pytest.raises(DataError, match="missing column"):
        load_facilities_csv(path)


def test_area_features_with_bad_geometry_and_unknown_parent(tmp_path: Path) -> None:
    bowtie = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    doc = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"code": "33", "name": "X", "level": "provinsi"},
                "geometry": None,
            },
            {
                "type": "Feature",
                "properties": {"code": "33.01", "name": "Y", "level": "kabupaten", "parent": "34"},
                "geometry": {"type": "Point", "coordinates": [110, -7]},
            },
            {
                "type": "Feature",
                "properties": {"code": "33.02", "name": "Z", "level": "kabupaten", "parent": "33"},
                "geometry": bowtie,
            },
            {
                "type": "Feature",
                "properties": {"code": "33.03", "name": "W", "level": "town", "parent": "34"},
                "geometry": None,
            },
        ],
    }
    with pytest.raises(DataError) as err:
        load_areas_geojson(_write(tmp_path, "a.geojson", json.dumps(doc)))
    lines = {(e.line, e.field) for e in err.value.errors}
    assert (2, "geometry") in lines
    assert (3, "geometry") in lines
    assert (4, "level") in lines


def test_not_geojson_at_all(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not readable GeoJSON"):
        load_areas_geojson(_write(tmp_path, "a.geojson", "{oops"))


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


def test_callers_file_reports_bad_rows(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "c.csv",
        "number,lat,lon,label\n0248312345,-7.0,110.4,ok\nabc,-7,110,x\n"
        "+62248312345,-7.0,110.4,dup\n0811,inf,110,x\n",
    )
    with pytest.raises(DataError) as err:
        load_callers_csv(path)
    assert [(e.line, e.field) for e in err.value.errors] == [(3, "number"), (4, "number"), (5, "lat/lon")]
