"""Revision 0002: complaints, incidents and crew alerts.

What this release adds to the previous one's schema: the complaints desk (`complaint`, `complaint_step`,
issue 12), incidents and the units sent to them (`incident`, `incident_dispatch`, issue 11) and the crew
alerts (`crew_alert`). New tables only; no column of an existing table changed.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "complaint",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("number", sa.String(length=10), nullable=True),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("caller", sa.String(length=20), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("text_public", sa.Boolean(), nullable=False),
        sa.Column("recording", sa.String(length=300), nullable=True),
        sa.Column("facility_code", sa.String(length=64), nullable=True),
        sa.Column("desk", sa.String(length=32), nullable=False),
        sa.Column("zone", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("status_at", sa.DateTime(), nullable=False),
        sa.Column("first_response_at", sa.DateTime(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("first_response_due", sa.DateTime(), nullable=False),
        sa.Column("resolution_due", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint")),
        sa.UniqueConstraint("number", name=op.f("uq_complaint_number")),
    )
    op.create_index(op.f("ix_complaint_category"), "complaint", ["category"], unique=False)
    op.create_index(op.f("ix_complaint_desk"), "complaint", ["desk"], unique=False)
    op.create_index(op.f("ix_complaint_facility_code"), "complaint", ["facility_code"], unique=False)
    op.create_index(op.f("ix_complaint_received_at"), "complaint", ["received_at"], unique=False)
    op.create_index(op.f("ix_complaint_resolution_due"), "complaint", ["resolution_due"], unique=False)
    op.create_index(op.f("ix_complaint_status"), "complaint", ["status"], unique=False)
    op.create_table(
        "incident",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("call_id", sa.String(length=64), nullable=True),
        sa.Column("caller", sa.String(length=40), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("location_source", sa.String(length=20), nullable=False),
        sa.Column("area_code", sa.String(length=20), nullable=False),
        sa.Column("area_name", sa.String(length=200), nullable=False),
        sa.Column("kabupaten", sa.String(length=20), nullable=True),
        sa.Column("timezone", sa.String(length=40), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("priority", sa.String(length=10), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("operator", sa.String(length=100), nullable=False),
        sa.Column("call_started_utc", sa.DateTime(), nullable=True),
        sa.Column("opened_utc", sa.DateTime(), nullable=False),
        sa.Column("dispatched_utc", sa.DateTime(), nullable=True),
        sa.Column("on_scene_utc", sa.DateTime(), nullable=True),
        sa.Column("at_hospital_utc", sa.DateTime(), nullable=True),
        sa.Column("closed_utc", sa.DateTime(), nullable=True),
        sa.Column("close_reason", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident")),
        sa.UniqueConstraint("call_id", name=op.f("uq_incident_call_id")),
    )
    op.create_index(op.f("ix_incident_closed_utc"), "incident", ["closed_utc"], unique=False)
    op.create_index("ix_incident_kabupaten_opened", "incident", ["kabupaten", "opened_utc"], unique=False)
    op.create_table(
        "complaint_step",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("note_public", sa.Boolean(), nullable=False),
        sa.Column("officer", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaint.id"],
            name=op.f("fk_complaint_step_complaint_id_complaint"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_step")),
    )
    op.create_index(op.f("ix_complaint_step_complaint_id"), "complaint_step", ["complaint_id"], unique=False)
    op.create_table(
        "incident_dispatch",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("unit", sa.String(length=64), nullable=False),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("dispatched_utc", sa.DateTime(), nullable=False),
        sa.Column("en_route_utc", sa.DateTime(), nullable=True),
        sa.Column("on_scene_utc", sa.DateTime(), nullable=True),
        sa.Column("transporting_utc", sa.DateTime(), nullable=True),
        sa.Column("at_hospital_utc", sa.DateTime(), nullable=True),
        sa.Column("returning_utc", sa.DateTime(), nullable=True),
        sa.Column("ended_utc", sa.DateTime(), nullable=True),
        sa.Column("end_reason", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incident.id"],
            name=op.f("fk_incident_dispatch_incident_id_incident"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_dispatch")),
    )
    op.create_index(
        op.f("ix_incident_dispatch_incident_id"), "incident_dispatch", ["incident_id"], unique=False
    )
    op.create_index(
        "ix_incident_dispatch_unit_ended", "incident_dispatch", ["unit", "ended_utc"], unique=False
    )
    op.create_table(
        "crew_alert",
        sa.Column("dispatch_id", sa.Integer(), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("last_try_utc", sa.DateTime(), nullable=True),
        sa.Column("messaged_utc", sa.DateTime(), nullable=True),
        sa.Column("answered_utc", sa.DateTime(), nullable=True),
        sa.Column("result", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["dispatch_id"],
            ["incident_dispatch.id"],
            name=op.f("fk_crew_alert_dispatch_id_incident_dispatch"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("dispatch_id", name=op.f("pk_crew_alert")),
    )


def downgrade() -> None:
    op.drop_table("crew_alert")
    op.drop_index("ix_incident_dispatch_unit_ended", table_name="incident_dispatch")
    op.drop_index(op.f("ix_incident_dispatch_incident_id"), table_name="incident_dispatch")
    op.drop_table("incident_dispatch")
    op.drop_index(op.f("ix_complaint_step_complaint_id"), table_name="complaint_step")
    op.drop_table("complaint_step")
    op.drop_index("ix_incident_kabupaten_opened", table_name="incident")
    op.drop_index(op.f("ix_incident_closed_utc"), table_name="incident")
    op.drop_table("incident")
    op.drop_index(op.f("ix_complaint_status"), table_name="complaint")
    op.drop_index(op.f("ix_complaint_resolution_due"), table_name="complaint")
    op.drop_index(op.f("ix_complaint_received_at"), table_name="complaint")
    op.drop_index(op.f("ix_complaint_facility_code"), table_name="complaint")
    op.drop_index(op.f("ix_complaint_desk"), table_name="complaint")
    op.drop_index(op.f("ix_complaint_category"), table_name="complaint")
    op.drop_table("complaint")
