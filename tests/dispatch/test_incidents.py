"""Incidents as pure data: intervals (unknown steps stay unknown), figures per kabupaten and shift (median
and p90, only what was known at `now`), the announcement, and the checks on what an operator types."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dispatch.incidents import (
    Incident,
    announcement,
    categories_problem,
    figures,
    kabupaten_of_area,
    median,
    parse_priority,
    percentile,
    shift_of,
)

T0 = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)  # 09:00 WIB: pagi


def incident(
    n: int,
    start: datetime = T0,
    *,
    kabupaten: str | None = "33.74",
    dispatch_s: float | None = 60,
    scene_s: float | None = 600,
    hospital_s: float | None = 900,
    close_s: float | None = 3600,
    call: bool = True,
) -> Incident:
    def after(seconds: float | None) -> datetime | None:
        return None if seconds is None else start + timedelta(seconds=seconds)

    return Incident(
        id=n,
        call_id=f"call-{n}" if call else None,
        caller="0248000101",
        lat=-6.99,
        lon=110.42,
        address="Jl. Pandanaran 12",
        location_source="directory",
        area_code="33.74.07",
        area_name="Semarang Selatan < Kota Semarang < Jawa Tengah",
        kabupaten=kabupaten,
        timezone="Asia/Jakarta",
        category="henti_jantung",
        priority="merah",
        notes="",
        operator="op",
        call_started_at=start if call else None,
        opened_at=start + timedelta(seconds=20),
        dispatched_at=after(dispatch_s),
        on_scene_at=after(scene_s),
        at_hospital_at=after(hospital_s),
        closed_at=after(close_s),
    )


def test_intervals_start_at_the_call_and_leave_unknown_steps_unknown() -> None:
    assert incident(1).intervals() == {
        "call_to_dispatch_s": 60.0,
        "dispatch_to_scene_s": 540.0,
        "scene_to_hospital_s": 300.0,
        "call_to_close_s": 3600.0,
    }
    no_transport = incident(2, hospital_s=None, dispatch_s=None)
    assert no_transport.intervals()["scene_to_hospital_s"] is None
    assert no_transport.intervals()["dispatch_to_scene_s"] is None
    typed = incident(3, call=False)  # no call: the clock starts when the incident was opened
    assert typed.intervals()["call_to_dispatch_s"] == 40.0


def test_median_and_nearest_rank_p90() -> None:
    values = [float(v) for v in range(1, 11)]
    assert median(values) == 5.5 and percentile(values, 0.9) == 9.0
    assert median([3.0]) == 3.0 and percentile([3.0], 0.9) == 3.0
    assert median([]) is None and percentile([], 0.9) is None


def test_figures_per_kabupaten_and_shift() -> None:
    night = T0 + timedelta(hours=14)  # 23:00 WIB: malam
    found = [
        incident(1, dispatch_s=60),
        incident(2, dispatch_s=120),
        incident(3, dispatch_s=180, hospital_s=None),
        incident(4, night, dispatch_s=300),
        incident(5, kabupaten="33.22", dispatch_s=30),
        incident(6, T0 - timedelta(days=40)),  # outside the 30 days
    ]
    rows = figures(found, T0 + timedelta(days=1))
    assert [(r.kabupaten, r.shift, r.incidents) for r in rows] == [
        ("33.22", "pagi", 1),
        ("33.74", "pagi", 3),
        ("33.74", "malam", 1),
    ]
    pagi = rows[1].intervals
    assert (pagi["call_to_dispatch_s"].median_s, pagi["call_to_dispatch_s"].p90_s) == (120.0, 180.0)
    assert pagi["scene_to_hospital_s"].count == 2  # incident 3 never reached a hospital
    assert rows[2].intervals["call_to_dispatch_s"].median_s == 300.0
    assert rows[1].to_json()["call_to_dispatch_s"] == {"count": 3, "median_s": 120.0, "p90_s": 180.0}


def test_figures_count_only_what_was_known_at_now() -> None:
    rows = figures([incident(1)], T0 + timedelta(seconds=700))  # on scene, not yet at hospital
    f = rows[0].intervals
    assert f["call_to_dispatch_s"].count == 1 and f["dispatch_to_scene_s"].count == 1
    assert f["scene_to_hospital_s"].count == 0 and f["call_to_close_s"].count == 0
    assert figures([incident(1)], T0 - timedelta(seconds=1)) == []  # not yet called
    with pytest.raises(ValueError, match="timezone-aware"):
        figures([], datetime(2026, 11, 30))


def test_the_shift_follows_the_local_clock_and_a_night_belongs_to_its_start() -> None:
    assert shift_of(T0, "Asia/Jakarta") == "pagi"
    assert shift_of(datetime(2026, 11, 30, 19, 0, tzinfo=UTC), "Asia/Jakarta") == "malam"  # 02:00 WIB
    assert shift_of(datetime(2026, 11, 30, 8, 0, tzinfo=UTC), "Asia/Jakarta") == "siang"  # 15:00 WIB


def test_the_announcement_says_category_place_and_caller_in_indonesian() -> None:
    text = announcement(incident(7))
    assert text == (
        "Insiden 7: henti jantung, prioritas merah (gawat darurat). Lokasi: Jl. Pandanaran 12; "
        "Semarang Selatan, Kota Semarang; koordinat -6.99000, 110.42000. Nomor penelepon 0248000101."
    )
    bare = Incident(
        8,
        None,
        "",
        None,
        None,
        "",
        "",
        "",
        "",
        None,
        "Asia/Jakarta",
        "lainnya",
        "hijau",
        "x\ny",
        "op",
        None,
        T0,
    )
    said = announcement(bare)
    assert "lokasi belum diketahui" in said and "Nomor penelepon tidak diketahui" in said
    assert "\n" not in said


def test_priority_and_area_parsing() -> None:
    assert parse_priority("1") == ("merah", None)
    assert parse_priority("Kuning") == ("kuning", None)
    value, problem = parse_priority("biru")
    assert value is None and problem is not None and "merah, kuning, hijau" in problem
    assert kabupaten_of_area("33.74.08") == "33.74"
    assert kabupaten_of_area("33.74") == "33.74"
    assert kabupaten_of_area("33") is None and kabupaten_of_area("") is None


def test_the_categories_setting_must_be_codes() -> None:
    assert categories_problem(("kecelakaan", "henti_jantung")) is None
    assert categories_problem(()) == "incident_categories is empty"
    problem = categories_problem(("kecelakaan", "Henti Jantung"))
    assert problem is not None and "'Henti Jantung'" in problem
