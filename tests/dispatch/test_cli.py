"""The command-line front-ends: `siaga dispatch recommend --json` prints the issue's field names, `siaga
import units|beds` refuse a bad file with exit 2 naming the line, `siaga token add` prints its token once,
`siaga dispatch status` keeps every change."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from dispatch.store import status_history, token_holder
from kernel.db import make_engine
from kernel.settings import Settings
from siaga.cli import main as siaga_main

# A caller beside RSUD Wongsonegoro (Tembalang), south-east of the city centre.
NEAR_WONGSONEGORO = ["--lat", "-7.0300", "--lon", "110.4650"]


def _db(settings: Settings) -> list[str]:
    return ["--db", settings.db_url, "--data-dir", str(settings.data_dir)]


def _recommend(settings: Settings, capsys: pytest.CaptureFixture[str], *extra: str) -> dict:  # type: ignore[type-arg]
    assert siaga_main(["dispatch", "recommend", *NEAR_WONGSONEGORO, *extra, "--json", *_db(settings)]) == 0
    return json.loads(capsys.readouterr().out)  # type: ignore[no-any-return]


def test_recommend_prints_the_issue_s_fields_for_the_sample(
    sample_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _recommend(sample_settings, capsys)
    assert list(data) == ["units", "skipped", "hospitals", "hospitals_skipped"]
    assert [list(u) for u in data["units"]] == [
        ["unit", "base_facility", "distance_m", "eta_s", "status"]
    ] * 2
    assert [u["unit"] for u in data["units"]] == ["119-smg-03", "119-smg-01"], "nearest in-service first"
    assert data["units"][0]["base_facility"] == "rsud-wongsonegoro"
    assert data["units"][0]["distance_m"] < data["units"][1]["distance_m"]
    skipped = {s["unit"]: s["reason"] for s in data["skipped"]}
    assert skipped["119-smg-02"] == "transport unit, not emergency"
    assert skipped["119-smg-04"] in ("no driver", "not in service")  # its one paramedic rotates
    assert all(list(s) == ["unit", "reason"] for s in data["skipped"])
    # Wongsonegoro's IGD is full in the sample, so the hospital is Kariadi, farther away.
    assert [list(h) for h in data["hospitals"]] == [
        ["facility", "bed_class", "free", "updated_at", "distance_m"]
    ]
    assert data["hospitals"][0]["facility"] == "rsup-kariadi" and data["hospitals"][0]["free"] == 7
    assert data["hospitals_skipped"] == [{"facility": "rsud-wongsonegoro", "reason": "full"}]

    ponek = _recommend(sample_settings, capsys, "--bed-class", "ponek")
    assert ponek["hospitals_skipped"] == [{"facility": "rsud-wongsonegoro", "reason": "stale"}]


def test_a_status_change_is_kept_and_changes_the_recommendation(
    sample_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    # `dispatched` comes only from `siaga incidents dispatch`: a run needs its incident
    assert siaga_main(["dispatch", "status", "119-smg-03", "dispatched", *_db(sample_settings)]) == 2
    assert "status: a unit is dispatched to an incident" in capsys.readouterr().err
    assert siaga_main(["dispatch", "status", "119-smg-03", "flying", *_db(sample_settings)]) == 2
    assert "'flying' is not one of available" in capsys.readouterr().err
    assert siaga_main(["dispatch", "status", "no-such-unit", "available", *_db(sample_settings)]) == 2
    assert "unit: unknown unit 'no-such-unit'" in capsys.readouterr().err

    assert siaga_main(["dispatch", "status", "119-smg-03", "out_of_service", *_db(sample_settings)]) == 0
    assert "119-smg-03: available → out_of_service" in capsys.readouterr().out
    data = _recommend(sample_settings, capsys)
    assert [u["unit"] for u in data["units"]] == ["119-smg-01"]
    assert {"unit": "119-smg-03", "reason": "out of service"} in data["skipped"]
    assert siaga_main(["dispatch", "status", "119-smg-03", "en_route", *_db(sample_settings)]) == 2
    assert "report it available first" in capsys.readouterr().err
    assert siaga_main(["dispatch", "status", "119-smg-03", "available", *_db(sample_settings)]) == 0
    capsys.readouterr()
    with Session(make_engine(sample_settings.db_url)) as session:
        history = status_history(session, "119-smg-03")
    assert [(h.previous, h.status, h.source) for h in history] == [
        ("out_of_service", "available", "cli"),
        ("available", "out_of_service", "cli"),
    ]
    assert history[0].by.startswith("cli:") and history[0].at <= datetime.now(UTC)


def test_import_refuses_a_bad_file_naming_the_line(
    sample_settings: Settings, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    units = tmp_path / "units.csv"
    units.write_text(
        "code,name,base_facility,kind,endpoint\nx1,X,rsup-kariadi,bus,unit-x1\n", encoding="utf-8"
    )
    assert siaga_main(["import", "units", str(units), *_db(sample_settings)]) == 2
    err = capsys.readouterr().err
    assert f"{units}:2: kind: 'bus' is not one of emergency, transport" in err and "nothing imported" in err
    beds = tmp_path / "beds.csv"
    beds.write_text(
        "hospital,bed_class,total,occupied,waiting,updated_at\npkm-genuk,igd,4,1,0,2026-11-30T08:00+07:00\n",
        encoding="utf-8",
    )
    assert siaga_main(["import", "beds", str(beds), *_db(sample_settings)]) == 2
    assert f"{beds}:2: hospital: pkm-genuk is a puskesmas, not a hospital" in capsys.readouterr().err
    units.write_text(
        "code,name,base_facility,kind,endpoint\nx1,X,rsup-kariadi,transport,unit-x1\n", encoding="utf-8"
    )
    assert siaga_main(["import", "units", str(units), *_db(sample_settings)]) == 0
    assert "imported 1 units" in capsys.readouterr().out


def test_token_add_prints_the_token_once_and_refuses_a_non_hospital(
    sample_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert siaga_main(["token", "add", "--hospital", "rsup-kariadi", *_db(sample_settings)]) == 0
    out = capsys.readouterr()
    token = out.out.strip()
    assert len(token) >= 40 and token not in out.err
    with Session(make_engine(sample_settings.db_url)) as session:
        holder = token_holder(session, token)
    assert holder is not None and holder.hospital == "rsup-kariadi"
    assert siaga_main(["token", "add", "--hospital", "pkm-genuk", *_db(sample_settings)]) == 2
    assert "pkm-genuk is a puskesmas, not a hospital" in capsys.readouterr().err
    assert siaga_main(["token", "list", *_db(sample_settings)]) == 0
    listing = capsys.readouterr().out
    assert "rsup-kariadi" in listing and token not in listing


def test_recommend_refuses_a_time_without_offset_and_a_point_off_the_earth(
    sample_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["dispatch", "recommend", *NEAR_WONGSONEGORO, "--json", *_db(sample_settings)]
    assert siaga_main([*args, "--at", "2026-11-30T10:00"]) == 2
    assert "needs a UTC offset" in capsys.readouterr().err
    assert siaga_main(["dispatch", "recommend", "--lat", "95", "--lon", "110", *_db(sample_settings)]) == 2
    assert "not a point on Earth" in capsys.readouterr().err


def test_roster_import_refuses_a_unit_that_is_not_stored(
    sample_settings: Settings, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The roster's `unit` column is checked against the stored units by `siaga roster import` too (the
    front-end hands the shifts service dispatch's unit table), not only by `siaga sample load`."""
    crew = next(
        line.split(",")
        for line in (sample_settings.region_dir / "crews.csv").read_text().splitlines()[1:]
        if line.split(",")[2] == "driver"
    )
    staff_id, facility = crew[0], crew[3]
    day = datetime.now(UTC).date().isoformat()
    roster = tmp_path / "roster.csv"
    roster.write_text(f"facility_code,staff_id,date,shift,unit\n{facility},{staff_id},{day},malam,amb-none\n")
    assert siaga_main(["roster", "import", str(roster), *_db(sample_settings)]) == 2
    assert "unknown unit 'amb-none'" in capsys.readouterr().err
