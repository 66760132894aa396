"""Issue 15, point 5: DID, kode pos, area-code and desk tables are region data in the database.

`siaga import did|kode-pos|area-codes|desks FILE.csv` check every line against the places stored, refuse
the whole file naming each bad line (or, with `--skip-bad`, keep the good ones), and replace the stored
table whole in one transaction; the engine reads the tables from the database and needs nothing from the
sample to run a region it was given.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import logging
from pathlib import Path

import pytest
from sqlalchemy import Engine

from desks.config import load_desk_table
from desks.overflow_import import import_desks
from geo.importers import ImportRejected, import_areas, import_callers, import_facilities
from geo.store import load_region_from_db
from kernel.db import make_engine
from kernel.settings import SAMPLE_REGION, SHIPPED_AREA_CODES, Settings
from lab.sample import load_sample_places
from routing.tables import load_location_tables
from routing.tables_store import (
    import_area_codes,
    import_dids,
    import_kode_pos,
    load_location_tables_from_db,
    table_sizes,
)
from siaga.cli import main
from tests.geo.conftest import feature, square, write_collection


def _lines(path: Path) -> int:
    return len(path.read_bytes().splitlines()) - 1


def _places_only(tmp_path: Path) -> Engine:
    """The sample's areas, facilities and callers, and none of its tables."""
    engine = make_engine(f"sqlite:///{tmp_path / 'siaga.db'}")
    import_areas(engine, SAMPLE_REGION / "areas.geojson")
    import_facilities(engine, SAMPLE_REGION / "facilities.csv")
    import_callers(engine, SAMPLE_REGION / "callers.csv")
    return engine


def _tables(engine: Engine, **files: Path):  # type: ignore[no-untyped-def]
    region = load_region_from_db(engine)
    return load_location_tables_from_db(
        engine, region.areas, set(region.facilities), shipped_area_codes=SHIPPED_AREA_CODES, **files
    )


@pytest.fixture
def places(tmp_path: Path) -> Engine:
    return _places_only(tmp_path)


def test_the_sample_files_import_whole_and_load_as_the_files_did(places: Engine) -> None:
    dids = import_dids(places, SAMPLE_REGION / "did.csv")
    kode_pos = import_kode_pos(places, SAMPLE_REGION / "kode_pos.csv")
    prefixes = import_area_codes(places, SHIPPED_AREA_CODES)
    assert (dids.imported, kode_pos.imported, prefixes.imported) == (
        _lines(SAMPLE_REGION / "did.csv"),
        _lines(SAMPLE_REGION / "kode_pos.csv"),
        _lines(SHIPPED_AREA_CODES),
    )
    assert dids.summary() == f"imported {dids.imported} DIDs from {SAMPLE_REGION / 'did.csv'}"
    region = load_region_from_db(places)
    from_files = load_location_tables(
        region.areas,
        set(region.facilities),
        SAMPLE_REGION / "did.csv",
        SAMPLE_REGION / "kode_pos.csv",
        SHIPPED_AREA_CODES,
    )
    from_db = _tables(places)
    assert from_db == from_files  # the same entries, the same area points, no problems
    assert from_db.dids["62246717001"].facility_code == "pkm-gayamsari"


def test_bad_lines_are_named_and_nothing_is_imported(places: Engine, tmp_path: Path) -> None:
    import_dids(places, SAMPLE_REGION / "did.csv")
    bad = tmp_path / "did.csv"
    bad.write_text(
        "did,facility_code,area_code,label\n"
        "0741123456,pkm-gayamsari,,good\n"
        "0741123457,pkm-nowhere,,unknown facility\n"  # line 3
        "0741123458,,99.99,unknown area\n"  # line 4
        "twelve,pkm-gayamsari,,not a number\n",  # line 5
        encoding="utf-8",
    )
    with pytest.raises(ImportRejected) as caught:
        import_dids(places, bad)
    named = {(e.line, e.field) for e in caught.value.errors}
    assert named == {(3, "facility_code"), (4, "area_code"), (5, "did")}
    assert f"{bad}:3: facility_code: unknown facility 'pkm-nowhere'" in str(caught.value)
    assert f"{bad}:4: area_code: unknown area '99.99'" in str(caught.value)
    assert caught.value.good == 1
    # All or nothing: the table is still the sample's, untouched.
    assert table_sizes(places)["did"] == _lines(SAMPLE_REGION / "did.csv")
    kode = tmp_path / "kode_pos.csv"
    kode.write_text("kode_pos,area_code,label\n50111,33.74.05,ok\n50112,33.99.99,unknown\n", encoding="utf-8")
    with pytest.raises(ImportRejected, match=r"kode_pos.csv:3: area_code: unknown area '33.99.99'"):
        import_kode_pos(places, kode)
    assert table_sizes(places)["kode-pos"] == 0


