"""The plan: reachable operators only, ring times within the budget, coarse locations to the district desk,
the consultation line to its pool of doctors."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta

from geo.facilities import Facility
from kernel.catalogue import SERVICES
from routing.plan import CallContext, Location, LocationFacts
from routing.router import Router, RoutingPolicy
from tests.routing.builders import FACILITIES, toy_tables
from tests.unit.builders import FixedRoster, at, duty, toy_region

NIGHT = "2026-11-23T02:00+07:00"
HERE = Location(-7.0, 110.34, "manual")


def router(duties, facilities=None, **policy) -> Router:  # type: ignore[no-untyped-def]
    region = toy_region(facilities or FACILITIES)
    return Router(region, FixedRoster(duties), RoutingPolicy("dispatch-desk", **policy), toy_tables())


def call(service: str = "emergency", caller: str = "", started_s_ago: int | None = None) -> CallContext:
    now = at(NIGHT)
    started = now - timedelta(seconds=started_s_ago) if started_s_ago is not None else None
    return CallContext("c1", caller, "119", service, now, LocationFacts(), started)


def states(table: Mapping[str, str]):  # type: ignore[no-untyped-def]
    asked: list[list[str]] = []

    def presence(endpoints: Sequence[str]) -> Mapping[str, str]:
        asked.append(list(endpoints))
        return {e: table[e] for e in endpoints if e in table}

    return presence, asked


def test_unregistered_operator_is_skipped_with_the_reason_and_asked_once() -> None:
    duties = [duty(f, "malam", "2026-11-22") for f in ("near", "mid", "far")]
    presence, asked = states({"near-op": "UNAVAILABLE", "mid-op": "NOT_INUSE", "far-op": "INUSE"})
    plan = router(duties).decide(call(), HERE, presence)
    assert [t.facility for t in plan.targets] == ["mid", "dispatcher"]
    reasons = {s.facility: s.reason for s in plan.skipped}
    assert reasons == {"near": "near-op: softphone not registered", "far": "far-op: on another call"}
    assert len(asked) == 1 and set(asked[0]) == {"near-op", "mid-op", "far-op"}


def test_a_colleague_on_duty_rings_when_the_first_is_unreachable() -> None:
    duties = [
        duty("near", "malam", "2026-11-22", staff="near-a"),
        duty("near", "malam", "2026-11-22", staff="near-b"),
    ]
    presence, _ = states({"near-a": "UNAVAILABLE", "near-b": "NOT_INUSE"})
    plan = router(duties).decide(call(), HERE, presence)
    assert plan.targets[0].endpoint == "near-b"
    assert "near-a: softphone not registered" in plan.targets[0].why


def test_unknown_device_state_never_costs_a_target() -> None:
    presence, _ = states({"near-op": "UNKNOWN"})
    plan = router([duty("near", "malam", "2026-11-22")]).decide(call(), HERE, presence)
    assert plan.targets[0].facility == "near"


def test_ring_times_share_the_budget() -> None:
    duties = [duty(f, "malam", "2026-11-22") for f in ("near", "mid", "far")]
    plan = router(duties, ring_budget_s=45).decide(call(), HERE)
    assert [t.timeout_s for t in plan.targets] == [15, 15, 15, 60]
    assert plan.budget_s == 45


def test_time_already_spent_drops_the_farthest_targets_with_a_reason() -> None:
    duties = [duty(f, "malam", "2026-11-22") for f in ("near", "mid", "far")]
    plan = router(duties, ring_budget_s=45, min_ring_s=8).decide(call(started_s_ago=25), HERE)
    assert [(t.facility, t.timeout_s) for t in plan.targets] == [
        ("near", 10),
        ("mid", 10),
        ("dispatcher", 60),
    ]
    assert "ring budget" in {s.facility: s.reason for s in plan.skipped}["far"]
    late = router(duties, ring_budget_s=45).decide(call(started_s_ago=44), HERE)
    assert [t.facility for t in late.targets] == ["dispatcher"]


def test_a_city_wide_location_goes_to_its_dispatch_desk() -> None:
    desk = Facility("kota-desk", "PSC 119 Kota", "dispatch", -7.0, 110.41, "33.74.02", "Asia/Jakarta")
    facilities = [*FACILITIES, desk]
    duties = [
        duty("near", "malam", "2026-11-22"),
        duty("kota-desk", "malam", "2026-11-22", staff="kota-desk-op"),
    ]
    coarse = Location(-7.0, 110.4, "area-code", 9000, "landline area code 024", "33.74")
    plan = router(duties, facilities).decide(call(), coarse)
    # No facility phone rings first: the desk's queue (its on-duty staff) takes the call.
    assert plan.targets == []
    assert [(d.desk, d.max_wait_s) for d in plan.desks] == [("kota-desk", 0)]
    assert plan.area[0].code == "33.74"
    assert any("known only to Kota Semarang" in n for n in plan.notes)


def test_consultation_waits_in_the_desk_queue_of_the_on_duty_doctors_without_a_location() -> None:
    desk = Facility("konter", "Konter", "consultation", -7.0, 110.41, "33.74.02", "Asia/Jakarta")
    duties = [
        duty("konter", "malam", "2026-11-22", staff="konter-dr1", role="doctor"),
        duty("konter", "malam", "2026-11-22", staff="konter-dr2", role="doctor"),
        duty("near", "malam", "2026-11-22"),
    ]
    plan = router(duties, [*FACILITIES, desk]).decide(call("consultation", "081299999999"))
    assert plan.targets == [] and [d.desk for d in plan.desks] == ["konter"]
    assert not plan.ask_digits, "the consultation line never asks where the caller is"
    assert SERVICES["consultation"].pool


def test_unknown_mobile_asks_for_digits_and_still_has_a_plan() -> None:
    plan = router([duty("near", "malam", "2026-11-22")]).decide(call(caller="081299999999"))
    assert plan.ask_digits
    assert [t.endpoint for t in plan.targets] == ["dispatch-desk"]


def test_plan_json_is_the_dataclass_content() -> None:
    """to_json is written out by hand for speed; it must say exactly what the dataclasses hold."""
    from dataclasses import asdict

    duties = [duty("mid", "malam", "2026-11-22")]
    plan = router(duties).decide(call(), HERE)
    assert plan.skipped and plan.area and plan.location
    expected = asdict(plan)
    expected["at"] = plan.at.isoformat()
    expected["area"] = expected["areas"] = [asdict(a) for a in plan.area]
    expected["area"] = expected["areas"][0]
    expected["location"]["point"] = {"lat": plan.location.lat, "lon": plan.location.lon}
    assert plan.to_json() == expected
