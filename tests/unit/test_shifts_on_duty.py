from shifts.roster import build_snapshot, on_duty
from tests.unit.builders import at, duty


def test_night_shift_that_started_yesterday_covers_two_in_the_morning() -> None:
    duties = [duty("pkm-a", "malam", "2026-11-22"), duty("pkm-a", "pagi", "2026-11-23", staff="morning")]
    found = on_duty(duties, "pkm-a", at("2026-11-23T02:00+07:00"))
    assert [d.shift for d in found] == ["malam"]
    assert found[0].start.date().isoformat() == "2026-11-22"


def test_handover_at_seven_belongs_to_the_morning_shift() -> None:
    duties = [
        duty("pkm-a", "malam", "2026-11-22", staff="night"),
        duty("pkm-a", "pagi", "2026-11-23", staff="day"),
    ]
    assert [d.staff_id for d in on_duty(duties, "pkm-a", at("2026-11-23T07:00+07:00"))] == ["day"]
    assert [d.staff_id for d in on_duty(duties, "pkm-a", at("2026-11-23T06:59:59+07:00"))] == ["night"]


def test_same_instant_in_another_time_zone_is_the_same_duty() -> None:
    duties = [duty("pkm-a", "siang", "2026-11-23")]
    # 15:00 WIB is 16:00 WITA and 17:00 WIT.
    for iso in ("2026-11-23T15:00+07:00", "2026-11-23T16:00+08:00", "2026-11-23T17:00+09:00"):
        assert len(on_duty(duties, "pkm-a", at(iso))) == 1


def test_snapshot_expires_at_the_next_shift_boundary() -> None:
    duties = [duty("pkm-a", "pagi", "2026-11-23"), duty("pkm-b", "siang", "2026-11-23")]
    snap = build_snapshot(duties, at("2026-11-23T09:00+07:00"), at("2026-11-24T09:00+07:00"))
    assert [d.facility_code for d in snap.staff_at("pkm-a")] == ["pkm-a"]
    assert snap.staff_at("pkm-b") == ()
    assert snap.valid_until == at("2026-11-23T14:00+07:00")
    assert not snap.is_valid(at("2026-11-23T14:00+07:00"))
