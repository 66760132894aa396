"""The roster file's own checks: every bad line named, the offset rule, facility shifts, formula cells."""

from datetime import time, timedelta

import pytest

from kernel.dataerrors import DataError
from shifts.roster_csv import StaffRow, parse_roster_csv
from shifts.templates import ShiftTemplate
from tests.shifts.builders import ZONES

KNOWN = {
    "s1": StaffRow("s1", "Sri", "operator", "pkm-a-op1", "pkm-a"),
    "s2": StaffRow("s2", "Andi", "operator", "pkm-mks-op1", "pkm-mks"),
}


def parse(text: str, **options: object):  # type: ignore[no-untyped-def]
    return parse_roster_csv(text, "r.csv", ZONES, KNOWN, **options)  # type: ignore[arg-type]


def errors_of(text: str, **options: object) -> dict[int, str]:
    with pytest.raises(DataError) as err:
        parse(text, **options)
    found: dict[int, str] = {}
    for e in err.value.errors:
        found[e.line] = f"{found.get(e.line, '')} {e}".strip()
    return found


def test_good_roster_with_new_staff_and_explicit_times() -> None:
    text = (
        "facility_code,staff_id,date,shift,start,end,staff_name,role,endpoint,phone\n"
        "pkm-a,s1,2026-11-22,malam,,,,,,\n"
        "pkm-jpr,s3,,,2026-11-23T08:00+09:00,2026-11-23T16:00+09:00,"
        "Yohana,nurse,pkm-jpr-op1,+62 812-3456-7890\n"
    )
    parsed = parse(text)
    night, custom = parsed.assignments
    assert night.shift == "malam" and night.end.isoformat() == "2026-11-23T07:00:00+07:00"
    assert custom.shift == "custom" and custom.timezone == "Asia/Jayapura"
    assert [(s.staff_id, s.phone) for s in parsed.staff] == [("s3", "+6281234567890")]


def test_a_bad_file_names_every_bad_line() -> None:
    text = (
        "facility_code,staff_id,date,shift\n"
        "pkm-a,s1,2026-11-23,pagi\n"  # 2: good
        "pkm-x,s1,2026-11-23,siang\n"  # 3: unknown facility
        "pkm-a,ghost,2026-11-23,siang\n"  # 4: unknown staff
        "pkm-a,s1,2026-02-30,siang\n"  # 5: no such date
        "pkm-a,s1,2026-11-23,sore\n"  # 6: no such shift
        "pkm-a,s1,2026-11-23,pagi\n"  # 7: overlaps line 2
        "pkm-a,s1,2026-11-24,\n"  # 8: no shift
    )
    by_line = errors_of(text)
    assert set(by_line) == {3, 4, 5, 6, 7, 8}
    assert "unknown facility 'pkm-x'" in by_line[3]
    assert "unknown staff 'ghost'" in by_line[4]
    assert "r.csv:5: date:" in by_line[5]
    assert "'sore' is not a shift of pkm-a (pagi, siang, malam)" in by_line[6]
    assert "already on duty" in by_line[7] and "line 2" in by_line[7]
    assert "shift: missing" in by_line[8]


def test_explicit_times_need_real_dates_offsets_and_a_sane_length() -> None:
    text = (
        "facility_code,staff_id,start,end\n"
        "pkm-a,s1,2026-11-23T08:00,2026-11-23T16:00+07:00\n"
        "pkm-a,s1,2026-11-24T08:00+07:00,2026-11-25T08:00+07:00\n"
        "pkm-a,s1,2026-11-26T08:00+07:00,2026-11-26T07:00+07:00\n"
        "pkm-a,s1,2026-02-29T08:00+07:00,2026-02-29T16:00+07:00\n"
    )
    by_line = errors_of(text)
    assert "no UTC offset" in by_line[2]
    assert "longer than the maximum 16:00:00" in by_line[3]
    assert "is not after start" in by_line[4]
    assert "does not exist" in by_line[5]  # 2026 is not a leap year


