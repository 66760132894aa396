"""`siaga staffing` through `siaga.cli.main`, on the Makassar desk database in a temporary data dir."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from siaga.cli import main
from tests.desks.builders import CONSULTATION, DESK, PUSKESMAS, build_database

PERIOD = ("--from", "2026-11-02", "--to", "2026-11-15")


class Siaga:
    def __init__(self, data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.data_dir = data_dir
        self.capsys = capsys

    def __call__(self, *argv: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        try:
            code = main(["staffing", *argv, "--data-dir", str(self.data_dir)])
        except SystemExit as exc:  # argparse refuses an option's value before any command runs
            code = int(exc.code or 0)
        out, err = self.capsys.readouterr()
        return code, out, err


@pytest.fixture
def siaga(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Siaga:
    build_database(tmp_path).dispose()
    return Siaga(tmp_path, capsys)


def test_the_table_shows_each_day_and_shift_with_need_beside_roster(siaga: Siaga) -> None:
    code, out, err = siaga("--desk", DESK, *PERIOD)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "PSC 119 Kota Makassar [psc119-makassar], dispatch desk, times in Asia/Makassar (WITA)"
    assert lines[1] == "2026-11-02 to 2026-11-15 (14 days), target 90 % within 15 s"
    assert lines[2] == "75 call(s)"
    assert lines[4].split() == [
        "day", "shift", "calls", "calls/h", "AHT", "s", "Erlangs", "needed", "rostered", "SL", "if",
        "rostered", "SL", "measured",
    ]  # fmt: skip
    monday_pagi = next(line for line in lines if line.startswith("Monday") and "pagi" in line)
    assert monday_pagi.split() == [
        "Monday", "pagi", "07:00–14:00", "70", "5.00", "360", "0.500", "2", "2.50", "95", "%", "51", "%",
    ]  # fmt: skip
    tuesday_siang = next(line for line in lines if line.startswith("Tuesday") and "siang" in line)
    assert tuesday_siang.endswith("short by 1.0") and "*" in tuesday_siang
    assert any(line.startswith("*: no answered call") for line in lines)
    assert sum(1 for line in lines if line.split() and line.split()[0] in {"Monday", "Sunday"}) == 6


def test_json_has_one_object_per_day_and_shift(siaga: Siaga) -> None:
    code, out, err = siaga("--desk", DESK, *PERIOD, "--target", "0.8/20", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert (data["desk"], data["from"], data["to"], data["calls"]) == (DESK, "2026-11-02", "2026-11-15", 75)
    assert data["target"] == {"share": 0.8, "within_s": 20.0}
    rows = data["rows"]
    assert len(rows) == 21 and len({(r["day"], r["shift"]) for r in rows}) == 21
    required = {"day", "shift", "calls_per_hour", "aht_s", "erlangs", "needed", "rostered"}
    assert all(required | {"service_level_if_rostered"} <= set(r) for r in rows)
    monday = next(r for r in rows if (r["day"], r["shift"]) == ("Monday", "pagi"))
    assert monday["calls_per_hour"] == 5.0 and monday["aht_s"] == 360.0 and monday["erlangs"] == 0.5
    assert monday["needed"] == 2 and monday["rostered"] == 2.5
    assert 0.9 < monday["service_level_if_rostered"] < 1
    assert monday["measured_service_level"] == 1.0  # 80 % within 20 s: the 20 s answers count now


def test_no_calls_in_the_period_says_so_and_still_shows_the_roster(siaga: Siaga) -> None:
    code, out, err = siaga("--desk", DESK, "--from", "2026-11-04", "--to", "2026-11-04")
    assert code == 0, err
    assert "no calls to psc119-makassar in this period: only the rostered numbers are shown" in out
    pagi = next(line for line in out.splitlines() if line.startswith("Wednesday") and "pagi" in line)
    assert pagi.split()[3:9] == ["0", "0.00", "—", "0.000", "0", "1.00"]
    code, out, _ = siaga("--desk", DESK, "--from", "2026-11-04", "--to", "2026-11-04", "--json")
    data = json.loads(out)
    assert data["calls"] == 0 and [r["rostered"] for r in data["rows"]] == [1.0, 0.0, 1.0]


def test_the_consultation_desk_is_a_desk_too(siaga: Siaga) -> None:
    code, out, err = siaga("--desk", CONSULTATION, *PERIOD, "--json")
    assert code == 0, err
    assert json.loads(out)["kind"] == "consultation"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--desk", "psc119-nowhere"), "siaga: --desk: no facility 'psc119-nowhere' (desks: konter-makassar"),
        (
            ("--desk", PUSKESMAS),
            f"siaga: --desk: {PUSKESMAS} is a puskesmas, not a desk (dispatch, consultation or complaints)",
        ),
        (
            ("--desk", DESK, "--target", "90/15"),
            "argument --target: the share in '90/15' must be between 0 and 1",
        ),
        (("--desk", DESK, "--target", "0.9"), "argument --target: '0.9' is not SHARE/SECONDS, e.g. 0.9/15"),
        (
            ("--desk", DESK, "--target", "0.9/0"),
            "argument --target: the seconds in '0.9/0' must be more than 0",
        ),
        (
            ("--desk", DESK, "--from", "2026-11-15", "--to", "2026-11-02"),
            "siaga: --from: 2026-11-15 is after --to",
        ),
        (
            ("--desk", DESK, "--from", "2026-11-31"),
            "argument --from: '2026-11-31' is not a date such as 2026-11-23",
        ),
        (("--desk", DESK, "--to", "yesterday"), "argument --to: 'yesterday' is not a date"),
    ],
)
def test_bad_input_exits_2_naming_the_option(siaga: Siaga, argv: tuple[str, ...], message: str) -> None:
    code, out, err = siaga(*argv)
    assert code == 2 and out == ""
    assert message in err


def test_the_desk_is_required(siaga: Siaga) -> None:
    code, _, err = siaga(*PERIOD)
    assert code == 2 and "--desk" in err
