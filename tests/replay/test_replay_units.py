"""`siaga replay`'s pure parts: the call list is checked row by row, calls are matched to their records,
and the summary line is exactly what the issue names."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from kernel.settings import SAMPLE_REGION
from lab.replay import ReplayCall, Row, judge, read_calls, summary, table
from routing.records.model import CallRecord


def test_the_shipped_lists_parse() -> None:
    sample = read_calls((SAMPLE_REGION / "replay_calls.csv").read_text(encoding="utf-8"))
    tests = read_calls(Path(__file__).with_name("calls.csv").read_text(encoding="utf-8"))
    assert len(sample) == 15 and len(tests) == 32
    assert {c.scenario for c in tests} == {
        "uac_pidf_point.xml",
        "uac_carrier_header.xml",
        "uac_dtmf_info.xml",
        "uac_caller.xml",
    }


def test_scenario_fields_follow_the_row() -> None:
    carrier = ReplayCall(2, "0812", "119", carrier_location="-6.99,110.44;35")
    assert carrier.fields("X-Loc") == ("0812", "119", "X-Loc", "-6.99", "110.44", "35")
    assert ReplayCall(2, "0812", "119", "-6.9", "110.4").fields() == ("0812", "119", "-6.9", "110.4")
    keys = ("5", "0", "1", "6", "1", "#")
    assert ReplayCall(2, "0812", "119", dtmf="50161").fields() == ("0812", "119", *keys)
    assert ReplayCall(2, "0812", "112", dtmf="9").fields()[2:] == ("9", "#", "#", "#", "#", "#")
    assert ReplayCall(2, "0812", "119").scenario == "uac_caller.xml"


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ('"0812\r\nX-Evil: 1",119', "caller"),
        ("0812,119;x", "dialled"),
        ("0812,119,-6.9,", "lat and lon"),
        ("0812,119,,,,12a", "dtmf"),
        ("0812,119,-6.9,110.4,,5", "give one of"),
    ],
)
def test_bad_rows_are_refused_with_their_line(row: str, problem: str) -> None:
    with pytest.raises(ValueError, match=f"line 2: .*{problem}"):
        read_calls(f"caller,dialled,lat,lon,expected_facility,dtmf\n{row}\n")


def test_calls_run_in_offset_order() -> None:
    calls = read_calls("caller,dialled,at_offset_s\n01,119,5\n02,119,0\n03,119\n")
    assert [c.caller for c in calls] == ["02", "03", "01"]


def _record(n: int, caller: str, facility: str | None) -> CallRecord:
    return CallRecord(
        id=n,
        call_id=f"17000.{n}",
        caller=caller,
        dialled="119",
        started_at=datetime(2026, 1, 1, 0, 0, n),
        ended_at=datetime(2026, 1, 1, 0, 1, n),
        answered_by=f"{facility}-op1" if facility else None,
        answered_facility=facility,
        time_to_answer_s=1.0 if facility else None,
        attempts=[],
    )


def test_judge_matches_records_in_order_and_counts() -> None:
    calls = read_calls(
        "caller,dialled,expected_facility\n01,119,pkm-a\n01,119,pkm-a\n02,119,pkm-b\n03,119,pkm-c\n"
    )
    rows = judge(calls, [_record(2, "01", "pkm-x"), _record(1, "01", "pkm-a"), _record(3, "02", None)])
    assert [r.outcome.facility if r.outcome else None for r in rows] == ["pkm-a", "pkm-x", "", None]
    assert summary(rows) == "replay calls=4 as_expected=1 answered=2 failed=2"
    verdicts = [line.split()[-1] for line in table(rows).splitlines()[1:]]
    assert verdicts == ["ok", "MISMATCH", "UNANSWERED", "RECORD"]


def test_no_expectation_only_needs_an_answer() -> None:
    call = read_calls("caller,dialled\n01,119\n")[0]
    assert Row(call, judge([call], [_record(1, "01", "pkm-a")])[0].outcome).as_expected
