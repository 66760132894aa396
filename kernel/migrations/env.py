"""Alembic's entry: always given a connection by `kernel.db` (no ini file, no URL of its own), so the
migrations run inside the caller's transaction. SQLite gets batch mode: it cannot ALTER most things, so
Alembic copies the table; PostgreSQL alters in place."""

from __future__ import annotations

from alembic import context

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=context.config.attributes.get("target_metadata"),
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
