"""The database edge: one engine per process, one declarative base for every table.

SQLite is the embedded default; any SQLAlchemy URL (PostgreSQL where several engines share one) works.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


def make_engine(url: str) -> Engine:
    """Create the engine (and the SQLite file's folder); the tables registered on `Base` so far are created
    if missing. The app imports every table module first (`siaga.models`); a domain's own code and tests
    have imported the tables they use, which is all they query."""
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 15} if url.startswith("sqlite") else {})
    if url.startswith("sqlite"):
        event.listen(engine, "connect", _sqlite_pragmas)
    Base.metadata.create_all(engine)
    check_schema(engine)
    return engine


class OldSchemaError(ValueError):
    """The database was made by an older siaga: tables lack columns this version writes."""


def check_schema(engine: Engine) -> None:
    """Refuse, with what to do, a database whose tables lack columns of this version. `create_all` makes
    missing tables but never alters existing ones; without this every query would fail deep inside with
    "no such column". (Migrations are the known gap: README, known limits.)"""
    inspector = inspect(engine)
    missing = []
    for table in Base.metadata.sorted_tables:
        if not inspector.has_table(table.name):
            continue
        present = {c["name"] for c in inspector.get_columns(table.name)}
        missing += [f"{table.name}.{c.name}" for c in table.columns if c.name not in present]
    if missing:
        raise OldSchemaError(
            f"the database {engine.url.render_as_string(hide_password=True)} was made by an older siaga and "
            f"lacks {', '.join(missing[:8])}{' …' if len(missing) > 8 else ''}: move it aside and load the "
            "data again (`siaga sample load`, or `siaga import …` and `siaga roster import`), or use --db "
            "for a new one"
        )


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
