"""`siaga incidents open|show|list|dispatch|figures`: the worked example of the README, run for real on
the sample region — open from a call id, dispatch, the crew's reports, the intervals and figures."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from kernel.db import make_engine
from kernel.settings import Settings
from routing.records.model import CallRecord
from siaga.cli import main as siaga_main


def _db(settings: Settings) -> list[str]:
    return ["--db", settings.db_url, "--data-dir", str(settings.data_dir)]


def _run(settings: Settings, capsys: pytest.CaptureFixture[str], *argv: str) -> dict:  # type: ignore[type-arg]
    assert siaga_main([*argv, *_db(settings)]) == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)  # type: ignore[no-any-return]


def test_open_from_a_call_dispatch_and_the_figures(
    sample_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
    engine = make_engine(sample_settings.db_url)
    with Session(engine) as session, session.begin():
        session.add(
            CallRecord(
                call_id="siaga-1795398067.9",
                started_at=t0.replace(tzinfo=None),
                caller="0247000003",
                service="emergency",
                lat=-6.9930,
                lon=110.4470,
                location_source="directory",
                location_label="test house 3",
                area_code="33.74.10",
                area_name="Gayamsari < Kota Semarang < Jawa Tengah",
            )
        )
    engine.dispose()
    at = lambda s: (t0 + timedelta(seconds=s)).isoformat()  # noqa: E731

    opened = _run(
        sample_settings,
        capsys,
        "incidents",
        "open",
        "--call-id",
        "siaga-1795398067.9",
        "--category",
        "kecelakaan",
        "--priority",
        "merah",
        "--notes",
        "motor",
        "--at",
        at(45),
        "--json",
    )
    number = str(opened["incident"])
    assert (opened["caller"], opened["kabupaten"], opened["address"], opened["state"]) == (
        "0247000003",
        "33.74",
        "test house 3",
        "open",
    )
    sent = _run(
        sample_settings, capsys, "incidents", "dispatch", number, "119-smg-01", "--at", at(100), "--json"
    )
    assert sent["unit"] == "119-smg-01" and sent["endpoint"] == "unit-smg-01"
    assert sent["announcement"].startswith(f"Insiden {number}: kecelakaan, prioritas merah")
    for seconds, status in (
        (130, "en_route"),
        (700, "on_scene"),
        (1000, "transporting"),
        (1300, "at_hospital"),
    ):
        assert (
            siaga_main(
                ["dispatch", "status", "119-smg-01", status, "--at", at(seconds), *_db(sample_settings)]
            )
            == 0
        )
    capsys.readouterr()
    shown = _run(sample_settings, capsys, "incidents", "show", number, "--json")
    assert shown["intervals"] == {
        "call_to_dispatch_s": 100.0,
        "dispatch_to_scene_s": 600.0,
        "scene_to_hospital_s": 600.0,
        "call_to_close_s": None,
    }
    assert shown["units"] == [{"unit": "119-smg-01", "status": "at_hospital"}]
    listed = _run(sample_settings, capsys, "incidents", "list", "--open", "--json")
    assert [i["incident"] for i in listed["incidents"]] == [int(number)]

    figures = _run(sample_settings, capsys, "incidents", "figures", "--json")
    (row,) = figures["figures"]
    assert row["kabupaten"] == "33.74" and row["incidents"] == 1
    assert row["dispatch_to_scene_s"] == {"count": 1, "median_s": 600.0, "p90_s": 600.0}
    before = _run(sample_settings, capsys, "incidents", "figures", "--at", at(-60), "--json")
    assert before["figures"] == []


def test_bad_input_exits_2_naming_each_field(
    sample_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [
        "incidents",
        "open",
        "--caller",
        "abc",
        "--lat",
        "-6.99",
        "--category",
        "banjir",
        "--priority",
        "5",
    ]
    assert siaga_main([*argv, *_db(sample_settings)]) == 2
    err = capsys.readouterr().err
    assert "category: 'banjir' is not one of kecelakaan" in err
    assert "priority: '5' is not one of merah, kuning, hijau" in err
    assert "lon: give both lat and lon" in err and "caller: 'abc' is not a phone number" in err
    assert siaga_main(["incidents", "show", "77", *_db(sample_settings)]) == 2
    assert "no incident 77" in capsys.readouterr().err
    assert siaga_main(["incidents", "list", "--json", *_db(sample_settings)]) == 0
    assert json.loads(capsys.readouterr().out) == {"incidents": []}
