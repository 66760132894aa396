"""Who is on duty: nights across midnight, the 07:00 handover, three time zones, leave and swaps."""

from datetime import timedelta

from shifts.roster import Leave, Roster, Swap, build_snapshot, handovers, on_duty
from tests.shifts.builders import at, duty, person


def test_a_call_at_two_in_the_morning_goes_to_the_night_shift_that_started_the_evening_before() -> None:
    duties = [
        duty("pkm-a", "siang", "2026-11-22", staff="afternoon"),
        duty("pkm-a", "malam", "2026-11-22", staff="night"),
        duty("pkm-a", "malam", "2026-11-23", staff="next-night"),
        duty("pkm-a", "pagi", "2026-11-23", staff="morning"),
    ]
    found = on_duty(duties, "pkm-a", at("2026-11-23T02:00+07:00"))
    assert [d.staff_id for d in found] == ["night"]
    assert found[0].shift_date.isoformat() == "2026-11-22"  # type: ignore[union-attr]


def test_handover_at_seven_belongs_to_the_morning_shift() -> None:
    duties = [
        duty("pkm-a", "malam", "2026-11-22", staff="night"),
        duty("pkm-a", "pagi", "2026-11-23", staff="day"),
    ]
    assert [d.staff_id for d in on_duty(duties, "pkm-a", at("2026-11-23T07:00+07:00"))] == ["day"]
    assert [d.staff_id for d in on_duty(duties, "pkm-a", at("2026-11-23T06:59:59+07:00"))] == ["night"]


def test_an_overlapping_handover_has_both_people_on_duty_earliest_first() -> None:
    night = duty("pkm-a", "malam", "2026-11-22", staff="night")
    night = type(night)(**{**night.__dict__, "end": night.end + timedelta(minutes=30)})
    duties = [night, duty("pkm-a", "pagi", "2026-11-23", staff="day")]
    assert [d.staff_id for d in on_duty(duties, "pkm-a", at("2026-11-23T07:15+07:00"))] == ["night", "day"]


def test_a_wita_and_a_wit_facility_at_the_same_instant() -> None:
    # 07:30 WIB is 08:30 in Makassar (WITA) and 09:30 in Jayapura (WIT): both are on their morning shift.
    duties = [
        duty("pkm-mks", "malam", "2026-11-22", staff="mks-night"),
        duty("pkm-mks", "pagi", "2026-11-23", staff="mks-day"),
        duty("pkm-jpr", "malam", "2026-11-22", staff="jpr-night"),
        duty("pkm-jpr", "pagi", "2026-11-23", staff="jpr-day"),
    ]
    moment = at("2026-11-23T07:30+07:00")
    assert [d.staff_id for d in on_duty(duties, "pkm-mks", moment)] == ["mks-day"]
    assert [d.staff_id for d in on_duty(duties, "pkm-jpr", moment)] == ["jpr-day"]
    # 06:30 WIB = 07:30 WITA = 08:30 WIT: the WITA and WIT nights ended at 07:00 local already.
    early = at("2026-11-23T05:30+07:00")  # 06:30 WITA, 07:30 WIT
    assert [d.staff_id for d in on_duty(duties, "pkm-mks", early)] == ["mks-night"]
    assert [d.staff_id for d in on_duty(duties, "pkm-jpr", early)] == ["jpr-day"]


def test_the_same_instant_written_in_any_zone_finds_the_same_duty() -> None:
    duties = [duty("pkm-a", "siang", "2026-11-23")]
    for iso in (
        "2026-11-23T15:00+07:00",
        "2026-11-23T16:00+08:00",
        "2026-11-23T17:00+09:00",
        "2026-11-23T08:00Z",
    ):
        assert len(on_duty(duties, "pkm-a", at(iso))) == 1


def test_leave_takes_a_person_off_from_the_moment_it_starts() -> None:
    roster = Roster(
        (duty("pkm-a", "pagi", "2026-11-23", staff="sri"),),
        leaves=(Leave("sri", at("2026-11-23T10:00+07:00"), at("2026-11-24T00:00+07:00"), "sakit"),),
    )
    assert [d.staff_id for d in on_duty(roster, "pkm-a", at("2026-11-23T09:59+07:00"))] == ["sri"]
    assert on_duty(roster, "pkm-a", at("2026-11-23T10:00+07:00")) == []


