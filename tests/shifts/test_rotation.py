"""Filling a month: everyone rested, shifts shared fairly, nights going round, shortfalls reported."""

from collections import Counter
from datetime import timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from shifts.rotation import month_slots, rotate_month
from shifts.templates import DEFAULT_SHIFTS

WITA = ZoneInfo("Asia/Makassar")


def test_a_month_of_ten_people_fills_every_shift_fairly_and_rested() -> None:
    slots = month_slots(2026, 12, DEFAULT_SHIFTS, WITA)
    people = [f"p{n:02d}" for n in range(10)]
    rotation = rotate_month(people, slots, per_shift=1)
    assert len(slots) == 31 * 3 and rotation.unfilled == []
    assert len(rotation.rows) == 93
    per_person = Counter(staff for staff, _, _ in rotation.rows)
    assert max(per_person.values()) - min(per_person.values()) <= 1
    nights = Counter(staff for staff, _, shift in rotation.rows if shift == "malam")
    assert len(nights) == 10 and max(nights.values()) - min(nights.values()) <= 1
    windows = {(s.day, s.shift): (s.start, s.end) for s in slots}
    for staff in people:
        worked = sorted(windows[(day, shift)] for who, day, shift in rotation.rows if who == staff)
        for (_, end), (start, _) in pairwise(worked):
            assert start - end >= timedelta(hours=11), staff


def test_too_few_people_leave_shifts_unfilled_and_say_so() -> None:
    slots = month_slots(2026, 2, DEFAULT_SHIFTS, WITA)
    rotation = rotate_month(["a", "b"], slots, per_shift=1, min_rest=timedelta(hours=11))
    assert rotation.unfilled
    filled = Counter((day, shift) for _, day, shift in rotation.rows)
    assert all(filled[(day, shift)] == 0 for day, shift, _ in rotation.unfilled)
    assert len(rotation.rows) + sum(missing for _, _, missing in rotation.unfilled) == len(slots)


def test_the_night_shift_of_the_last_day_ends_in_the_next_month() -> None:
    slots = month_slots(2026, 11, DEFAULT_SHIFTS, WITA)
    last = max(slots, key=lambda s: s.start)
    assert (last.day.isoformat(), last.shift) == ("2026-11-30", "malam")
    assert last.end.isoformat() == "2026-12-01T07:00:00+08:00"
