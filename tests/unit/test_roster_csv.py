import pytest

from shifts.roster_csv import StaffRow, parse_roster_csv
from siaga.dataerrors import DataError

ZONES = {"pkm-a": "Asia/Jakarta", "pkm-timur": "Asia/Jayapura"}
KNOWN = {"s1": StaffRow("s1", "Sri", "operator", "pkm-a-op1", "pkm-a")}


def test_good_roster_with_new_staff_and_explicit_times() -> None:
    text = (
        "facility_code,staff_id,date,shift,start,end,staff_name,role,endpoint\n"
        "pkm-a,s1,2026-11-22,malam,,,,,\n"
        "pkm-timur,s2,,,2026-11-23T08:00+09:00,2026-11-23T16:00+09:00,Yohana,nurse,pkm-timur-op1\n"
    )
    parsed = parse_roster_csv(text, "r.csv", ZONES, KNOWN)
    night, custom = parsed.assignments
    assert night.shift == "malam" and night.end.isoformat() == "2026-11-23T07:00:00+07:00"
    assert custom.shift == "custom" and custom.timezone == "Asia/Jayapura"
    assert [s.staff_id for s in parsed.staff] == ["s2"]


def test_bad_roster_names_every_bad_line_and_imports_nothing() -> None:
    text = (
        "facility_code,staff_id,date,shift\n"
        "pkm-a,s1,2026-11-23,pagi\n"  # 2: good
        "pkm-x,s1,2026-11-23,siang\n"  # 3: unknown facility
        "pkm-a,ghost,2026-11-23,siang\n"  # 4: unknown staff
        "pkm-a,s1,2026-02-30,siang\n"  # 5: no such date
        "pkm-a,s1,2026-11-23,sore\n"  # 6: no such shift
        "pkm-a,s1,2026-11-23,pagi\n"
    )  # 7: overlaps line 2
    with pytest.raises(DataError) as err:
        parse_roster_csv(text, "r.csv", ZONES, KNOWN)
    by_line = {e.line: e for e in err.value.errors}
    assert set(by_line) == {3, 4, 5, 6, 7}
    assert "unknown facility 'pkm-x'" in str(by_line[3])
    assert "unknown staff 'ghost'" in str(by_line[4])
    assert by_line[5].field == "date"
    assert by_line[6].field == "shift"
    assert "already on duty" in str(by_line[7]) and "line 2" in str(by_line[7])


def test_explicit_times_need_offsets_and_a_sane_length() -> None:
    text = (
        "facility_code,staff_id,start,end\n"
        "pkm-a,s1,2026-11-23T08:00,2026-11-23T16:00\n"
        "pkm-a,s1,2026-11-24T08:00+07:00,2026-11-25T08:00+07:00\n"
        "pkm-a,s1,2026-11-26T08:00+07:00,2026-11-26T07:00+07:00\n"
    )
    with pytest.raises(DataError) as err:
        parse_roster_csv(text, "r.csv", ZONES, KNOWN)
    messages = [str(e) for e in err.value.errors]
    assert "no UTC offset" in messages[0]
    assert "longer than the maximum" in messages[1]
    assert "is not after start" in messages[2]


def test_missing_columns() -> None:
    with pytest.raises(DataError, match="need columns"):
        parse_roster_csv("staff_id,date\n", "r.csv", ZONES, KNOWN)


def test_new_staff_with_a_hostile_endpoint_is_refused() -> None:
    text = (
        "facility_code,staff_id,date,shift,staff_name,role,endpoint\n"
        "pkm-a,s9,2026-11-23,pagi,X,operator,a&b\n"
    )
    with pytest.raises(DataError, match="endpoint"):
        parse_roster_csv(text, "r.csv", ZONES, KNOWN)
