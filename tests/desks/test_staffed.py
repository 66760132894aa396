"""A desk with nobody on its roster is refused, naming the desk (desks/staffed.py), at `siaga sample load`
(nothing written) and when the engine starts."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from desks.staffed import check_desks_staffed, unstaffed_desks
from kernel.dataerrors import DataError
from kernel.db import make_engine
from kernel.settings import SAMPLE_REGION
from lab.sample import load_sample_roster
from shifts.model import Assignment, Staff


def test_only_desks_nobody_belongs_to_or_is_rostered_at_are_named() -> None:
    errors = unstaffed_desks(
        {"psc119-a": "dispatch", "psc119-b": "dispatch", "konter-c": "consultation"},
        {"psc119-a"},
        "staff.csv",
    )
    assert [e.message.split(" has ")[0] for e in errors] == [
        "desk konter-c (consultation)",
        "desk psc119-b (dispatch)",
    ]
    assert all(e.source == "staff.csv" and e.field == "desk" for e in errors)


def _region_without_jateng_staff(tmp_path: Path) -> Path:
    """The sample region, but the province's PSC 119 (psc119-jateng) has lost every staff member."""
    region = tmp_path / "region"
    shutil.copytree(SAMPLE_REGION, region)
    staff = region / "staff.csv"
    lines = staff.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [line for line in lines if ",psc119-jateng," not in line]
    assert len(kept) < len(lines), "the sample has staff at psc119-jateng to take away"
    staff.write_text("".join(kept), encoding="utf-8")
    return region


def test_sample_load_refuses_a_desk_with_nobody_on_its_roster_and_writes_no_roster(tmp_path: Path) -> None:
    region = _region_without_jateng_staff(tmp_path)
    engine = make_engine(f"sqlite:///{tmp_path / 'siaga.db'}")
    with pytest.raises(DataError) as refused:
        load_sample_roster(engine, region, region / "facilities.csv", date(2026, 11, 30))
    assert "desk psc119-jateng (dispatch) has nobody on its roster" in str(refused.value)
    assert "konter-semarang" not in str(refused.value) and "psc119-semarang" not in str(refused.value)
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Staff)) == 0, "no staff written"
        assert session.scalar(select(func.count()).select_from(Assignment)) == 0, "no roster written"


def test_the_whole_sample_region_has_someone_at_every_desk(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'siaga.db'}")
    assert load_sample_roster(engine, SAMPLE_REGION, SAMPLE_REGION / "facilities.csv", date(2026, 11, 30)) > 0
    with Session(engine) as session:
        check_desks_staffed(
            session,
            {"psc119-semarang": "dispatch", "psc119-jateng": "dispatch", "konter-semarang": "consultation"},
        )
        with pytest.raises(DataError, match="desk psc119-nowhere"):
            check_desks_staffed(session, {"psc119-nowhere": "dispatch"})