def test_a_swap_hands_the_shift_to_the_replacement_for_its_window_only() -> None:
    roster = Roster(
        (duty("pkm-a", "malam", "2026-11-23", staff="sri"),),
        swaps=(
            Swap("sri", person("budi", "nurse"), at("2026-11-24T00:00+07:00"), at("2026-11-25T00:00+07:00")),
        ),
    )
    before = on_duty(roster, "pkm-a", at("2026-11-23T23:00+07:00"))
    after = on_duty(roster, "pkm-a", at("2026-11-24T02:00+07:00"))
    assert [(d.staff_id, d.role) for d in before] == [("sri", "operator")]
    assert [(d.staff_id, d.role, d.covering_for, d.endpoint) for d in after] == [
        ("budi", "nurse", "sri", "budi")
    ]


def test_a_replacement_on_leave_leaves_the_shift_empty() -> None:
    roster = Roster(
        (duty("pkm-a", "pagi", "2026-11-23", staff="sri"),),
        leaves=(Leave("budi", at("2026-11-23T00:00+07:00"), at("2026-11-24T00:00+07:00")),),
        swaps=(Swap("sri", person("budi"), at("2026-11-23T00:00+07:00"), at("2026-11-24T00:00+07:00")),),
    )
    assert on_duty(roster, "pkm-a", at("2026-11-23T09:00+07:00")) == []


def test_snapshot_expires_at_the_next_shift_boundary() -> None:
    duties = [duty("pkm-a", "pagi", "2026-11-23"), duty("pkm-b", "siang", "2026-11-23")]
    snap = build_snapshot(duties, at("2026-11-23T09:00+07:00"), at("2026-11-24T09:00+07:00"))
    assert [d.facility_code for d in snap.staff_at("pkm-a")] == ["pkm-a"]
    assert snap.staff_at("pkm-b") == ()
    assert snap.valid_until == at("2026-11-23T14:00+07:00")
    assert not snap.is_valid(at("2026-11-23T14:00+07:00"))


def test_snapshot_of_a_roster_also_expires_where_a_leave_cuts_a_shift() -> None:
    roster = Roster(
        (duty("pkm-a", "pagi", "2026-11-23", staff="sri"),),
        leaves=(Leave("sri", at("2026-11-23T11:00+07:00"), at("2026-11-23T12:00+07:00")),),
    )
    snap = build_snapshot(roster, at("2026-11-23T09:00+07:00"), at("2026-11-24T09:00+07:00"))
    assert snap.valid_until == at("2026-11-23T11:00+07:00")


def test_snapshot_answers_every_facility_as_the_pure_query_does() -> None:
    duties = [
        duty(f"pkm-{n}", shift, day, staff=f"p{n}-{shift}-{day}")
        for n in range(30)
        for day in ("2026-11-22", "2026-11-23")
        for shift in ("pagi", "siang", "malam")
        if (n + len(shift)) % 4
    ]
    for iso in ("2026-11-23T02:00+07:00", "2026-11-23T07:00+07:00", "2026-11-23T20:59+07:00"):
        moment = at(iso)
        snap = build_snapshot(duties, moment, moment + timedelta(days=1))
        for n in range(30):
            assert list(snap.staff_at(f"pkm-{n}")) == on_duty(duties, f"pkm-{n}", moment), (n, iso)


def test_handovers_name_who_goes_off_and_who_comes_on() -> None:
    duties = [
        duty("pkm-a", "malam", "2026-11-22", staff="night"),
        duty("pkm-a", "pagi", "2026-11-23", staff="day"),
        duty("pkm-b", "malam", "2026-11-22", staff="lonely"),
    ]
    boundary = at("2026-11-23T07:00+07:00")
    before = build_snapshot(duties, boundary - timedelta(microseconds=1), boundary)
    after = build_snapshot(duties, boundary, boundary + timedelta(hours=1))
    changes = {h.facility_code: h for h in handovers(before, after)}
    assert [d.staff_id for d in changes["pkm-a"].off] == ["night"]
    assert [d.staff_id for d in changes["pkm-a"].on] == ["day"]
    assert not changes["pkm-a"].left_empty
    assert changes["pkm-b"].left_empty
