"""Issue 17: the engine's lookup tables (`routing.tables`: did.csv, kode_pos.csv, area_codes.csv) as a
spreadsheet saves them — with a UTF-8 BOM — and with a bad line among good ones: the good lines are kept,
each bad one is an error naming the file and the line, and `siaga serve` still starts.

(Here rather than in tests/routing: the tables are place data, loaded beside the areas.)
"""

from __future__ import annotations

import csv
import logging
from pathlib import Path

import pytest

from geo.areas import AreaIndex, load_areas_geojson
from kernel.settings import REPO_ROOT, SAMPLE_REGION
from routing.tables import load_location_tables

BOM = b"\xef\xbb\xbf"


@pytest.fixture(scope="module")
def areas() -> AreaIndex:
    return load_areas_geojson(SAMPLE_REGION / "areas.geojson")


@pytest.fixture(scope="module")
def facilities() -> set[str]:
    with (SAMPLE_REGION / "facilities.csv").open(encoding="utf-8") as handle:
        return {row["code"] for row in csv.DictReader(handle)}


def _copy(source: Path, target: Path, prefix: bytes = b"", extra: bytes = b"") -> Path:
    target.write_bytes(prefix + source.read_bytes() + extra)
    return target


def _lines(path: Path) -> int:
    return len(path.read_bytes().splitlines()) - 1


def test_tables_saved_with_a_bom_load_whole(tmp_path: Path, areas: AreaIndex, facilities: set[str]) -> None:
    did = _copy(SAMPLE_REGION / "did.csv", tmp_path / "did.csv", BOM)
    kode_pos = _copy(SAMPLE_REGION / "kode_pos.csv", tmp_path / "kode_pos.csv", BOM)
    area_codes = _copy(REPO_ROOT / "config" / "area_codes.csv", tmp_path / "area_codes.csv", BOM)
    tables = load_location_tables(areas, facilities, did, kode_pos, area_codes)
    assert len(tables.dids) == _lines(did)
    assert len(tables.kode_pos) == _lines(kode_pos)
    assert len(tables.area_codes) == _lines(area_codes)
    assert tables.problems == ()


def test_a_bad_line_is_named_and_the_good_lines_are_kept(
    tmp_path: Path, areas: AreaIndex, facilities: set[str], caplog: pytest.LogCaptureFixture
) -> None:
    good = _lines(SAMPLE_REGION / "did.csv")
    did = _copy(
        SAMPLE_REGION / "did.csv",
        tmp_path / "did.csv",
        BOM,
        b"not-a-number,pkm-gayamsari,,broken\n"  # line good+2
        b"0246799999,pkm-gayamsari,,caf\xe9 latin-1\n"  # line good+3: not UTF-8
        b"0246799998,pkm-gayamsari,,nul \x00 byte\n"  # line good+4
        b"0246799997,pkm-gayamsari,,still good\n",  # line good+5
    )
    kode_pos = _copy(SAMPLE_REGION / "kode_pos.csv", tmp_path / "kode_pos.csv", b"", b"5011,33.74.05,short\n")
    area_codes = _copy(
        REPO_ROOT / "config" / "area_codes.csv", tmp_path / "area_codes.csv", b"", b"0812,33,mobile\n"
    )
    caplog.set_level(logging.ERROR)
    tables = load_location_tables(areas, facilities, did, kode_pos, area_codes)
    assert len(tables.dids) == good + 1 and "62246799997" in tables.dids
    assert len(tables.kode_pos) == _lines(kode_pos) - 1
    assert len(tables.area_codes) == _lines(area_codes) - 1
    named = {(Path(p.source).name, p.line) for p in tables.problems}
    assert named == {
        ("did.csv", good + 2),
        ("did.csv", good + 3),
        ("did.csv", good + 4),
        ("kode_pos.csv", _lines(kode_pos) + 1),
        ("area_codes.csv", _lines(area_codes) + 1),
    }
    assert f"did.csv:{good + 3}:" in caplog.text and "UTF-8" in caplog.text
    assert f"kode_pos.csv:{_lines(kode_pos) + 1}: kode_pos:" in caplog.text


def test_a_file_without_its_columns_still_stops_the_engine(
    tmp_path: Path, areas: AreaIndex, facilities: set[str]
) -> None:
    """A wrong file is a configuration mistake, not a bad line: refusing it beats routing without it."""
    from kernel.dataerrors import DataError

    wrong = tmp_path / "did.csv"
    wrong.write_text("number,where\n0246717001,pkm-gayamsari\n", encoding="utf-8")
    with pytest.raises(DataError, match="missing column"):
        load_location_tables(areas, facilities, wrong, None, None)
