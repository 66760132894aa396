"""The recommendation as a pure function: nearest available in-service unit first, every unit passed over
listed with its reason, hospitals nearest first with a fresh free bed of the class asked."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from dispatch.beds import BedReport
from dispatch.recommend import DispatchSettings, recommend
from dispatch.travel import GeodesicTravel, Point
from dispatch.units import CrewDuty, Unit
from geo.distance import ellipsoid_m
from geo.facilities import Facility

NOW = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
CALLER = (-7.00, 110.40)


def _place(code: str, kind: str, lat: float) -> Facility:
    return Facility(code, code, kind, lat, 110.40, "33.74.01", "Asia/Jakarta")


# Bases and hospitals due south of the caller, 1.1 km apart in latitude steps of 0.01°.
FACILITIES = {
    f.code: f
    for f in (
        _place("post-1", "ambulance", -7.01),
        _place("post-2", "ambulance", -7.02),
        _place("post-3", "ambulance", -7.03),
        _place("post-4", "ambulance", -7.04),
        _place("post-5", "ambulance", -7.05),
        _place("post-6", "ambulance", -7.06),
        _place("post-7", "ambulance", -7.07),
        _place("rs-near", "hospital", -7.005),
        _place("rs-mid", "hospital", -7.015),
        _place("rs-far", "hospital", -7.025),
        _place("rs-farthest", "hospital", -7.035),
    )
}


def _unit(code: str, base: str, kind: str = "emergency") -> Unit:
    return Unit(code, code, base, kind, f"ep-{code}")


def _crew(unit: str, *roles: str) -> list[CrewDuty]:
    return [
        CrewDuty(unit, f"{unit}-{i}", role, NOW - timedelta(hours=1), NOW + timedelta(hours=6))
        for i, role in enumerate(roles)
    ]


UNITS = [
    _unit("transport-1", "post-1", "transport"),
    _unit("offline-2", "post-2"),
    _unit("nodriver-3", "post-3"),
    _unit("busy-4", "post-4"),
    _unit("good-5", "post-5"),
    _unit("empty-6", "post-6"),
    _unit("good-7", "post-7"),
]
DUTIES = (
    _crew("transport-1", "driver", "nurse")
    + _crew("offline-2", "driver", "nurse")
    + _crew("nodriver-3", "paramedic", "nurse")
    + _crew("busy-4", "driver", "doctor")
    + _crew("good-5", "driver", "midwife")
    + _crew("good-7", "driver", "paramedic")
)
STATUSES = {"offline-2": "out_of_service", "busy-4": "en_route", "good-7": "available"}


def _beds() -> list[BedReport]:
    fresh = NOW - timedelta(minutes=10)
    beds = [
        BedReport("rs-near", "igd", 10, 10, 3, fresh),  # full
        BedReport("rs-near", "icu", 5, 1, 0, fresh),
        BedReport("rs-mid", "igd", 10, 4, 0, NOW - timedelta(hours=7)),  # stale
        BedReport("rs-far", "igd", 12, 9, 0, fresh),
        BedReport("rs-farthest", "icu", 6, 2, 0, fresh),  # no igd
    ]
    return beds


def _recommend(**kwargs: object):  # type: ignore[no-untyped-def]
    options: dict[str, object] = {
        "need": "emergency",
        "bed_class": "igd",
        "units": UNITS,
        "facilities": FACILITIES,
        "duties": DUTIES,
        "statuses": STATUSES,
        "beds": _beds(),
        "settings": DispatchSettings(timedelta(hours=6), 5),
        "travel": GeodesicTravel(1.4, 40.0),
    }
    options.update(kwargs)
    return recommend(NOW, *CALLER, **options)  # type: ignore[arg-type]


def test_the_nearest_available_in_service_unit_comes_first_and_every_unit_passed_over_says_why() -> None:
    result = _recommend()
    assert [u.unit for u in result.units] == ["good-5", "good-7"]
    assert [(s.unit, s.reason) for s in result.skipped] == [
        ("transport-1", "transport unit, not emergency"),
        ("offline-2", "out of service"),
        ("nodriver-3", "no driver"),
        ("busy-4", "busy (en_route)"),
        ("empty-6", "not in service"),
    ]
    first = result.units[0]
    expected = ellipsoid_m(-7.05, 110.40, *CALLER)
    assert first.base_facility == "post-5" and first.status == "available"
    assert first.distance_m == round(expected)
    assert first.eta_s == round(expected * 1.4 / (40 / 3.6))


def test_a_transport_need_takes_transport_units_only() -> None:
    result = _recommend(need="transport")
    assert [u.unit for u in result.units] == ["transport-1"]
    assert ("good-5", "emergency unit, not transport") in [(s.unit, s.reason) for s in result.skipped]


def test_at_most_the_setting_s_number_of_units_and_only_those_passed_over_are_skipped() -> None:
    result = _recommend(settings=DispatchSettings(timedelta(hours=6), 1))
    assert [u.unit for u in result.units] == ["good-5"]
    assert "empty-6" not in [s.unit for s in result.skipped], "beyond the one chosen: not walked"


def test_hospitals_nearest_first_skipping_full_stale_and_no_such_bed_class() -> None:
    result = _recommend()
    assert [(h.facility, h.bed_class, h.free) for h in result.hospitals] == [("rs-far", "igd", 3)]
    assert result.hospitals[0].updated_at == "2026-11-30T09:50:00+07:00"
    assert result.hospitals[0].distance_m == round(ellipsoid_m(-7.025, 110.40, *CALLER))
    assert [(s.facility, s.reason) for s in result.hospitals_skipped] == [
        ("rs-near", "full"),
        ("rs-mid", "stale"),
        ("rs-farthest", "no such bed class"),
    ]


def test_stale_follows_the_setting() -> None:
    result = _recommend(settings=DispatchSettings(timedelta(hours=8), 5))
    assert [h.facility for h in result.hospitals] == ["rs-mid", "rs-far"]


def test_another_bed_class_changes_the_hospitals() -> None:
    result = _recommend(bed_class="icu")
    assert [h.facility for h in result.hospitals] == ["rs-near", "rs-farthest"]
    assert [(s.facility, s.reason) for s in result.hospitals_skipped] == [
        ("rs-mid", "no such bed class"),
        ("rs-far", "no such bed class"),
    ]


class RoadRouter:
    """A stand-in for a road router: the farther base has the faster road."""

    def __init__(self, seconds: dict[Point, float | None]) -> None:
        self.by_origin = seconds
        self.asked: list[Sequence[Point]] = []

    def seconds(self, origins: Sequence[Point], destination: Point) -> list[float | None]:
        self.asked.append(origins)
        return [self.by_origin[o] for o in origins]


def test_travel_times_come_from_the_interface_and_order_the_units() -> None:
    router = RoadRouter({(-7.05, 110.40): 900.0, (-7.07, 110.40): 300.0})
    result = _recommend(travel=router)
    assert [(u.unit, u.eta_s) for u in result.units] == [("good-7", 300), ("good-5", 900)]
    assert router.asked == [[(-7.05, 110.40), (-7.07, 110.40)]], "one batch, like OSRM's table service"


def test_a_unit_without_a_route_goes_last_with_no_eta() -> None:
    router = RoadRouter({(-7.05, 110.40): None, (-7.07, 110.40): 600.0})
    result = _recommend(travel=router)
    assert [(u.unit, u.eta_s) for u in result.units] == [("good-7", 600), ("good-5", None)]


def test_the_json_has_exactly_the_issue_s_fields_in_its_order() -> None:
    data = _recommend().to_json()
    assert list(data) == ["units", "skipped", "hospitals", "hospitals_skipped"]
    assert list(data["units"][0]) == ["unit", "base_facility", "distance_m", "eta_s", "status"]
    assert list(data["skipped"][0]) == ["unit", "reason"]
    assert list(data["hospitals"][0]) == ["facility", "bed_class", "free", "updated_at", "distance_m"]
    assert list(data["hospitals_skipped"][0]) == ["facility", "reason"]


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="need 'helicopter'"):
        _recommend(need="helicopter")
    with pytest.raises(ValueError, match=r"dispatch_road_factor 0\.5 is below 1"):
        GeodesicTravel(0.5, 40.0)
