"""Migrations: the previous release's database reaches the head with its rows, the table modules and the
head agree, and a database at another revision is refused with what to do. Each on SQLite and PostgreSQL
(the `databases` fixture, tests/conftest.py)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, MetaData, insert, select, text
from sqlalchemy.orm import Session

from complaints.model import ComplaintRow
from kernel.db import (
    Base,
    SchemaError,
    connect,
    current_revision,
    head_revision,
    make_engine,
    recognise,
    revisions,
    upgrade,
)
from routing.records.model import CallAttempt, CallRecord
from shifts.model import Assignment, Staff
from siaga.cli import main
from siaga.models import TABLE_MODULES  # noqa: F401  (every table on Base)

PREVIOUS = "0001"  # the release before migrations (commit 6959ff3)
T0 = datetime(2026, 11, 30, 1, 2, 3)

# A few rows of the previous release in the tables that carry its kinds of values: strings, floats, naive
# UTC times, dates, booleans, JSON, a foreign key.
ROWS: dict[str, list[dict[str, object]]] = {
    "area": [
        {
            "code": "33.74.08",
            "name": "Candisari",
            "level": "kecamatan",
            "parent": "33.74",
            "geometry": b"\x01",
        }
    ],
    "facility": [
        {
            "code": "pkm-kagok",
            "name": "Puskesmas Kagok",
            "kind": "puskesmas",
            "lat": -7.0,
            "lon": 110.42,
            "area_code": "33.74.08",
            "timezone": "Asia/Jakarta",
            "service_area": "",
        }
    ],
    "staff": [
        {
            "id": "sri",
            "name": "Sri",
            "role": "operator",
            "endpoint": "pkm-kagok-op1",
            "facility_code": "pkm-kagok",
        }
    ],
    "assignment": [
        {
            "id": 1,
            "staff_id": "sri",
            "facility_code": "pkm-kagok",
            "shift_date": date(2026, 11, 30),
            "shift": "pagi",
            "start_utc": T0,
            "end_utc": datetime(2026, 11, 30, 8),
            "timezone": "Asia/Jakarta",
            "unit": None,
        }
    ],
    "call_record": [
        {
            "id": 7,
            "call_id": "1764464523.17",
            "started_at": T0,
            "caller": "0248000101",
            "dialled": "119",
            "service": "emergency",
            "route_status": "OK",
            "lat": -6.99,
            "lon": 110.42,
            "location_label": "",
            "area_code": "33.74.08",
            "area_name": "Candisari",
            "plan_json": "{}",
            "answered_facility": "pkm-kagok",
            "overflow_path": "",
            "abandoned_in_queue": True,
            "callback_tries": 0,
        }
    ],
    "call_attempt": [
        {
            "id": 1,
            "call_record_id": 7,
            "n": 1,
            "endpoint": "pkm-kagok-op1",
            "facility_name": "Puskesmas Kagok",
            "outcome": "answered",
            "dial_status": "ANSWER",
        }
    ],
    "audit_entry": [
        {
            "id": 1,
            "at": T0,
            "user_name": "cli",
            "action": "roster.add",
            "summary": "x",
            "after": {"n": [1, 2]},
        }
    ],
}


def _previous_release(url: str) -> Engine:
    """A database as the previous release left it: revision 0001's schema, with rows."""
    engine = connect(url)
    upgrade(engine, PREVIOUS)
    tables = MetaData()
    tables.reflect(engine)
    with engine.begin() as conn:
        for name, rows in ROWS.items():
            conn.execute(insert(tables.tables[name]), rows)
    return engine


def _rows(engine: Engine) -> dict[str, list[dict[str, object]]]:
    tables = MetaData()
    tables.reflect(engine)
    with engine.connect() as conn:
        return {
            name: [
                {k: v for k, v in row._mapping.items() if k in ROWS[name][0]}
                for row in conn.execute(select(tables.tables[name]))
            ]
            for name in ROWS
        }


