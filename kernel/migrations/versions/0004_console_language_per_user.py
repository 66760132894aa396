"""Revision 0004: the console's language per user (`web_user.lang`, issue 16, point 1).

Existing users get Indonesian, the console's default; each can switch to English in the console's header.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("web_user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lang", sa.String(length=8), server_default="id", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("web_user", schema=None) as batch_op:
        batch_op.drop_column("lang")
