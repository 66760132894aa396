"""The database edge: one engine per process, one declarative base for every table, and the schema's
version (Alembic migrations in `kernel/migrations/`).

SQLite is the embedded default; PostgreSQL (`postgresql+psycopg://…`) where several engines share one.
Nothing here ever calls `create_all` on a database. `make_engine` accepts a database at the migrations'
head, gives an empty one the head's schema, and refuses anything else with what to do (`siaga db
upgrade`), so a table module and a database can no longer silently disagree.

An empty SQLite database is given the head's schema by replaying, in one exclusive transaction, the DDL
that the real migrations produced on an in-memory database once per process (and the head's revision
stamp): the same tables, byte for byte, in a few milliseconds instead of a full Alembic run per database
— the tests make hundreds. An empty PostgreSQL database runs the migrations themselves, under an
advisory lock so engines starting together migrate it once.
"""

from __future__ import annotations

import functools
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, MetaData, create_engine, event, inspect, pool, text
from sqlalchemy.orm import DeclarativeBase

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "alembic_version"
# Names for constraints, so a later migration can drop or alter one by name on SQLite (batch mode) and
# PostgreSQL alike; indexes keep SQLAlchemy's own `ix_<table>_<column>`.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
_PG_MIGRATION_LOCK = 0x51A6A  # pg_advisory_xact_lock key: one migrator at a time per database


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class SchemaError(ValueError):
    """The database's schema is not this version's: behind (run `siaga db upgrade`), ahead, or unknown."""


OldSchemaError = SchemaError  # the name callers used before migrations existed


def make_engine(url: str, busy_timeout_s: float = 15.0) -> Engine:
    """The engine for `url` (and the SQLite file's folder), its schema at the migrations' head: an empty
    database is brought there; one behind or ahead is refused (`SchemaError`)."""
    engine = connect(url, busy_timeout_s)
    ensure_schema(engine)
    return engine


def connect(url: str, busy_timeout_s: float = 15.0) -> Engine:
    """The engine alone, schema untouched: for `siaga db` and the migrations."""
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": busy_timeout_s})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def head_revision() -> str:
    head = _scripts().get_current_head()
    assert head is not None, "kernel/migrations has no revision"
    return head