def test_skip_bad_keeps_the_good_lines(places: Engine, tmp_path: Path) -> None:
    path = tmp_path / "kode_pos.csv"
    path.write_text("kode_pos,area_code,label\n50111,33.74.05,ok\n5011,33.74.05,short\n", encoding="utf-8")
    result = import_kode_pos(places, path, skip_bad=True)
    assert result.imported == 1 and [(e.line, e.field) for e in result.skipped] == [(3, "kode_pos")]
    assert set(_tables(places).kode_pos) == {"50111"}


def test_a_reimport_replaces_the_table_whole(places: Engine, tmp_path: Path) -> None:
    import_dids(places, SAMPLE_REGION / "did.csv")
    assert "62246717001" in _tables(places).dids
    smaller = tmp_path / "did.csv"
    smaller.write_text(
        "did,facility_code,area_code,label\n+62246717003,pkm-mijen,,only this\n", encoding="utf-8"
    )
    assert import_dids(places, smaller).imported == 1
    assert set(_tables(places).dids) == {"62246717003"}  # the numbers given back are gone
    empty = tmp_path / "empty.csv"
    empty.write_text("did,facility_code,area_code,label\n", encoding="utf-8")
    with pytest.raises(ImportRejected, match="no rows to import"):
        import_dids(places, empty)
    assert set(_tables(places).dids) == {"62246717003"}


def test_a_wrong_file_or_no_areas_is_refused_saying_why(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    with pytest.raises(ImportRejected, match="no areas in the database: run `siaga import areas FILE` first"):
        import_dids(engine, SAMPLE_REGION / "did.csv")
    wrong = tmp_path / "area_codes.csv"
    wrong.write_text("number,where\n024,semarang\n", encoding="utf-8")
    with pytest.raises(ImportRejected, match=r"area_codes\.csv:1: missing column"):
        import_area_codes(engine, wrong)


def test_empty_tables_are_no_data_and_area_codes_fall_back_to_the_shipped_table(
    places: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="siaga.routing.tables")
    tables = _tables(places)
    assert tables.dids == {} and tables.kode_pos == {} and tables.problems == ()
    assert tables.area_codes["24"] == ("33.74", "Kota Semarang")
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("location tables:")]
    assert len(lines) == 1
    assert "0 DIDs (none imported" in lines[0] and "`siaga import did FILE.csv`" in lines[0]
    assert "national table shipped with siaga" in lines[0]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]

    own = tmp_path / "area_codes.csv"  # an imported area-code table replaces the shipped one
    own.write_text("prefix,area_code,name\n0741,15.71,Kota Jambi\n", encoding="utf-8")
    assert import_area_codes(places, own).imported == 1
    caplog.clear()
    assert _tables(places).area_codes == {"741": ("15.71", "Kota Jambi")}
    assert "1 area codes (database)" in caplog.text


