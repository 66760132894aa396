from routing.plan import CallContext, Location
from routing.router import Router, RoutingPolicy
from tests.unit.builders import FixedRoster, at, duty, puskesmas, toy_region

NIGHT = "2026-11-23T02:00+07:00"


def _router(duties, facilities=None, callers=None):  # type: ignore[no-untyped-def]
    facilities = facilities or [
        puskesmas("near", -7.000, 110.350),
        puskesmas("mid", -7.000, 110.380),
        puskesmas("far", -7.000, 110.450, area="33.74.02"),
    ]
    return Router(toy_region(facilities, callers), FixedRoster(duties), RoutingPolicy("dispatch-desk"))


def _call(caller: str = "", when: str = NIGHT) -> CallContext:
    return CallContext("c1", caller, "119", "emergency", at(when))


def test_nearest_staffed_puskesmas_first_then_next_then_dispatcher() -> None:
    duties = [duty(f, "malam", "2026-11-22") for f in ("near", "mid", "far")]
    plan = _router(duties).decide(_call(), Location(-7.0, 110.340, "manual"))
    assert [t.facility for t in plan.targets] == ["near", "mid", "far", "dispatcher"]
    assert plan.targets[0].dial == "PJSIP/near-op"
    assert plan.targets[-1].dial == "PJSIP/dispatch-desk"
    assert plan.area[0].code == "33.74.01"


def test_nearest_off_shift_is_skipped_with_its_reason() -> None:
    duties = [duty("near", "pagi", "2026-11-23"), duty("mid", "malam", "2026-11-22")]
    plan = _router(duties).decide(_call(), Location(-7.0, 110.340, "manual"))
    assert [t.facility for t in plan.targets] == ["mid", "dispatcher"]
    assert (plan.skipped[0].facility, plan.skipped[0].reason) == ("near", "no one on duty (off shift)")


def test_no_one_on_duty_anywhere_leaves_only_the_dispatcher() -> None:
    plan = _router([]).decide(_call(), Location(-7.0, 110.340, "manual"))
    assert [t.endpoint for t in plan.targets] == ["dispatch-desk"]
    assert "no staffed facility nearby" in plan.notes


def test_unknown_caller_goes_to_the_dispatcher_with_a_note() -> None:
    plan = _router([duty("near", "malam", "2026-11-22")]).decide(_call("081299999999"))
    assert plan.location is None
    assert [t.endpoint for t in plan.targets] == ["dispatch-desk"]
    assert any("no known location" in n for n in plan.notes)


def test_caller_from_the_directory_in_any_number_spelling() -> None:
    router = _router([duty("far", "malam", "2026-11-22")], callers={"0248312345": (-7.0, 110.46)})
    for spelling in ("0248312345", "+62248312345", "62248312345", "024-831 2345"):
        plan = router.decide(_call(spelling))
        assert plan.location is not None and plan.location.source == "directory"
        assert plan.targets[0].facility == "far"
        assert plan.area[0].code == "33.74.02"


def test_service_area_beats_distance() -> None:
    facilities = [
        puskesmas("near", -7.0, 110.35),
        puskesmas("home", -7.0, 110.39, service_area=("33.74.01",)),
    ]
    duties = [duty("near", "malam", "2026-11-22"), duty("home", "malam", "2026-11-22")]
    plan = _router(duties, facilities).decide(_call(), Location(-7.0, 110.34, "manual"))
    assert [t.facility for t in plan.targets][:2] == ["home", "near"]
    assert "serves this area" in plan.targets[0].why


def test_point_at_sea_is_routed_by_distance_and_reported() -> None:
    plan = _router([duty("near", "malam", "2026-11-22")]).decide(_call(), Location(-6.80, 110.35, "manual"))
    assert plan.area == []
    assert plan.targets[0].facility == "near"
    assert any("outside every known area" in n for n in plan.notes)


def test_at_most_max_targets_facilities_before_the_dispatcher() -> None:
    facilities = [puskesmas(f"p{i}", -7.0, 110.31 + i * 0.01) for i in range(6)]
    duties = [duty(f.code, "malam", "2026-11-22") for f in facilities]
    plan = _router(duties, facilities).decide(_call(), Location(-7.0, 110.30, "manual"))
    assert [t.facility for t in plan.targets] == ["p0", "p1", "p2", "dispatcher"]


def test_point_on_a_kecamatan_border_is_placed_and_the_border_noted() -> None:
    plan = _router([duty("near", "malam", "2026-11-22")]).decide(_call(), Location(-7.0, 110.40, "manual"))
    assert plan.area[0].code == "33.74.01"
    assert any("on the border of 33.74.01 and 33.74.02" in n for n in plan.notes)


def test_one_undialable_endpoint_costs_its_facility_not_the_plan() -> None:
    """Before the fix `dial_string` raised for the whole plan, and the call went to the fallback."""
    duties = [
        duty("near", "malam", "2026-11-22", staff="near-op,b(x)"),
        duty("mid", "malam", "2026-11-22"),
        duty("far", "malam", "2026-11-22"),
    ]
    plan = _router(duties).decide(_call(), Location(-7.0, 110.340, "manual"))
    assert [t.facility for t in plan.targets] == ["mid", "far", "dispatcher"]
    assert plan.skipped[0].facility == "near"
    assert "not a dialable endpoint name" in plan.skipped[0].reason
