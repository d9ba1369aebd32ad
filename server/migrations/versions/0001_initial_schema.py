"""Initial schema.

Revision ID: 0001
Revises:
Create Date: 2026-11-23 03:52:51.520214
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=80), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_at"), ["at"], unique=False)

    op.create_table(
        "centres",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("habilitated", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "certification_versions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("bank_dir", sa.String(length=500), nullable=False),
        sa.Column("config", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "organisers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("centre_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["centre_id"],
            ["centres.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email"),
    )
    op.create_table(
        "sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("centre_id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("time", sa.String(length=5), nullable=False),
        sa.Column("room", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("examiner", sa.String(length=200), nullable=False),
        sa.Column("access_code", sa.String(length=6), nullable=False),
        sa.Column("invigilator_password_hash", sa.String(length=300), nullable=False),
        sa.Column("unlock_code_hash", sa.String(length=300), nullable=False),
        sa.Column("url_rules", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("finalized_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["centre_id"],
            ["centres.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sessions_access_code"), ["access_code"], unique=False)

    op.create_table(
        "candidates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("last_name", sa.String(length=100), nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("birth_place", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("external_id", sa.String(length=100), nullable=False),
        sa.Column("extra_time_percentage", sa.Float(), nullable=False),
        sa.Column("accessibility_adjustment", sa.Boolean(), nullable=False),
        sa.Column("authorized_to_start", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("session_id", "last_name", "first_name", "birth_date"),
    )
    with op.batch_alter_table("candidates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_candidates_session_id"), ["session_id"], unique=False)

    op.create_table(
        "candidate_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("install_id", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["candidate_id"],
            ["candidates.id"],
        ),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    with op.batch_alter_table("candidate_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_candidate_tokens_candidate_id"), ["candidate_id"], unique=False)

    op.create_table(
        "courses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.String(length=64), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("locale", sa.String(length=10), nullable=False),
        sa.Column("state", sa.String(length=40), nullable=False),
        sa.Column("abort_reason", sa.String(length=20), nullable=True),
        sa.Column("jury", sa.String(length=20), nullable=True),
        sa.Column("is_adjusted_for_accessibility", sa.Boolean(), nullable=False),
        sa.Column("verification_code", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("deadline", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("question_shown_at", sa.DateTime(), nullable=True),
        sa.Column("pending_focus_lost", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["candidate_id"],
            ["candidates.id"],
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["certification_versions.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("candidate_id"),
        sa.UniqueConstraint("verification_code"),
    )
    with op.batch_alter_table("courses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_courses_session_id"), ["session_id"], unique=False)

    op.create_table(
        "kiosk_devices",
        sa.Column("install_id", sa.String(length=100), nullable=False),
        sa.Column("public_key", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("last_counter", sa.BigInteger(), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=True),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=True),
        sa.Column("enrolled_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["candidate_id"],
            ["candidates.id"],
        ),
        sa.PrimaryKeyConstraint("install_id"),
    )
    op.create_table(
        "answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("challenge_id", sa.String(length=100), nullable=False),
        sa.Column("client_uuid", sa.String(length=36), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("result_details", sa.JSON(), nullable=False),
        sa.Column("timeout", sa.Integer(), nullable=True),
        sa.Column("focused_out", sa.Boolean(), nullable=False),
        sa.Column("time_spent", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("client_uuid"),
        sa.UniqueConstraint("course_id", "challenge_id"),
    )
    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_answers_course_id"), ["course_id"], unique=False)

    op.create_table(
        "asked_challenges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("challenge_id", sa.String(length=100), nullable=False),
        sa.Column("skill", sa.String(length=100), nullable=False),
        sa.Column("tube", sa.String(length=100), nullable=False),
        sa.Column("competence", sa.String(length=5), nullable=False),
        sa.Column("question_index", sa.Integer(), nullable=False),
        sa.Column("discriminant", sa.Float(), nullable=False),
        sa.Column("difficulty", sa.Float(), nullable=False),
        sa.Column("asked_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("course_id", "challenge_id"),
    )
    with op.batch_alter_table("asked_challenges", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_asked_challenges_course_id"), ["course_id"], unique=False)

    op.create_table(
        "issue_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=60), nullable=False),
        sa.Column("subcategory", sa.String(length=60), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("question_number", sa.Integer(), nullable=True),
        sa.Column("resolved", sa.Boolean(), nullable=False),
        sa.Column("resolution", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("issue_reports", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_issue_reports_course_id"), ["course_id"], unique=False)

    op.create_table(
        "kiosk_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("install_id", sa.String(length=100), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["candidate_id"],
            ["candidates.id"],
        ),
        sa.ForeignKeyConstraint(
            ["install_id"],
            ["kiosk_devices.install_id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("install_id", "event_id"),
    )
    with op.batch_alter_table("kiosk_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kiosk_events_candidate_id"), ["candidate_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_kiosk_events_install_id"), ["install_id"], unique=False)

    op.create_table(
        "kiosk_instructions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("install_id", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("acked_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["install_id"],
            ["kiosk_devices.install_id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("kiosk_instructions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kiosk_instructions_install_id"), ["install_id"], unique=False)

    op.create_table(
        "live_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("challenge_id", sa.String(length=100), nullable=False),
        sa.Column("question_number", sa.Integer(), nullable=False),
        sa.Column("has_image", sa.Boolean(), nullable=False),
        sa.Column("has_embed", sa.Boolean(), nullable=False),
        sa.Column("has_attachment", sa.Boolean(), nullable=False),
        sa.Column("is_focus", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("subcategory", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("live_alerts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_live_alerts_course_id"), ["course_id"], unique=False)

    op.create_table(
        "results",
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("comment", sa.String(length=80), nullable=True),
        sa.Column("answer_count", sa.Integer(), nullable=False),
        sa.Column("capacity", sa.Float(), nullable=True),
        sa.Column("pix_score", sa.Integer(), nullable=False),
        sa.Column("mesh", sa.Integer(), nullable=True),
        sa.Column("competence_levels", sa.JSON(), nullable=False),
        sa.Column("degraded", sa.Boolean(), nullable=False),
        sa.Column("scored_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["courses.id"],
        ),
        sa.PrimaryKeyConstraint("course_id"),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("results")
    with op.batch_alter_table("live_alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_live_alerts_course_id"))

    op.drop_table("live_alerts")
    with op.batch_alter_table("kiosk_instructions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kiosk_instructions_install_id"))

    op.drop_table("kiosk_instructions")
    with op.batch_alter_table("kiosk_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kiosk_events_install_id"))
        batch_op.drop_index(batch_op.f("ix_kiosk_events_candidate_id"))

    op.drop_table("kiosk_events")
    with op.batch_alter_table("issue_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_issue_reports_course_id"))

    op.drop_table("issue_reports")
    with op.batch_alter_table("asked_challenges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_asked_challenges_course_id"))

    op.drop_table("asked_challenges")
    with op.batch_alter_table("answers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_answers_course_id"))

    op.drop_table("answers")
    op.drop_table("kiosk_devices")
    with op.batch_alter_table("courses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_courses_session_id"))

    op.drop_table("courses")
    with op.batch_alter_table("candidate_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_candidate_tokens_candidate_id"))

    op.drop_table("candidate_tokens")
    with op.batch_alter_table("candidates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_candidates_session_id"))

    op.drop_table("candidates")
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sessions_access_code"))

    op.drop_table("sessions")
    op.drop_table("organisers")
    op.drop_table("certification_versions")
    op.drop_table("centres")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_at"))

    op.drop_table("audit_log")
