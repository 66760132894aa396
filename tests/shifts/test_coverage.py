"""Coverage gaps: the roles a facility's services need, kecamatan-wide gaps, handovers that are not gaps."""

from dataclasses import dataclass
from datetime import timedelta

from kernel.catalogue import SERVICES
from shifts.coverage import coverage_gaps, merge, uncovered
from shifts.roster import Roster, Swap
from tests.shifts.builders import FACILITIES, at, duty, person


@dataclass(frozen=True)
class LocalService:
    name: str
    facility_kinds: tuple[str, ...]
    roles: tuple[str, ...]


EMERGENCY = {"emergency": LocalService("emergency", ("puskesmas",), ("operator", "nurse", "doctor"))}


def full_day(facility: str, day: str, role: str = "operator") -> list:  # type: ignore[type-arg]
    return [duty(facility, s, day, staff=f"{facility}-{s}", role=role) for s in ("pagi", "siang", "malam")]


def test_touching_shifts_merge_so_a_handover_is_not_a_gap() -> None:
    a, b, c = at("2026-11-23T07:00+07:00"), at("2026-11-23T14:00+07:00"), at("2026-11-23T21:00+07:00")
    assert merge([(b, c), (a, b)]) == [(a, c)]
    assert uncovered([(a, b)], a, c) == [(b, c)]


def test_a_fully_staffed_day_has_no_gaps() -> None:
    duties = [d for f in ("pkm-a", "pkm-b", "pkm-mks", "pkm-jpr") for d in full_day(f, "2026-11-23")]
    # From the last 07:00 to start (WIB) to the first 07:00 to end (WIT) the next morning.
    start, end = at("2026-11-23T07:00+07:00"), at("2026-11-24T07:00+09:00")
    assert coverage_gaps(duties, FACILITIES, EMERGENCY, start, end) == []


def test_a_midwife_alone_does_not_cover_an_emergency_line() -> None:
    duties = [
        *full_day("pkm-a", "2026-11-23"),
        duty("pkm-b", "pagi", "2026-11-23", staff="wati", role="midwife"),
    ]
    duties += [*full_day("pkm-b", "2026-11-23")[1:]]
    start, end = at("2026-11-23T07:00+07:00"), at("2026-11-23T21:00+07:00")
    gaps = coverage_gaps(duties, FACILITIES[:2], EMERGENCY, start, end)
    assert [(g.scope, g.code, g.start, g.end) for g in gaps] == [
        ("facility", "pkm-b", at("2026-11-23T07:00+07:00"), at("2026-11-23T14:00+07:00"))
    ]


def test_a_kecamatan_gap_needs_every_facility_in_it_empty() -> None:
    # pkm-a has no night shift; pkm-b (same kecamatan) has none from 02:00: the kecamatan is empty 02–07.
    b_night = duty("pkm-b", "malam", "2026-11-23", staff="ani")
    duties = [
        *full_day("pkm-a", "2026-11-23")[:2],
        type(b_night)(**{**b_night.__dict__, "end": at("2026-11-24T02:00+07:00")}),
    ]
    start, end = at("2026-11-23T21:00+07:00"), at("2026-11-24T07:00+07:00")
    gaps = coverage_gaps(duties, FACILITIES[:2], EMERGENCY, start, end)
    found = {(g.scope, g.code): (g.start, g.end) for g in gaps}
    assert found == {
        ("facility", "pkm-a"): (start, end),
        ("facility", "pkm-b"): (at("2026-11-24T02:00+07:00"), end),
        ("kecamatan", "33.74.01"): (at("2026-11-24T02:00+07:00"), end),
    }
    kecamatan = next(g for g in gaps if g.scope == "kecamatan")
    assert kecamatan.facilities == ("pkm-a", "pkm-b") and kecamatan.length == timedelta(hours=5)


def test_a_swap_to_someone_without_the_role_opens_a_gap() -> None:
    roster = Roster(
        tuple(full_day("pkm-a", "2026-11-23")),
        swaps=(
            Swap(
                "pkm-a-siang",
                person("wati", "midwife"),
                at("2026-11-23T14:00+07:00"),
                at("2026-11-23T16:00+07:00"),
            ),
        ),
    )
    gaps = coverage_gaps(
        roster.resolved(),
        FACILITIES[:1],
        EMERGENCY,
        at("2026-11-23T07:00+07:00"),
        at("2026-11-23T21:00+07:00"),
    )
    assert [(g.code, g.start, g.end) for g in gaps if g.scope == "facility"] == [
        ("pkm-a", at("2026-11-23T14:00+07:00"), at("2026-11-23T16:00+07:00"))
    ]


def test_the_real_services_check_consultation_desks_per_facility_only() -> None:
    desk = type(FACILITIES[0])("desk", "consultation", "33.74.07", "Asia/Jakarta")
    start, end = at("2026-11-23T07:00+07:00"), at("2026-11-23T14:00+07:00")
    gaps = coverage_gaps([], [desk], SERVICES, start, end)
    assert [(g.scope, g.code, g.service) for g in gaps] == [("facility", "desk", "consultation")]
