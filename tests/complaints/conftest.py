"""A small database for the complaints desk: one kabupaten with one kecamatan and one puskesmas, a second
kabupaten, and the complaints line's DID pointing at the first."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from shapely.geometry import box
from sqlalchemy import Engine
from sqlalchemy.orm import Session

import complaints.model  # noqa: F401  (its tables on Base)
import kernel.audit  # noqa: F401
from complaints.service import ComplaintRules
from complaints.sla import SlaPolicy, SlaRules
from geo.areas import Area
from geo.facilities import Facility
from geo.store import write_areas, write_facilities
from kernel.db import make_engine
from routing.tables_model import DidRow
from tests.web.conftest import app, login, settings, template_db  # noqa: F401  (the console under test)

LINE = "0246717100"
KOTA, OTHER = "33.74", "33.22"
RULES = ComplaintRules(
    sla=SlaRules(SlaPolicy(), {"obat": SlaPolicy(timedelta(hours=4), 3)}, timedelta(hours=2)),
    complaint_number=LINE,
)


def seed(engine: Engine) -> None:
    with Session(engine) as session, session.begin():
        write_areas(
            session,
            [
                Area(KOTA, "Kota Semarang", "kabupaten", "33", box(110.3, -7.1, 110.5, -6.9)),
                Area("33.74.08", "Candisari", "kecamatan", KOTA, box(110.4, -7.0, 110.45, -6.95)),
                Area(OTHER, "Kabupaten Semarang", "kabupaten", "33", box(110.36, -7.2, 110.46, -7.1)),
                Area("33.22.01", "Ungaran Barat", "kecamatan", OTHER, box(110.36, -7.2, 110.46, -7.1)),
            ],
        )
        write_facilities(
            session,
            [
                Facility(
                    "pkm-kagok", "Puskesmas Kagok", "puskesmas", -6.99, 110.42, "33.74.08", "Asia/Jakarta"
                ),
                Facility(
                    "pkm-ungaran", "Puskesmas Ungaran", "puskesmas", -7.14, 110.4, "33.22.01", "Asia/Jakarta"
                ),
            ],
        )
        session.add(DidRow(key="62246717100", facility_code="", area_code=KOTA, label="complaints line"))


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """The seeded database, on SQLite and on PostgreSQL (tests/conftest.py)."""
    made = make_engine(db_url)
    seed(made)
    yield made
    made.dispose()
