"""Revision 0003: a counter per kind of region data (`data_revision`, kernel/revisions.py).

Every import of areas, facilities, callers, the DID/kode-pos/area-code tables and the desks bumps its
kind's row in the same transaction; running engines poll the rows and reload their places (issue 13,
point 4). A new table only; an existing database starts with no rows, which counts as 0 for every kind.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "data_revision",
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kind", name=op.f("pk_data_revision")),
    )


def downgrade() -> None:
    op.drop_table("data_revision")
