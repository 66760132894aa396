"""Revision 0001: the previous release's schema (every table as of commit 6959ff3).

The schema of the release before migrations (commit 6959ff3, whose `create_all` made every database until
then): places, rosters and the scheduler's tables, desks and callbacks, location tables, call records,
units and beds, the console's users and sessions, the audit log. A database that release made is
recognised by `siaga db upgrade` (same tables and columns) and stamped at this revision before the rest
runs. Constraint names follow `kernel.db.NAMING`.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "area",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("parent", sa.String(length=32), nullable=True),
        sa.Column("geometry", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_area")),
    )
    op.create_index(op.f("ix_area_parent"), "area", ["parent"], unique=False)
    op.create_table(
        "area_code_prefix",
        sa.Column("prefix", sa.String(length=5), nullable=False),
        sa.Column("area_code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("prefix", name=op.f("pk_area_code_prefix")),
    )
    op.create_table(
        "audit_entry",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("user_name", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("facility_code", sa.String(length=64), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entry")),
    )
    op.create_index(op.f("ix_audit_entry_at"), "audit_entry", ["at"], unique=False)
    op.create_index(op.f("ix_audit_entry_facility_code"), "audit_entry", ["facility_code"], unique=False)
    op.create_table(
        "bed_report",
        sa.Column("hospital", sa.String(length=64), nullable=False),
        sa.Column("bed_class", sa.String(length=20), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("occupied", sa.Integer(), nullable=False),
        sa.Column("waiting", sa.Integer(), nullable=False),
        sa.Column("updated_utc", sa.DateTime(), nullable=False),
        sa.Column("received_utc", sa.DateTime(), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("hospital", "bed_class", name=op.f("pk_bed_report")),
    )
    op.create_table(
        "bed_token",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("hospital", sa.String(length=64), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_utc", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bed_token")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_bed_token_token_sha256")),
    )
    op.create_index(op.f("ix_bed_token_hospital"), "bed_token", ["hospital"], unique=False)
    op.create_table(
        "call_record",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("call_id", sa.String(length=64), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("caller", sa.String(length=40), nullable=False),
        sa.Column("dialled", sa.String(length=40), nullable=False),
        sa.Column("service", sa.String(length=20), nullable=False),
        sa.Column("route_status", sa.String(length=40), nullable=False),
        sa.Column("location_source", sa.String(length=20), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("accuracy_m", sa.Float(), nullable=True),
        sa.Column("location_label", sa.String(length=200), nullable=False),
        sa.Column("area_code", sa.String(length=20), nullable=False),
        sa.Column("area_name", sa.String(length=200), nullable=False),
        sa.Column("plan_json", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("answered_by", sa.String(length=64), nullable=True),
        sa.Column("answered_facility", sa.String(length=64), nullable=True),
        sa.Column("answered_attempt", sa.Integer(), nullable=True),
        sa.Column("time_to_answer_s", sa.Float(), nullable=True),
        sa.Column("desk", sa.String(length=64), nullable=True),
        sa.Column("queue_wait_s", sa.Float(), nullable=True),
        sa.Column("queue_position", sa.Integer(), nullable=True),
        sa.Column("overflow_path", sa.String(length=300), nullable=False),
        sa.Column("abandoned_in_queue", sa.Boolean(), nullable=False),
        sa.Column("callback_requested", sa.DateTime(), nullable=True),
        sa.Column("callback_placed", sa.DateTime(), nullable=True),
        sa.Column("callback_answered", sa.DateTime(), nullable=True),
        sa.Column("callback_tries", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_record")),
        sa.UniqueConstraint("call_id", name=op.f("uq_call_record_call_id")),
    )
    op.create_index(
        "ix_call_record_answered_started", "call_record", ["answered_facility", "started_at"], unique=False
    )
    op.create_index("ix_call_record_area_started", "call_record", ["area_code", "started_at"], unique=False)
    op.create_index(op.f("ix_call_record_desk"), "call_record", ["desk"], unique=False)
    op.create_index(op.f("ix_call_record_started_at"), "call_record", ["started_at"], unique=False)
    op.create_table(
        "callback_request",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("call_id", sa.String(length=64), nullable=False),
        sa.Column("desk", sa.String(length=64), nullable=False),
        sa.Column("queue", sa.String(length=80), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("entered_at", sa.DateTime(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("record_synced", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callback_request")),
        sa.UniqueConstraint("call_id", name=op.f("uq_callback_request_call_id")),
    )
    op.create_index(op.f("ix_callback_request_desk"), "callback_request", ["desk"], unique=False)
    op.create_index(op.f("ix_callback_request_status"), "callback_request", ["status"], unique=False)
    op.create_table(
        "coverage_alert",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("scope", sa.String(length=20), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("service", sa.String(length=40), nullable=False),
        sa.Column("start_utc", sa.DateTime(), nullable=False),
        sa.Column("end_utc", sa.DateTime(), nullable=False),
        sa.Column("warned_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coverage_alert")),
    )
    op.create_index(op.f("ix_coverage_alert_code"), "coverage_alert", ["code"], unique=False)
    op.create_table(
        "desk_overflow",
        sa.Column("desk", sa.String(length=64), nullable=False),
        sa.Column("overflow", sa.String(length=400), nullable=False),
        sa.Column("max_wait_s", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("desk", name=op.f("pk_desk_overflow")),
    )
    op.create_table(
        "did_entry",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("facility_code", sa.String(length=64), nullable=False),
        sa.Column("area_code", sa.String(length=32), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_did_entry")),
    )
    op.create_table(
        "facility",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("area_code", sa.String(length=32), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("service_area", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_facility")),
    )
    op.create_index(op.f("ix_facility_area_code"), "facility", ["area_code"], unique=False)
    op.create_index(op.f("ix_facility_kind"), "facility", ["kind"], unique=False)
    op.create_table(
        "facility_shift",
        sa.Column("facility_code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=20), nullable=False),
        sa.Column("start_local", sa.String(length=5), nullable=False),
        sa.Column("end_local", sa.String(length=5), nullable=False),
        sa.PrimaryKeyConstraint("facility_code", "name", name=op.f("pk_facility_shift")),
    )
    op.create_table(
        "job_run",
        sa.Column("job_id", sa.String(length=100), nullable=False),
        sa.Column("run_time", sa.DateTime(), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("claimed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("job_id", "run_time", name=op.f("pk_job_run")),
    )
    op.create_table(
        "job_schedule",
        sa.Column("job_id", sa.String(length=100), nullable=False),
        sa.Column("next_run_utc", sa.DateTime(), nullable=True),
        sa.Column("trigger", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("job_id", name=op.f("pk_job_schedule")),
    )
    op.create_table(
        "known_caller",
        sa.Column("number", sa.String(length=24), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_known_caller")),
    )
    op.create_table(
        "kode_pos",
        sa.Column("kode_pos", sa.String(length=5), nullable=False),
        sa.Column("area_code", sa.String(length=32), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("kode_pos", name=op.f("pk_kode_pos")),
    )
    op.create_table(
        "roster_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roster_revision")),
    )
    op.create_table(
        "staff",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("endpoint", sa.String(length=64), nullable=False),
        sa.Column("facility_code", sa.String(length=64), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff")),
        sa.UniqueConstraint("endpoint", name=op.f("uq_staff_endpoint")),
    )
    op.create_table(
        "unit",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("base_facility", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("endpoint", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_unit")),
        sa.UniqueConstraint("endpoint", name=op.f("uq_unit_endpoint")),
    )
    op.create_index(op.f("ix_unit_base_facility"), "unit", ["base_facility"], unique=False)
    op.create_table(
        "unit_status_change",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("unit", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("previous", sa.String(length=20), nullable=False),
        sa.Column("at_utc", sa.DateTime(), nullable=False),
        sa.Column("by", sa.String(length=100), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit_status_change")),
    )
    op.create_index(
        "ix_unit_status_change_unit_at", "unit_status_change", ["unit", "at_utc", "id"], unique=False
    )
    op.create_table(
        "web_user",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("kabupaten", sa.String(length=2000), nullable=False),
        sa.Column("password_hash", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_user")),
        sa.UniqueConstraint("name", name=op.f("uq_web_user_name")),
    )
    op.create_table(
        "assignment",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("staff_id", sa.String(length=64), nullable=False),
        sa.Column("facility_code", sa.String(length=64), nullable=False),
        sa.Column("shift_date", sa.Date(), nullable=False),
        sa.Column("shift", sa.String(length=20), nullable=False),
        sa.Column("start_utc", sa.DateTime(), nullable=False),
        sa.Column("end_utc", sa.DateTime(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("unit", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name=op.f("fk_assignment_staff_id_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignment")),
    )
    op.create_index(op.f("ix_assignment_end_utc"), "assignment", ["end_utc"], unique=False)
    op.create_index(
        "ix_assignment_facility_date", "assignment", ["facility_code", "shift_date"], unique=False
    )
    op.create_index(
        "ix_assignment_on_duty",
        "assignment",
        ["start_utc", "end_utc", "staff_id", "facility_code", "shift", "timezone", "shift_date"],
        unique=False,
    )
    op.create_index("ix_assignment_staff_start", "assignment", ["staff_id", "start_utc"], unique=False)
    op.create_table(
        "call_attempt",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("call_record_id", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("endpoint", sa.String(length=64), nullable=False),
        sa.Column("facility", sa.String(length=64), nullable=True),
        sa.Column("facility_name", sa.String(length=200), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("ring_s", sa.Float(), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("dial_status", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_record_id"],
            ["call_record.id"],
            name=op.f("fk_call_attempt_call_record_id_call_record"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_attempt")),
        sa.UniqueConstraint("call_record_id", "n", name=op.f("uq_call_attempt_call_record_id_n")),
    )
    op.create_index(op.f("ix_call_attempt_call_record_id"), "call_attempt", ["call_record_id"], unique=False)
    op.create_table(
        "callback_try",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("detail", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["callback_request.id"],
            name=op.f("fk_callback_try_request_id_callback_request"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callback_try")),
        sa.UniqueConstraint("request_id", "n", name=op.f("uq_callback_try_request_id_n")),
    )
    op.create_index(op.f("ix_callback_try_request_id"), "callback_try", ["request_id"], unique=False)
    op.create_table(
        "shift_swap",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("staff_id", sa.String(length=64), nullable=False),
        sa.Column("replacement_id", sa.String(length=64), nullable=False),
        sa.Column("start_utc", sa.DateTime(), nullable=False),
        sa.Column("end_utc", sa.DateTime(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["replacement_id"], ["staff.id"], name=op.f("fk_shift_swap_replacement_id_staff")
        ),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name=op.f("fk_shift_swap_staff_id_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shift_swap")),
    )
    op.create_index(op.f("ix_shift_swap_end_utc"), "shift_swap", ["end_utc"], unique=False)
    op.create_index(op.f("ix_shift_swap_replacement_id"), "shift_swap", ["replacement_id"], unique=False)
    op.create_index(op.f("ix_shift_swap_staff_id"), "shift_swap", ["staff_id"], unique=False)
    op.create_index(op.f("ix_shift_swap_start_utc"), "shift_swap", ["start_utc"], unique=False)
    op.create_table(
        "staff_leave",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("staff_id", sa.String(length=64), nullable=False),
        sa.Column("start_utc", sa.DateTime(), nullable=False),
        sa.Column("end_utc", sa.DateTime(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["staff_id"], ["staff.id"], name=op.f("fk_staff_leave_staff_id_staff")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_leave")),
    )
    op.create_index(op.f("ix_staff_leave_end_utc"), "staff_leave", ["end_utc"], unique=False)
    op.create_index(op.f("ix_staff_leave_staff_id"), "staff_leave", ["staff_id"], unique=False)
    op.create_index(op.f("ix_staff_leave_start_utc"), "staff_leave", ["start_utc"], unique=False)
    op.create_table(
        "staff_skills",
        sa.Column("staff_id", sa.String(length=64), nullable=False),
        sa.Column("skills", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_staff_skills_staff_id_staff"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("staff_id", name=op.f("pk_staff_skills")),
    )
    op.create_table(
        "web_session",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("csrf_token", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["web_user.id"], name=op.f("fk_web_session_user_id_web_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_web_session")),
    )
    op.create_index(op.f("ix_web_session_user_id"), "web_session", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_web_session_user_id"), table_name="web_session")
    op.drop_table("web_session")
    op.drop_table("staff_skills")
    op.drop_index(op.f("ix_staff_leave_start_utc"), table_name="staff_leave")
    op.drop_index(op.f("ix_staff_leave_staff_id"), table_name="staff_leave")
    op.drop_index(op.f("ix_staff_leave_end_utc"), table_name="staff_leave")
    op.drop_table("staff_leave")
    op.drop_index(op.f("ix_shift_swap_start_utc"), table_name="shift_swap")
    op.drop_index(op.f("ix_shift_swap_staff_id"), table_name="shift_swap")
    op.drop_index(op.f("ix_shift_swap_replacement_id"), table_name="shift_swap")
    op.drop_index(op.f("ix_shift_swap_end_utc"), table_name="shift_swap")
    op.drop_table("shift_swap")
    op.drop_index(op.f("ix_callback_try_request_id"), table_name="callback_try")
    op.drop_table("callback_try")
    op.drop_index(op.f("ix_call_attempt_call_record_id"), table_name="call_attempt")
    op.drop_table("call_attempt")
    op.drop_index("ix_assignment_staff_start", table_name="assignment")
    op.drop_index("ix_assignment_on_duty", table_name="assignment")
    op.drop_index("ix_assignment_facility_date", table_name="assignment")
    op.drop_index(op.f("ix_assignment_end_utc"), table_name="assignment")
    op.drop_table("assignment")
    op.drop_table("web_user")
    op.drop_index("ix_unit_status_change_unit_at", table_name="unit_status_change")
    op.drop_table("unit_status_change")
    op.drop_index(op.f("ix_unit_base_facility"), table_name="unit")
    op.drop_table("unit")
    op.drop_table("staff")
    op.drop_table("roster_revision")
    op.drop_table("kode_pos")
    op.drop_table("known_caller")
    op.drop_table("job_schedule")
    op.drop_table("job_run")
    op.drop_table("facility_shift")
    op.drop_index(op.f("ix_facility_kind"), table_name="facility")
    op.drop_index(op.f("ix_facility_area_code"), table_name="facility")
    op.drop_table("facility")
    op.drop_table("did_entry")
    op.drop_table("desk_overflow")
    op.drop_index(op.f("ix_coverage_alert_code"), table_name="coverage_alert")
    op.drop_table("coverage_alert")
    op.drop_index(op.f("ix_callback_request_status"), table_name="callback_request")
    op.drop_index(op.f("ix_callback_request_desk"), table_name="callback_request")
    op.drop_table("callback_request")
    op.drop_index(op.f("ix_call_record_started_at"), table_name="call_record")
    op.drop_index(op.f("ix_call_record_desk"), table_name="call_record")
    op.drop_index("ix_call_record_area_started", table_name="call_record")
    op.drop_index("ix_call_record_answered_started", table_name="call_record")
    op.drop_table("call_record")
    op.drop_index(op.f("ix_bed_token_hospital"), table_name="bed_token")
    op.drop_table("bed_token")
    op.drop_table("bed_report")
    op.drop_index(op.f("ix_audit_entry_facility_code"), table_name="audit_entry")
    op.drop_index(op.f("ix_audit_entry_at"), table_name="audit_entry")
    op.drop_table("audit_entry")
    op.drop_table("area_code_prefix")
    op.drop_index(op.f("ix_area_parent"), table_name="area")
    op.drop_table("area")
