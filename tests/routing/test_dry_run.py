"""`siaga route` dry runs with the evidence a live call carries, on the sample region's own tables."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest

from siaga.cli import main as siaga_main

PIDF = """<?xml version="1.0"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:gp="urn:ietf:params:xml:ns:pidf:geopriv10"
  xmlns:gml="http://www.opengis.net/gml" xmlns:gs="http://www.opengis.net/pidflo/1.0" entity="sip:a@b">
 <tuple id="t"><status><gp:geopriv><gp:location-info>
  <gs:Circle srsName="urn:ogc:def:crs:EPSG::4326"><gml:pos>-7.0562 110.3122</gml:pos>
   <gs:radius uom="urn:ogc:def:uom:EPSG::9001">300</gs:radius></gs:Circle>
 </gp:location-info></gp:geopriv></status></tuple></presence>"""


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("dry-run")
    with contextlib.redirect_stdout(io.StringIO()):
        assert siaga_main(["sample", "load", "--data-dir", str(path), "--week-of", "2026-11-23"]) == 0
    return path


def route(data_dir: Path, *args: str) -> dict:  # type: ignore[type-arg]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = siaga_main(
            ["route", "--data-dir", str(data_dir), "--at", "2026-11-24T10:00+07:00", "--json", *args]
        )
    assert code == 0
    return json.loads(out.getvalue())  # type: ignore[no-any-return]


def test_a_pidf_lo_circle_routes_from_its_centre(data_dir: Path, tmp_path: Path) -> None:
    pidf = tmp_path / "caller.xml"
    pidf.write_text(PIDF)
    plan = route(data_dir, "--pidf", str(pidf))
    assert plan["location"]["source"] == "pidf-lo" and plan["location"]["accuracy_m"] == 300
    assert plan["area"]["code"] == "33.74.14"  # Mijen
    assert plan["targets"][0]["facility"] == "pkm-mijen"


def test_sample_tables_kode_pos_did_and_area_code(data_dir: Path) -> None:
    assert route(data_dir, "--digits", "50211")["area"]["code"] == "33.74.14"
    assert route(data_dir, "--digits", "337416")["area"]["code"] == "33.74.16"
    assert route(data_dir, "--dialled", "0246717003")["location"]["source"] == "trunk"
    coarse = route(data_dir, "--caller", "0247123456")
    assert (coarse["location"]["source"], coarse["area"]["code"]) == ("area-code", "33.74")
    assert coarse["targets"] == [] and coarse["desks"][0]["desk"] == "psc119-semarang"