def test_the_previous_release_reaches_the_head_with_its_rows(new_db: Callable[..., str]) -> None:
    engine = _previous_release(new_db(empty=True))
    before = _rows(engine)
    assert before == ROWS
    with pytest.raises(SchemaError, match="siaga db upgrade"):
        make_engine(str(engine.url.render_as_string(hide_password=False)))

    assert upgrade(engine) == (PREVIOUS, head_revision())

    assert _rows(engine) == before
    head = make_engine(engine.url.render_as_string(hide_password=False))  # accepted now
    with Session(head) as session, session.begin():
        record = session.scalars(select(CallRecord).where(CallRecord.call_id == "1764464523.17")).one()
        assert record.abandoned_in_queue is True and record.started_at == T0
        assert [a.endpoint for a in session.scalars(select(CallAttempt))] == ["pkm-kagok-op1"]
        assert session.get(Staff, "sri").endpoint == "pkm-kagok-op1"  # type: ignore[union-attr]
        assert session.scalars(select(Assignment.shift_date)).one() == date(2026, 11, 30)
        session.add(_complaint())  # the new tables work beside the old rows
    with Session(head) as session:
        assert session.scalars(select(ComplaintRow.number)).one() == "A00000001"


def test_the_table_modules_and_the_migrations_head_agree(db_engine: Engine) -> None:
    """Adding a column or table to a model without a migration fails here: write one (`siaga db revision`)."""
    with db_engine.connect() as conn:
        differences = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
        )
    assert differences == []


def test_a_database_made_before_migrations_is_recognised_and_upgraded(
    new_db: Callable[..., str], capsys: pytest.CaptureFixture[str]
) -> None:
    engine = _previous_release(new_db(empty=True))
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))  # as the previous release's create_all left it
    url = engine.url.render_as_string(hide_password=False)
    with pytest.raises(SchemaError, match="made by a siaga without migrations"):
        make_engine(url)
    assert recognise(engine) == PREVIOUS

    assert main(["db", "upgrade", "--db", url]) == 0

    out = capsys.readouterr().out
    assert "its schema is revision 0001: stamped" in out and f"to {head_revision()}" in out
    assert current_revision(engine) == head_revision()
    assert _rows(engine) == ROWS


def test_a_stranger_database_is_refused_naming_what_differs(new_db: Callable[..., str]) -> None:
    engine = _previous_release(new_db(empty=True))
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))
        conn.execute(text("ALTER TABLE staff ADD COLUMN nickname VARCHAR(20)"))
    with pytest.raises(SchemaError, match=r"closest is 0001, but it has unknown column staff\.nickname"):
        recognise(engine)
    assert main(["db", "upgrade", "--db", engine.url.render_as_string(hide_password=False)]) == 2


def test_a_revision_this_siaga_does_not_know_is_refused(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(SchemaError, match="does not know"):
        make_engine(db_engine.url.render_as_string(hide_password=False))


def test_db_current_says_where_a_database_stands(
    new_db: Callable[..., str], capsys: pytest.CaptureFixture[str]
) -> None:
    url = new_db(empty=True)
    assert main(["db", "current", "--db", url]) == 1
    assert "empty database" in capsys.readouterr().out
    upgrade(connect(url), PREVIOUS)
    assert main(["db", "current", "--db", url]) == 1
    assert f"0001 (behind head {head_revision()}" in capsys.readouterr().out
    assert main(["db", "upgrade", "--db", url]) == 0
    assert main(["db", "current", "--db", url]) == 0
    assert capsys.readouterr().out.endswith(f"{head_revision()} (head)\n")


def test_engines_starting_together_on_an_empty_database_migrate_it_once(new_db: Callable[..., str]) -> None:
    url = new_db(empty=True)
    errors: list[BaseException] = []

    def start() -> None:
        try:
            make_engine(url).dispose()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert current_revision(connect(url)) == head_revision()


def test_the_sqlite_fast_path_makes_what_the_migrations_make(tmp_path) -> None:  # type: ignore[no-untyped-def]
    fast = make_engine(f"sqlite:///{tmp_path / 'fast.db'}")
    slow = connect(f"sqlite:///{tmp_path / 'slow.db'}")
    upgrade(slow)

    def schema(engine: Engine) -> list[tuple[str, str]]:
        with engine.connect() as conn:
            sql = "SELECT name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name"
            return [tuple(row) for row in conn.exec_driver_sql(sql)]  # type: ignore[misc]

    assert schema(fast) == schema(slow)
    assert current_revision(fast) == current_revision(slow) == revisions()[-1]


def _complaint() -> ComplaintRow:
    now = datetime.now(UTC).replace(tzinfo=None)
    return ComplaintRow(
        number="A00000001",
        received_at=now,
        channel="cli",
        caller="",
        category="obat",
        text="",
        text_public=False,
        desk="",
        zone="Asia/Jakarta",
        status="received",
        status_at=now,
        first_response_due=now,
        resolution_due=now,
    )