def test_the_maximum_shift_length_is_a_setting() -> None:
    text = "facility_code,staff_id,start,end\npkm-a,s1,2026-11-24T07:00+07:00,2026-11-25T07:00+07:00\n"
    assert "longer than the maximum" in errors_of(text)[2]
    assert parse(text, max_shift=timedelta(hours=24)).assignments[0].end.day == 25


def test_a_wita_shift_written_with_the_wib_offset_is_refused_with_both_readings() -> None:
    text = (
        "facility_code,staff_id,start,end\n"
        "pkm-mks,s2,2026-11-23T08:00+07:00,2026-11-23T15:00+07:00\n"  # WIB offset on a WITA facility
    )
    message = errors_of(text)[2]
    assert "+07:00 but pkm-mks keeps WITA (+08:00)" in message
    assert "as written it is 09:00 WITA there" in message
    assert "2026-11-23T08:00+08:00" in message


def test_a_wita_shift_in_its_own_offset_or_in_utc_is_the_same_instant() -> None:
    own = parse(
        "facility_code,staff_id,start,end\npkm-mks,s2,2026-11-23T08:00+08:00,2026-11-23T15:00+08:00\n"
    )
    utc = parse("facility_code,staff_id,start,end\npkm-mks,s2,2026-11-23T00:00Z,2026-11-23T07:00Z\n")
    assert own.assignments[0].start == utc.assignments[0].start
    assert own.assignments[0].shift_date == utc.assignments[0].shift_date


def test_a_date_column_must_agree_with_explicit_times() -> None:
    text = (
        "facility_code,staff_id,date,shift,start,end\n"
        "pkm-a,s1,2026-11-24,jaga,2026-11-23T21:00+07:00,2026-11-24T07:00+07:00\n"
    )
    assert "not the local date of start 2026-11-23 21:00 WIB" in errors_of(text)[2]


def test_a_facility_with_its_own_shifts_uses_them() -> None:
    own = {
        "pkm-a": {
            "pagi": ShiftTemplate("pagi", time(8), time(15)),
            "malam": ShiftTemplate("malam", time(21), time(8)),
        }
    }
    parsed = parse("facility_code,staff_id,date,shift\npkm-a,s1,2026-11-23,malam\n", templates=own)
    assert parsed.assignments[0].end.isoformat() == "2026-11-24T08:00:00+07:00"
    assert (
        "not a shift of pkm-a (pagi, malam)"
        in errors_of("facility_code,staff_id,date,shift\npkm-a,s1,2026-11-23,siang\n", templates=own)[2]
    )


def test_header_problems_are_reported_on_line_one() -> None:
    assert "need columns" in errors_of("staff_id,date\n")[1]
    assert "unknown column(s) staf_name" in errors_of("facility_code,staff_id,date,shift,staf_name\n")[1]


def test_new_staff_with_a_hostile_endpoint_or_a_taken_one_is_refused() -> None:
    text = (
        "facility_code,staff_id,date,shift,staff_name,role,endpoint,phone\n"
        "pkm-a,s9,2026-11-23,pagi,X,operator,a&b,\n"
        "pkm-a,s8,2026-11-23,pagi,Y,operator,pkm-a-op1,\n"
        "pkm-a,s7,2026-11-23,pagi,Z,pilot,pkm-a-op7,call me\n"
    )
    by_line = errors_of(text)
    assert "endpoint" in by_line[2]
    assert "'pkm-a-op1' already belongs to 's1'" in by_line[3]
    assert "'pilot' is not one of" in by_line[4] and "'callme' is not a phone number" in by_line[4]


def test_an_exported_formula_guard_is_dropped_on_import() -> None:
    text = (
        "facility_code,staff_id,date,shift,staff_name,role,endpoint\n"
        "pkm-a,s9,2026-11-23,pagi,'=HYPERLINK(x),operator,pkm-a-op9\n"
    )
    assert parse(text).staff[0].name == "=HYPERLINK(x)"