def test_entries_naming_places_no_longer_stored_are_left_out_and_logged(
    places: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import_dids(places, SAMPLE_REGION / "did.csv")
    fewer = tmp_path / "facilities.csv"
    with (SAMPLE_REGION / "facilities.csv").open(encoding="utf-8") as handle:
        rows = [r for r in csv.reader(handle) if r[0] != "pkm-gayamsari"]
    with fewer.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    import_facilities(places, fewer, replace=True)
    caplog.set_level(logging.ERROR)
    tables = _tables(places)
    assert "62246717001" not in tables.dids and "62246717002" in tables.dids
    assert [p.field for p in tables.problems] == ["facility_code"]
    assert "unknown facility 'pkm-gayamsari'" in caplog.text


def test_a_deprecated_file_setting_warns_and_is_read_instead_of_the_table(
    places: Engine, tmp_path: Path
) -> None:
    own = tmp_path / "did.csv"
    own.write_text("did,facility_code,area_code,label\n0246717003,pkm-mijen,,\n", encoding="utf-8")
    settings = dataclasses.replace(Settings(), did_file=own)
    notes = [n for n in settings.deprecations if "'did_file'" in n]
    assert len(notes) == 1 and f"siaga import did {own}" in notes[0]
    import_dids(places, SAMPLE_REGION / "did.csv")
    assert set(_tables(places, did_file=own).dids) == {"62246717003"}
    assert Settings().deprecations == []
    every = dataclasses.replace(
        Settings(), did_file=own, kode_pos_file=own, area_codes_file=own, desks_file=own
    )
    verbs = ("import did ", "import kode-pos ", "import area-codes ", "import desks ")
    assert [next(v for v in verbs if v in n) for n in every.deprecations] == list(verbs)


def test_desks_import_refused_whole_and_replaced(places: Engine, tmp_path: Path) -> None:
    settings = dataclasses.replace(Settings(), db=str(places.url), data_dir=tmp_path)
    assert load_desk_table(settings).chain("psc119-semarang")[1:] == []  # nothing stored: no overflow
    assert import_desks(places, SAMPLE_REGION / "desks.csv").imported == _lines(SAMPLE_REGION / "desks.csv")
    assert [d.code for d in load_desk_table(settings).chain("psc119-semarang")] == [
        "psc119-semarang",
        "psc119-jateng",
    ]
    bad = tmp_path / "desks.csv"
    bad.write_text("desk,overflow,max_wait_s\npsc119-semarang,pkm-mijen,60\n", encoding="utf-8")
    with pytest.raises(ImportRejected, match=r"desks.csv:2: overflow: 'pkm-mijen' is not a desk"):
        import_desks(places, bad)
    assert len(load_desk_table(settings).chain("psc119-semarang")) == 2  # unchanged
    bad.write_text("desk,overflow,max_wait_s\npsc119-semarang,,120\n", encoding="utf-8")
    import_desks(places, bad)
    table = load_desk_table(settings)
    assert table.chain("psc119-semarang")[1:] == [] and table.desks["psc119-semarang"].max_wait_s == 120


def test_sample_load_fills_the_tables_as_the_files_were(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'siaga.db'}")
    sample = SAMPLE_REGION
    counts = load_sample_places(
        engine, sample / "areas.geojson", sample / "facilities.csv", sample / "callers.csv"
    )
    assert counts["did"] == _lines(SAMPLE_REGION / "did.csv")
    assert counts["kode-pos"] == _lines(SAMPLE_REGION / "kode_pos.csv")
    assert counts["desks"] == 1
    assert table_sizes(engine)["area-codes"] == 0  # the shipped national table applies
    tables = _tables(engine)
    assert tables.problems == () and len(tables.area_codes) == _lines(SHIPPED_AREA_CODES)


# -- the new user's story: a region of one's own, nothing from the sample ---------------------------------

JAMBI = [
    feature("15", "provinsi", None, square(103.0, -2.0, 1.0), "Jambi"),
    feature("15.71", "kabupaten", "15", square(103.5, -1.7, 0.2), "Kota Jambi"),
    feature("15.71.01", "kecamatan", "15.71", square(103.5, -1.7, 0.1), "Kota Baru"),
    feature("15.71.02", "kecamatan", "15.71", square(103.6, -1.7, 0.1), "Jambi Selatan"),
]
FACILITIES = (
    "code,name,kind,lat,lon,area_code,timezone,service_area\n"
    "pkm-kotabaru,Puskesmas Kota Baru,puskesmas,-1.65,103.55,15.71.01,Asia/Jakarta,15.71.01\n"
    "pkm-jambi-selatan,Puskesmas Jambi Selatan,puskesmas,-1.64,103.66,15.71.02,Asia/Jakarta,15.71.02\n"
    "psc119-jambi,PSC 119 Kota Jambi,dispatch,-1.62,103.60,15.71,Asia/Jakarta,15.71\n"
)
CALLERS = "number,lat,lon,label\n0741000001,-1.66,103.56,rumah\n"
ROSTER = (
    "facility_code,staff_id,date,shift,staff_name,role,endpoint\n"
    "pkm-kotabaru,kb-op1,2026-11-23,pagi,Siti,operator,pkm-kotabaru-op1\n"
    "psc119-jambi,psc-op1,2026-11-23,pagi,Budi,dispatcher,psc119-jambi-op1\n"
)
AT = "2026-11-23T09:00+07:00"


def test_a_region_of_its_own_routes_with_nothing_from_the_sample(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    region = tmp_path / "jambi"
    region.mkdir()
    write_collection(region / "areas.geojson", JAMBI)
    (region / "facilities.csv").write_text(FACILITIES, encoding="utf-8")
    (region / "callers.csv").write_text(CALLERS, encoding="utf-8")
    (region / "roster.csv").write_text(ROSTER, encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # no siaga.toml from elsewhere; the data dir is the only state
    data = ["--data-dir", str(tmp_path / "var")]
    places = (("areas", "areas.geojson"), ("facilities", "facilities.csv"), ("callers", "callers.csv"))
    for what, name in places:
        assert main(["import", what, str(region / name), *data]) == 0
    assert main(["roster", "import", str(region / "roster.csv"), *data]) == 0
    capsys.readouterr()

    assert main(["route", "--caller", "0741000001", "--at", AT, "--json", *data]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["area"]["code"] == "15.71.01" and plan["location"]["source"] == "directory"
    assert [t["endpoint"] for t in plan["targets"]] == ["pkm-kotabaru-op1"]
    assert plan["desks"][0]["desk"] == "psc119-jambi"  # the caller's own desk closes the plan

    # Its own DID table, then a call that comes in on that number.
    (region / "did.csv").write_text(
        "did,facility_code,area_code,label\n0741123456,pkm-kotabaru,,front desk\n", encoding="utf-8"
    )
    assert main(["import", "did", str(region / "did.csv"), *data]) == 0
    capsys.readouterr()
    assert main(["route", "--dialled", "0741123456", "--at", AT, "--json", *data]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert (plan["location"]["source"], plan["area"]["code"]) == ("trunk", "15.71.01")


def test_import_verbs_from_the_cli_name_file_line_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    engine = _places_only(tmp_path)
    del engine
    data = ["--data-dir", str(tmp_path)]
    bad = tmp_path / "kode.csv"
    bad.write_text("kode_pos,area_code,label\n50111,33.74.05,ok\n50112,nowhere,bad\n", encoding="utf-8")
    assert main(["import", "kode-pos", str(bad), *data]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:3: area_code: unknown area 'nowhere'" in err
    assert f"nothing imported from {bad}; 1 good row(s) would load with --skip-bad" in err
    assert main(["import", "kode-pos", str(bad), "--skip-bad", *data]) == 0
    out, err = capsys.readouterr()
    assert "imported 1 kode pos" in out and "1 bad row(s) skipped" in out and f"skipped: {bad}:3:" in err
    assert main(["import", "area-codes", str(SHIPPED_AREA_CODES), *data]) == 0
    assert f"imported {_lines(SHIPPED_AREA_CODES)} area codes" in capsys.readouterr().out


def test_the_tables_keep_the_shape_the_router_reads(places: Engine) -> None:
    """`routing.locate` reads `LocationTables` as before (another helper works on it at the same time)."""
    import_dids(places, SAMPLE_REGION / "did.csv")
    tables = _tables(places)
    fields = [f.name for f in dataclasses.fields(tables)]
    assert fields == ["dids", "kode_pos", "area_codes", "areas", "problems"]
    outlined = {c for c, a in load_region_from_db(places).areas.by_code.items() if a.geometry}
    assert set(tables.areas) == outlined
