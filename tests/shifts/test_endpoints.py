"""Issue 17: one check of softphone endpoint names (`shifts.endpoints`), used by the roster import, the
console and the sample data alike: ASCII only, and never a name Asterisk already gives a meaning."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kernel.dataerrors import DataError
from kernel.settings import SAMPLE_REGION
from lab.sample import sample_staff
from shifts.endpoints import endpoint_problem
from shifts.roster_csv import parse_roster_csv
from tests.shifts.builders import ZONES

HOSTILE = [
    "anonymous",  # PJSIP's anonymous endpoint takes every unidentified INVITE
    "Anonymous",
    "caller-trunk",  # our carriers' endpoint
    "transport-udp",  # our transport
    "transport-tls",
    "operator-endpoint",  # our templates
    "global",
    "system",
    "pkm-\u0663",  # an Arabic-Indic digit: str.isalnum() says yes, PJSIP and the dialplan say no
    "op\u00e9rateur",
    "-leading-dash",
    "with space",
    "semi;colon",
    "x" * 65,
    "",
]


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_or_reserved_names_are_refused(name: str) -> None:
    assert endpoint_problem(name) is not None


@pytest.mark.parametrize("name", ["pkm-gayamsari-op1", "psc119-dispatch", "a", "Op_2", "x" * 64])
def test_plain_names_pass(name: str) -> None:
    assert endpoint_problem(name) is None


@pytest.mark.parametrize(
    "name", ["anonymous", "caller-trunk", "transport-udp", "op\u00e9rateur", "pkm-\u0663"]
)
def test_the_roster_import_refuses_them(name: str) -> None:
    text = (
        "facility_code,staff_id,date,shift,staff_name,role,endpoint\n"
        f"pkm-a,new,2026-11-23,pagi,Baru,operator,{name}\n"
    )
    with pytest.raises(DataError) as refused:
        parse_roster_csv(text, "r.csv", ZONES, {})
    (error,) = refused.value.errors
    assert (error.line, error.field) == (2, "endpoint")


def test_the_sample_data_is_checked_too(tmp_path: Path) -> None:
    region = tmp_path / "region"
    shutil.copytree(SAMPLE_REGION, region)
    staff = (region / "staff.csv").read_text(encoding="utf-8").splitlines()
    header, first = staff[0], staff[1].split(",")
    first[header.split(",").index("endpoint")] = "anonymous"
    (region / "staff.csv").write_text(
        "\n".join([header, ",".join(first), *staff[2:]]) + "\n", encoding="utf-8"
    )
    with pytest.raises(DataError) as refused:
        sample_staff(region)
    assert "staff.csv:2: endpoint:" in str(refused.value)
