"""Issue 17: a roster or staff file with a UTF-8 byte order mark in front reads like one without."""

from __future__ import annotations

import shutil
from pathlib import Path

from kernel.settings import SAMPLE_REGION
from lab.sample import sample_staff
from shifts.roster_csv import parse_roster_csv
from tests.shifts.builders import ZONES


def test_a_roster_text_starting_with_a_bom() -> None:
    """`roster import` decodes with utf-8-sig, but text can reach the parser from elsewhere (an API
    client that decoded it, a benchmark): the parser itself drops the mark."""
    text = (
        "\ufefffacility_code,staff_id,date,shift,staff_name,role,endpoint\n"
        "pkm-a,new,2026-11-23,pagi,Baru,operator,pkm-a-op9\n"
    )
    parsed = parse_roster_csv(text, "r.csv", ZONES, {})
    assert [(a.facility_code, a.staff_id) for a in parsed.assignments] == [("pkm-a", "new")]


def test_the_sample_staff_file_with_a_bom(tmp_path: Path) -> None:
    region = tmp_path / "region"
    shutil.copytree(SAMPLE_REGION, region)
    staff = region / "staff.csv"
    staff.write_bytes(b"\xef\xbb\xbf" + staff.read_bytes())
    assert len(sample_staff(region)) == len(sample_staff(SAMPLE_REGION)) > 0
