"""`siaga import …` and `siaga route`, run as an operator would, on the sample and a synthetic country."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from siaga.cli import main
from tests.geo.conftest import feature, square, write_collection

AT = "2026-11-23T02:00+07:00"


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_route_on_an_empty_database_says_what_to_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _run(capsys, "route", "--lat", "-6.99", "--lon", "110.42", "--data-dir", str(tmp_path))
    assert code == 2
    assert "no areas in the database" in err
    assert "siaga sample load" in err and "siaga import areas FILE" in err


def test_import_reports_by_feature_and_imports_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_collection(
        tmp_path / "a.geojson",
        [
            feature("33", "provinsi", None, None),
            feature("33.74", "kabupaten", "35", square(110.3, -7.1, 0.2)),
        ],
    )
    code, _, err = _run(capsys, "import", "areas", str(path), "--data-dir", str(tmp_path))
    assert code == 2
    assert "a.geojson:2: parent: unknown parent '35'" in err
    assert "nothing imported" in err and "1 good row(s) would load with --skip-bad" in err
    code, out, err = _run(capsys, "import", "areas", str(path), "--data-dir", str(tmp_path), "--skip-bad")
    assert code == 0 and "imported 1 areas" in out and "1 bad feature(s) skipped" in out
    assert "skipped: " in err and ":2: parent:" in err


@pytest.fixture
def sample_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    code, out, _ = _run(capsys, "sample", "load", "--data-dir", str(tmp_path), "--week-of", "2026-11-23")
    assert code == 0, out
    return tmp_path


def test_route_json_on_the_sample(sample_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(
        capsys,
        "route",
        "--lat",
        "-6.99",
        "--lon",
        "110.42",
        "--at",
        AT,
        "--json",
        "--data-dir",
        str(sample_dir),
    )
    assert code == 0
    plan = json.loads(out)
    assert plan["area"]["code"] == "33.74.07"
    assert plan["location"]["point"] == {"lat": -6.99, "lon": 110.42}
    assert plan["location"]["source"] == "manual" and "accuracy_m" in plan["location"]
    first = plan["targets"][0]
    assert first["facility"] == "pkm-pandanaran" and first["endpoint"].startswith("pkm-pandanaran-op")
    assert 650 <= first["distance_m"] <= 730 and "nearest staffed puskesmas" in first["why"]
    distances = [t["distance_m"] for t in plan["targets"]]
    assert distances == sorted(distances)
    # Then the city's PSC 119 desk (its service area holds the caller) and its overflow, the province's.
    assert [(d["desk"], d["max_wait_s"]) for d in plan["desks"]] == [
        ("psc119-semarang", 60),
        ("psc119-jateng", 0),
    ]
    assert plan["skipped"] == []


def test_route_table_at_sea_and_with_swapped_coordinates(
    sample_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _run(
        capsys, "route", "--lat", "-6.80", "--lon", "110.42", "--at", AT, "--data-dir", str(sample_dir)
    )
    assert code == 0
    assert "area:     (none)" in out and "outside every known area" in out
    assert " 1  pkm-" in out  # still the nearest staffed puskesmas, by distance alone
    code, _, err = _run(capsys, "route", "--lat", "110.42", "--lon", "-6.99", "--data-dir", str(sample_dir))
    assert code == 2 and "swapped" in err


def test_an_area_with_no_one_on_duty_goes_to_the_dispatcher(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sample = Path(__file__).resolve().parents[2] / "config" / "sample" / "semarang"
    for what, name in (
        ("areas", "areas.geojson"),
        ("facilities", "facilities.csv"),
        ("callers", "callers.csv"),
        ("desks", "desks.csv"),  # region data in the database (issue 15), as the sample load does
    ):
        assert _run(capsys, "import", what, str(sample / name), "--data-dir", str(tmp_path))[0] == 0
    code, out, _ = _run(
        capsys,
        "route",
        "--lat",
        "-6.99",
        "--lon",
        "110.42",
        "--at",
        AT,
        "--json",
        "--data-dir",
        str(tmp_path),
    )
    assert code == 0
    plan = json.loads(out)
    # Nobody at the city desk either: it is passed over at once, and the caller waits at the last desk.
    assert plan["targets"] == [] and [d["desk"] for d in plan["desks"]] == ["psc119-jateng"]
    assert any("Kota Semarang (dispatch): no one on duty; overflows at once" in n for n in plan["notes"])
    assert len(plan["skipped"]) >= 3 and all(
        s["reason"] == "no one on duty (off shift)" for s in plan["skipped"]
    )
    assert plan["skipped"][0]["facility"] == "pkm-pandanaran"
    assert "no staffed facility nearby" in plan["notes"]


def test_route_a_known_caller_of_a_synthetic_country(
    small_country: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    common = ("--data-dir", str(tmp_path), "--region-dir", str(small_country))
    for what, name in (
        ("areas", "areas.geojson"),
        ("facilities", "facilities.csv"),
        ("callers", "callers.csv"),
    ):
        assert _run(capsys, "import", what, str(small_country / name), *common)[0] == 0
    number, lat, lon, _label = (small_country / "callers.csv").read_text().splitlines()[1].split(",", 3)
    code, out, _ = _run(capsys, "route", "--caller", "+62" + number[1:], "--at", AT, "--json", *common)
    assert code == 0
    plan = json.loads(out)
    assert plan["location"]["source"] == "directory"
    assert plan["location"]["point"] == {"lat": float(lat), "lon": float(lon)}
    assert [a["level"] for a in plan["areas"]] == ["desa", "kecamatan", "kabupaten", "provinsi"]
    assert len(plan["skipped"]) == 12 and plan["targets"] == []
    assert plan["desks"], "the synthetic country's dispatch desk takes the call"
    code, out, _ = _run(capsys, "route", "--caller", "0899000000", "--at", AT, "--json", *common)
    plan = json.loads(out)
    assert plan["location"] is None and plan["targets"] == [] and plan["desks"]