def current_revision(engine: Engine) -> str | None:
    """The stamped revision; None for a database without one (empty, or made before migrations)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def ensure_schema(engine: Engine) -> None:
    head = head_revision()
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
        if current == head:
            return
        tables = set(inspect(conn).get_table_names()) - {VERSION_TABLE}
    where = engine.url.render_as_string(hide_password=True)
    if current is None and not tables:
        _create_at_head(engine)
        return
    if current is None:
        raise SchemaError(
            f"the database {where} was made by a siaga without migrations: run `siaga db upgrade --db …` "
            "(it recognises that release's schema and brings it up to date, rows kept)"
        )
    if current in _known_revisions():
        raise SchemaError(
            f"the database {where} is at schema revision {current}, this siaga needs {head}: "
            "run `siaga db upgrade` (back it up first)"
        )
    raise SchemaError(
        f"the database {where} is at schema revision {current}, which this siaga does not know "
        "(made by a newer one?): use that version, or --db for another database"
    )


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str | None]:
    """Run the migrations up to `revision` in one transaction; (revision before, revision after)."""
    with _migrating(engine) as conn:
        before = MigrationContext.configure(conn).get_current_revision()
        command.upgrade(alembic_config(conn), revision)
        after = MigrationContext.configure(conn).get_current_revision()
    return before, after


def stamp(engine: Engine, revision: str) -> None:
    """Record `revision` without running anything: for a database whose schema is known to be it."""
    with _migrating(engine) as conn:
        command.stamp(alembic_config(conn), revision)


def recognise(engine: Engine) -> str:
    """The revision whose tables and columns a database without a stamp has exactly (one made by `create_all`
    before migrations existed), so it can be stamped and upgraded with its rows; `SchemaError` naming the
    differences from the closest revision when none matches."""
    with engine.connect() as conn:
        found = _columns(conn)
    found.pop(VERSION_TABLE, None)
    best: tuple[int, str, list[str]] | None = None
    for revision in reversed(revisions()):
        wanted = _schema_at(revision)
        if wanted == found:
            return revision
        problems = [f"no table {t}" for t in sorted(wanted.keys() - found.keys())]
        problems += [f"unknown table {t}" for t in sorted(found.keys() - wanted.keys())]
        for table in sorted(wanted.keys() & found.keys()):
            problems += [f"no column {table}.{c}" for c in sorted(wanted[table] - found[table])]
            problems += [f"unknown column {table}.{c}" for c in sorted(found[table] - wanted[table])]
        if best is None or len(problems) < best[0]:
            best = (len(problems), revision, problems)
    assert best is not None
    _, revision, problems = best
    shown = ", ".join(problems[:8]) + (" …" if len(problems) > 8 else "")
    raise SchemaError(
        f"the database {engine.url.render_as_string(hide_password=True)} has no schema revision and matches "
        f"none: closest is {revision}, but it has {shown}"
    )


@functools.cache
def _schema_at(revision: str) -> dict[str, set[str]]:
    scratch = create_engine("sqlite://", poolclass=pool.StaticPool)
    upgrade(scratch, revision)
    with scratch.connect() as conn:
        columns = _columns(conn)
    scratch.dispose()
    columns.pop(VERSION_TABLE, None)
    return columns


def _columns(conn: Connection) -> dict[str, set[str]]:
    inspector = inspect(conn)
    return {t: {c["name"] for c in inspector.get_columns(t)} for t in inspector.get_table_names()}


def revisions() -> list[str]:
    """Every revision, oldest first."""
    return [s.revision for s in reversed(list(_scripts().walk_revisions()))]


def alembic_config(conn: Connection | None = None) -> Config:
    """Alembic's configuration without an ini file; `env.py` takes the connection from its attributes."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if conn is not None:
        config.attributes["connection"] = conn
    return config


@contextmanager
def _migrating(engine: Engine) -> Iterator[Connection]:
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
        yield conn


def _create_at_head(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        upgrade(engine)  # rechecks the revision under the lock: a second engine finds it done
        return
    raw = engine.raw_connection()
    try:
        dbapi = raw.driver_connection
        assert isinstance(dbapi, sqlite3.Connection)
        saved, dbapi.isolation_level = dbapi.isolation_level, None  # our own BEGIN, not pysqlite's
        try:
            cursor = dbapi.cursor()
            cursor.execute("BEGIN EXCLUSIVE")
            try:
                made = cursor.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
                if made == 0:  # nobody made it while we waited for the lock
                    for statement in _sqlite_head_ddl():
                        cursor.execute(statement)
                    stamp_sql = f"INSERT INTO {VERSION_TABLE} (version_num) VALUES (?)"
                    cursor.execute(stamp_sql, (head_revision(),))
                cursor.execute("COMMIT")
            except BaseException:
                cursor.execute("ROLLBACK")
                raise
        finally:
            dbapi.isolation_level = saved
    finally:
        raw.close()


@functools.cache
def _sqlite_head_ddl() -> tuple[str, ...]:
    """The schema the migrations make on SQLite, as its CREATE statements in the order they were made."""
    scratch = create_engine("sqlite://", poolclass=pool.StaticPool)
    event.listen(scratch, "connect", _sqlite_pragmas)
    upgrade(scratch)
    with scratch.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY rowid"
        ).all()
    scratch.dispose()
    return tuple(row[0] for row in rows)


@functools.cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def _known_revisions() -> set[str]:
    return set(revisions())


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    # Switching a new file to WAL needs it to itself; while another connection is making the schema
    # (BEGIN EXCLUSIVE) SQLite can answer "locked" at once instead of waiting, so wait here, a while.
    for attempt in range(_WAL_TRIES):
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            break
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == _WAL_TRIES - 1:
                raise
            time.sleep(0.05)
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


_WAL_TRIES = 200  # 10 s
