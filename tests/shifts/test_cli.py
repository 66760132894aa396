"""`siaga roster …` on the sample region, in a temporary data dir, through `siaga.cli.main`."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kernel.db import make_engine
from shifts.model import Assignment, Staff
from siaga.cli import main


class Siaga:
    def __init__(self, data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.data_dir = data_dir
        self.capsys = capsys

    def __call__(self, *argv: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = main([*argv, "--data-dir", str(self.data_dir)])
        out, err = self.capsys.readouterr()
        return code, out, err

    def count(self) -> int:
        with Session(make_engine(f"sqlite:///{self.data_dir / 'siaga.db'}")) as session:
            return session.scalar(select(func.count()).select_from(Assignment)) or 0

    def name_of(self, staff_id: str) -> str:
        with Session(make_engine(f"sqlite:///{self.data_dir / 'siaga.db'}")) as session:
            return session.get_one(Staff, staff_id).name


@pytest.fixture
def siaga(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Siaga:
    """The sample region and its roster for the week of Monday 2026-11-23 (rotation from Sunday)."""
    run = Siaga(tmp_path / "var", capsys)
    code, _, err = run("sample", "load", "--week-of", "2026-11-23")
    assert code == 0, err
    return run


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_a_bad_csv_imports_nothing_and_names_every_bad_line(siaga: Siaga, tmp_path: Path) -> None:
    before = siaga.count()
    bad = write(
        tmp_path / "december.csv",
        "facility_code,staff_id,date,shift,start,end\n"
        "pkm-gayamsari,pkm-gayamsari-op1,2026-12-01,pagi,,\n"  # 2: good
        "pkm-nowhere,pkm-gayamsari-op1,2026-12-02,pagi,,\n"  # 3: unknown facility
        "pkm-gayamsari,pkm-ghost,2026-12-02,pagi,,\n"  # 4: unknown staff
        "pkm-gayamsari,pkm-gayamsari-op2,2026-12-32,pagi,,\n"  # 5: no such date
        "pkm-gayamsari,pkm-gayamsari-op2,,,2026-12-03T07:00+08:00,2026-12-03T14:00+08:00\n"  # 6: WITA offset
        "pkm-gayamsari,pkm-gayamsari-op3,,,2026-12-03T07:00+07:00,2026-12-04T07:00+07:00\n"  # 7: 24 h
        "pkm-gayamsari,pkm-gayamsari-op1,2026-12-01,pagi,,\n"  # 8: overlaps line 2
        "pkm-gayamsari,pkm-gayamsari-op1,2026-11-24,siang,,\n",  # 9: overlaps the stored week
    )
    code, out, err = siaga("roster", "import", str(bad))
    assert code == 2 and out == ""
    for line in (3, 4, 5, 6, 7, 8):
        assert f"december.csv:{line}:" in err, line
    assert "december.csv:2:" not in err
    assert siaga.count() == before
    # Line 9 only shows once the file itself is good: the stored roster is checked last.
    good_but_clashing = write(
        tmp_path / "clash.csv",
        "facility_code,staff_id,date,shift\n" + bad.read_text().splitlines()[-1] + "\n",
    )
    code, _, err = siaga("roster", "import", str(good_but_clashing))
    assert (
        code == 2
        and "clash.csv:2: start: pkm-gayamsari-op1 is already rostered at pkm-gayamsari on 2026-11-24" in err
    )
    assert siaga.count() == before


def test_on_duty_at_two_in_the_morning_lists_the_night_shift_as_json(siaga: Siaga) -> None:
    code, out, _ = siaga(
        "roster", "on-duty", "--at", "2026-11-24T02:00+07:00", "--facility", "pkm-gayamsari", "--json"
    )
    assert code == 0
    (night,) = json.loads(out)
    assert list(night)[:7] == ["facility", "staff_id", "role", "endpoint", "shift", "start", "end"]
    assert night["shift"] == "malam" and night["facility"] == "pkm-gayamsari"
    assert (night["start"], night["end"]) == ("2026-11-23T21:00+07:00", "2026-11-24T07:00+07:00")
    code, out, _ = siaga("roster", "on-duty", "--at", "2026-11-24T07:00+07:00", "--json")
    staffed = {d["facility"]: d["shift"] for d in json.loads(out)}
    # every puskesmas but Kagok (38), the four desks (city and province PSC 119, Konter, complaints) and
    # the two hospitals whose ambulance crews are rostered (crews.csv, issue 11)
    assert len(staffed) == 44 and set(staffed.values()) == {"pagi"}


def test_show_draws_the_week_grid(siaga: Siaga) -> None:
    code, out, _ = siaga("roster", "show", "--facility", "pkm-gayamsari", "--week", "2026-W48")
    assert code == 0
    lines = out.splitlines()
    assert "week 2026-W48" in lines[0] and "WIB" in lines[0]
    assert lines[2].split() == ["day", "pagi", "07:00–14:00", "siang", "14:00–21:00", "malam", "21:00–07:00"]
    assert lines[3].startswith("Mon 23 Nov") and lines[3].count("(operator)") == 3
    assert len(lines) == 10
    code, _, err = siaga("roster", "show", "--facility", "pkm-gayamsari", "--week", "2026-48")
    assert code == 2 and "not an ISO week" in err


def test_export_defuses_formulas_and_re_imports_unchanged(siaga: Siaga, tmp_path: Path) -> None:
    evil = write(
        tmp_path / "evil.csv",
        "facility_code,staff_id,date,shift,staff_name\n"
        "pkm-gayamsari,pkm-gayamsari-op1,2026-12-01,pagi,=cmd|' /C calc'!A0\n"
        "pkm-gayamsari,pkm-gayamsari-op2,2026-12-01,siang,@SUM(1+1)\n"
        "pkm-gayamsari,pkm-gayamsari-op3,2026-12-01,malam,-2+3\n",
    )
    assert siaga("roster", "import", str(evil))[0] == 0
    exported = tmp_path / "export.csv"
    code, _, _ = siaga(
        "roster", "export", "--facility", "pkm-gayamsari", "--from", "2026-12-01", "-o", str(exported)
    )
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(exported.read_text())))
    assert [r["staff_name"] for r in rows] == ["'=cmd|' /C calc'!A0", "'@SUM(1+1)", "'-2+3"]
    assert all(not v.startswith(("=", "+", "-", "@")) for r in rows for v in r.values())
    before = siaga.count()
    assert siaga("roster", "import", str(exported), "--update")[0] == 0
    assert siaga.count() == before
    assert siaga.name_of("pkm-gayamsari-op1") == "=cmd|' /C calc'!A0"


def test_a_filled_month_with_one_leave_has_exactly_that_gap(siaga: Siaga) -> None:
    code, _, err = siaga("roster", "fill", "--month", "2026-12")
    assert code == 0, err
    month = ("--from", "2026-12-01T07:00+07:00", "--to", "2027-01-01T07:00+07:00")
    both = ("--facility", "pkm-gayamsari", "--facility", "pkm-kagok")
    code, out, _ = siaga("roster", "gaps", *month, *both)
    assert code == 0 and out.startswith("no gaps")
    code, out, _ = siaga(
        "roster", "on-duty", "--at", "2026-12-10T09:00+07:00", "--facility", "pkm-gayamsari", "--json"
    )
    (morning,) = json.loads(out)
    leave = ("--from", "2026-12-10T00:00+07:00", "--to", "2026-12-12T00:00+07:00", "--reason", "sakit")
    assert siaga("roster", "leave", morning["staff_id"], *leave)[0] == 0
    code, out, _ = siaga("roster", "gaps", *month, *both, "--json")
    assert code == 1
    gaps = json.loads(out)
    # Gayamsari is the only puskesmas of its kecamatan (33.74.04), so the kecamatan is empty too.
    assert [(g["scope"], g["code"], g["start"], g["end"]) for g in gaps] == [
        ("kecamatan", "33.74.04", "2026-12-10T07:00+07:00", "2026-12-10T14:00+07:00"),
        ("facility", "pkm-gayamsari", "2026-12-10T07:00+07:00", "2026-12-10T14:00+07:00"),
        ("kecamatan", "33.74.04", "2026-12-11T07:00+07:00", "2026-12-11T14:00+07:00"),
        ("facility", "pkm-gayamsari", "2026-12-11T07:00+07:00", "2026-12-11T14:00+07:00"),
    ]
    code, out, _ = siaga("roster", "gaps", *month, "--facility", "pkm-gayamsari")
    assert "facility  pkm-gayamsari: no emergency staff 2026-12-10 07:00–14:00 WIB (7.0 h)" in out


def test_fill_template_writes_a_csv_that_imports(siaga: Siaga, tmp_path: Path) -> None:
    template = tmp_path / "jan.csv"
    code, _, _ = siaga(
        "roster", "fill", "--template", "--month", "2027-01", "--facility", "pkm-kagok", "-o", str(template)
    )
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(template.read_text())))
    assert len(rows) == 31 * 3 and {r["facility_code"] for r in rows} == {"pkm-kagok"}
    before = siaga.count()
    assert siaga("roster", "import", str(template))[0] == 0
    assert siaga.count() == before + 93


def test_a_swap_changes_who_is_on_duty_and_refuses_a_double_booking(siaga: Siaga) -> None:
    morning = ("--at", "2026-11-24T09:00+07:00", "--facility", "pkm-gayamsari", "--json")
    (before,) = json.loads(siaga("roster", "on-duty", *morning)[1])
    window = ("--from", "2026-11-24T07:00+07:00", "--to", "2026-11-24T14:00+07:00")
    code, _, err = siaga("roster", "swap", before["staff_id"], "--with", "pkm-bugangan-op3", *window)
    assert code == 2 and "already on duty at pkm-bugangan" in err  # op3 works pkm-bugangan's pagi that day
    code, _, err = siaga("roster", "swap", before["staff_id"], "--with", "pkm-bugangan-op1", *window)
    assert code == 0, err
    (after,) = json.loads(siaga("roster", "on-duty", *morning)[1])
    assert (after["staff_id"], after["covering_for"]) == ("pkm-bugangan-op1", before["staff_id"])


def test_a_facility_with_its_own_shift_times(siaga: Siaga, tmp_path: Path) -> None:
    code, out, _ = siaga(
        "roster",
        "shifts",
        "--facility",
        "pkm-kagok",
        "--set",
        "pagi=08:00-16:00",
        "--set",
        "malam=16:00-08:00",
    )
    assert code == 0 and "its own shifts: pagi 08:00–16:00, malam 16:00–08:00" in out
    code, _, err = siaga("roster", "shifts", "--facility", "pkm-kagok", "--set", "jaga=07:00-07:00")
    assert code == 2 and "longer than the maximum" in err
    roster = write(
        tmp_path / "k.csv", "facility_code,staff_id,date,shift\npkm-kagok,pkm-kagok-op1,2026-12-01,malam\n"
    )
    assert siaga("roster", "import", str(roster))[0] == 0
    (night,) = json.loads(
        siaga("roster", "on-duty", "--at", "2026-12-02T07:30+07:00", "--facility", "pkm-kagok", "--json")[1]
    )
    assert night["end"] == "2026-12-02T08:00+07:00"


def test_jobs_runs_the_coverage_check_once(siaga: Siaga) -> None:
    code, out, _ = siaga("roster", "jobs", "--run", "coverage", "--at", "2026-11-24T06:00+07:00")
    assert code == 0
    assert "pkm-kagok: no emergency staff on duty 2026-11-24 06:00 WIB – 2026-11-24 18:00 WIB (12.0 h)" in out
    code, out, _ = siaga("roster", "jobs", "--list")
    assert code == 0 and "no scheduled jobs stored yet" in out


def test_every_roster_command_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    for action in ("import", "export", "show", "on-duty", "gaps", "fill", "leave", "swap", "shifts", "jobs"):
        with pytest.raises(SystemExit) as done:
            main(["roster", action, "--help"])
        assert done.value.code == 0
        assert "--db URL" in capsys.readouterr().out


GAYAMSARI_HOUSE = ("--lat", "-6.9918", "--lon", "110.4449")


def first_target(siaga: Siaga, at: str) -> dict[str, str]:
    code, out, err = siaga("route", *GAYAMSARI_HOUSE, "--at", at, "--json")
    assert code == 0, err
    return json.loads(out)["targets"][0]


def test_a_call_at_two_rings_the_night_shift_and_at_seven_the_morning_shift(siaga: Siaga) -> None:
    for at, shift in (("2026-11-24T02:00+07:00", "malam"), ("2026-11-24T07:00+07:00", "pagi")):
        (on_duty,) = json.loads(
            siaga("roster", "on-duty", "--at", at, "--facility", "pkm-gayamsari", "--json")[1]
        )
        assert on_duty["shift"] == shift
        target = first_target(siaga, at)
        assert (target["facility"], target["endpoint"]) == ("pkm-gayamsari", on_duty["endpoint"]), at


def test_a_call_during_the_night_operators_leave_goes_to_the_next_puskesmas(siaga: Siaga) -> None:
    at = "2026-11-24T02:00+07:00"
    night = first_target(siaga, at)["endpoint"]
    assert (
        siaga("roster", "leave", night, "--from", "2026-11-24T01:00+07:00", "--to", "2026-11-24T03:00+07:00")[
            0
        ]
        == 0
    )
    assert first_target(siaga, at)["facility"] != "pkm-gayamsari"
    assert first_target(siaga, "2026-11-24T03:00+07:00")["endpoint"] == night
