"""`siaga import areas`: every bad feature named by number, nothing half-imported, repairs reported."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import shapely
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from geo.areas import PropertyMap
from geo.importers import ImportRejected, import_areas
from geo.model import AreaRow
from geo.progress import ImportReport
from geo.store import read_areas
from kernel.db import make_engine
from tests.geo.conftest import feature, square, write_collection

BOWTIE = {
    "type": "Polygon",
    "coordinates": [[[110.3, -7.1], [110.4, -7.0], [110.4, -7.1], [110.3, -7.0], [110.3, -7.1]]],
}


def _engine(url: str) -> Engine:
    return make_engine(url)


def _codes(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return sorted(session.scalars(select(AreaRow.code)))


def _good() -> list[dict]:
    return [
        feature("33", "provinsi", None, None),
        feature("33.74", "kabupaten", "33", square(110.3, -7.1, 0.2)),
        feature("33.74.01", "kecamatan", "33.74", square(110.3, -7.1, 0.1)),
        feature("33.74.02", "kecamatan", "33.74", square(110.4, -7.1, 0.1)),
    ]


def test_a_good_file_lands_whole_with_wkb_geometries(db_url: str, tmp_path: Path) -> None:
    engine = _engine(db_url)
    result = import_areas(engine, write_collection(tmp_path / "a.geojson", _good()))
    assert result.imported == 4 and not result.skipped and not result.warnings
    areas = {a.code: a for a in read_areas(Session(engine))}
    assert areas["33"].geometry is None
    assert areas["33.74.02"].geometry.equals(shapely.box(110.4, -7.1, 110.5, -7.0))


def test_every_bad_feature_is_named_and_nothing_is_imported(db_url: str, tmp_path: Path) -> None:
    engine = _engine(db_url)
    import_areas(engine, write_collection(tmp_path / "first.geojson", _good()[:1]))
    nan_square = square(110.3, -7.1, 0.1)
    nan_square["coordinates"][0][2][0] = float("nan")
    swapped = {
        "type": "Polygon",
        "coordinates": [[[-7.1, 110.3], [-7.1, 110.4], [-7.0, 110.4], [-7.1, 110.3]]],
    }
    features = [
        *_good()[1:],
        feature("33.74.03", "town", "33.74", None),  # 4: level
        feature("33.74.04", "kecamatan", "34.01", None),  # 5: unknown parent
        feature("33.74.01", "kecamatan", "33.74", None),  # 6: duplicate code
        feature("33.74.05", "kecamatan", "33.74", nan_square),  # 7: NaN
        feature("33.74.06", "kecamatan", "33.74", swapped),  # 8: [lat, lon]
        feature("33.74.07", "kecamatan", "33.74", square(10.0, 50.0, 1.0)),  # 9: Europe
        feature("33.74.08", "kecamatan", "33.74", {"type": "Point", "coordinates": [110.3, -7.0]}),  # 10
        feature("33.74.09", "kecamatan", "33.74", {"type": "Polygon", "coordinates": [[[1, 2]]]}),  # 11
        feature("33.74.10.2001", "desa", "33.74.05", square(110.3, -7.1, 0.01)),  # 12: its parent is bad
        feature("33.74.11", "desa", "33.74.01.2001", None),  # 13: parent not above
        feature("", "kecamatan", "33.74", None),  # 14: no code
    ]
    path = write_collection(tmp_path / "a.geojson", features)
    with pytest.raises(ImportRejected) as err:
        import_areas(engine, path)
    found = {(e.line, e.field) for e in err.value.errors}
    assert {
        (4, "level"),
        (5, "parent"),
        (6, "code"),
        (7, "geometry"),
        (8, "geometry"),
        (9, "geometry"),
    } <= found
    assert {(10, "geometry"), (11, "geometry"), (12, "parent"), (14, "code")} <= found
    text = str(err.value)
    assert "unknown parent '34.01'" in text
    assert "duplicate code '33.74.01' (first at feature 2)" in text
    assert "NaN or Infinity" in text
    assert "[lat, lon]" in text
    assert "outside Indonesia's bounds" in text
    assert "parent '33.74.05' (feature 7) is bad" in text
    assert err.value.good == 3
    assert _codes(engine) == ["33"]  # the stored provinsi is untouched, nothing else landed


def test_skip_bad_loads_the_good_features_and_never_an_orphan(db_url: str, tmp_path: Path) -> None:
    engine = _engine(db_url)
    features = [
        *_good(),
        feature("33.74.03", "kecamatan", "33.74", {"type": "Point", "coordinates": [110.3, -7.0]}),
        feature("33.74.03.2001", "desa", "33.74.03", square(110.3, -7.1, 0.01)),
    ]
    result = import_areas(engine, write_collection(tmp_path / "a.geojson", features), skip_bad=True)
    assert result.imported == 4
    assert [(e.line, e.field) for e in result.skipped] == [(5, "geometry"), (6, "parent")]
    assert _codes(engine) == ["33", "33.74", "33.74.01", "33.74.02"]


def test_a_self_intersecting_polygon_is_repaired_with_a_warning(db_url: str, tmp_path: Path) -> None:
    engine = _engine(db_url)
    features = [*_good()[:2], feature("33.74.01", "kecamatan", "33.74", BOWTIE)]
    stream = io.StringIO()
    result = import_areas(
        engine, write_collection(tmp_path / "a.geojson", features), report=ImportReport(stream)
    )
    assert result.imported == 3
    assert [(w.line, w.field) for w in result.warnings] == [(3, "geometry")]
    assert "Self-intersection" in str(result.warnings[0]) and "make_valid" in str(result.warnings[0])
    assert "warning:" in stream.getvalue() and ":3: geometry:" in stream.getvalue()
    stored = {a.code: a for a in read_areas(Session(engine))}["33.74.01"].geometry
    assert stored.is_valid and stored.geom_type == "MultiPolygon" and stored.area > 0


def test_shapefile_property_names_through_a_map(db_url: str, tmp_path: Path) -> None:
    engine = _engine(db_url)
    import_areas(engine, write_collection(tmp_path / "top.geojson", _good()))
    desa = {
        "type": "Feature",
        "properties": {"KDEPUM": 3374012001, "WADMKD": "Sekayu", "KDCPUM": "33.74.01"},
        "geometry": square(110.30, -7.10, 0.05),
    }
    mapping = PropertyMap.parse("code=KDEPUM,name=WADMKD,parent=KDCPUM", default_level="desa")
    result = import_areas(engine, write_collection(tmp_path / "desa.geojson", [desa]), mapping=mapping)
    assert result.imported == 1
    stored = {a.code: a for a in read_areas(Session(engine))}
    assert stored["3374012001"].name == "Sekayu"
    assert stored["3374012001"].parent == "33.74.01" and stored["3374012001"].level == "desa"


@pytest.mark.parametrize(
    ("spec", "message"),
    [("code", "not FIELD=PROPERTY"), ("kode=KODE", "not one of code, name"), ("code=", "not FIELD=PROPERTY")],
)
def test_a_bad_map_is_refused(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PropertyMap.parse(spec)


def test_merge_replaces_same_codes_and_replace_starts_over(db_url: str, tmp_path: Path) -> None:
    engine = _engine(db_url)
    import_areas(engine, write_collection(tmp_path / "a.geojson", _good()))
    renamed = [feature("33.74.02", "kecamatan", "33.74", square(110.4, -7.1, 0.1), name="Timur Baru")]
    import_areas(engine, write_collection(tmp_path / "b.geojson", renamed))
    stored = {a.code: a for a in read_areas(Session(engine))}
    assert len(stored) == 4 and stored["33.74.02"].name == "Timur Baru"
    import_areas(engine, write_collection(tmp_path / "c.geojson", _good()[:2]), replace=True)
    assert _codes(engine) == ["33", "33.74"]


def test_long_imports_report_progress(db_url: str, tmp_path: Path, small_country: Path) -> None:
    stream = io.StringIO()
    import_areas(_engine(db_url), small_country / "areas.geojson", report=ImportReport(stream, interval_s=0))
    lines = stream.getvalue().splitlines()
    assert any(line.startswith("checking areas: ") and "(100%)" in line for line in lines)
    assert any(line.startswith("writing areas: ") for line in lines)


def test_unreadable_files(db_url: str, tmp_path: Path) -> None:
    (tmp_path / "x.geojson").write_text("{oops", encoding="utf-8")
    with pytest.raises(ValueError, match="not readable GeoJSON"):
        import_areas(_engine(db_url), tmp_path / "x.geojson")
    (tmp_path / "y.geojson").write_text('{"type": "Feature"}', encoding="utf-8")
    with pytest.raises(ValueError, match="expected a GeoJSON FeatureCollection"):
        import_areas(_engine(db_url), tmp_path / "y.geojson")
