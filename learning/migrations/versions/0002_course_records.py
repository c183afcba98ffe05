"""Course records: enrollments, lesson completions, quiz attempts and answers, the points
ledger, certificates, the sync outbox, and learner roster fields.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _learner_fk() -> sa.Column:
    return sa.Column(
        "learner_id",
        sa.String(36),
        sa.ForeignKey("learners.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )


def _at(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    with op.batch_alter_table("learners") as batch:
        batch.add_column(sa.Column("phone", sa.String(32), nullable=True))
        batch.add_column(sa.Column("telegram_username", sa.String(64), nullable=True))
        batch.add_column(sa.Column("active_course_id", sa.String(64), nullable=True))
        batch.create_unique_constraint("uq_learners_phone", ["phone"])
        batch.create_unique_constraint("uq_learners_telegram_username", ["telegram_username"])
    op.create_table(
        "enrollments",
        sa.Column("id", sa.String(36), primary_key=True),
        _learner_fk(),
        sa.Column("course_id", sa.String(64), nullable=False),
        sa.Column("course_version", sa.Integer(), nullable=False),
        sa.Column("lesson_id", sa.String(64), nullable=True),
        sa.Column("part", sa.Integer(), nullable=False),
        _at("enrolled_at"),
        _at("completed_at", nullable=True),
        _at("updated_at"),
        sa.UniqueConstraint("learner_id", "course_id", name="uq_enrollment"),
    )
    op.create_table(
        "lesson_completions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        _learner_fk(),
        sa.Column("course_id", sa.String(64), nullable=False),
        sa.Column("lesson_id", sa.String(64), nullable=False),
        sa.Column("language", sa.String(16), nullable=False),
        _at("completed_at"),
        sa.UniqueConstraint("learner_id", "course_id", "lesson_id", name="uq_lesson_completion"),
    )
    op.create_table(
        "quiz_attempts",
        sa.Column("id", sa.String(36), primary_key=True),
        _learner_fk(),
        sa.Column("course_id", sa.String(64), nullable=False),
        sa.Column("quiz_id", sa.String(64), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("layout", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("passed", sa.Boolean(), nullable=True),
        sa.Column("language", sa.String(16), nullable=False),
        _at("started_at"),
        _at("finished_at", nullable=True),
        sa.UniqueConstraint("learner_id", "course_id", "quiz_id", "number", name="uq_quiz_attempt"),
    )
    op.create_table(
        "quiz_answers",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "attempt_id",
            sa.String(36),
            sa.ForeignKey("quiz_attempts.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        ),
        sa.Column("question_id", sa.String(64), nullable=False),
        sa.Column("option_id", sa.String(16), nullable=False),
        sa.Column("correct", sa.Boolean(), nullable=False),
        _at("answered_at"),
        sa.UniqueConstraint("attempt_id", "question_id", name="uq_quiz_answer"),
    )
    op.create_table(
        "points_ledger",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        _learner_fk(),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        _at("awarded_at"),
        sa.UniqueConstraint("learner_id", "key", name="uq_points_key"),
    )
    op.create_table(
        "certificates",
        sa.Column("code", sa.String(16), primary_key=True),
        _learner_fk(),
        sa.Column("course_id", sa.String(64), nullable=False),
        sa.Column("learner_name", sa.String(200), nullable=False),
        sa.Column("course_title", sa.String(200), nullable=False),
        _at("issued_at"),
        sa.UniqueConstraint("learner_id", "course_id", name="uq_certificate"),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("sink", sa.String(16), nullable=False),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        _at("created_at"),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _at("next_attempt_at"),
        _at("sent_at", nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.UniqueConstraint("sink", "event_id", name="uq_outbox_event"),
    )
    op.create_index("ix_outbox_due", "outbox", ["sink", "sent_at", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_outbox_due", table_name="outbox")
    for table in ("outbox", "certificates", "points_ledger", "quiz_answers", "quiz_attempts",
                  "lesson_completions", "enrollments"):  # fmt: skip
        op.drop_table(table)
    with op.batch_alter_table("learners") as batch:
        batch.drop_constraint("uq_learners_telegram_username", type_="unique")
        batch.drop_constraint("uq_learners_phone", type_="unique")
        batch.drop_column("active_course_id")
        batch.drop_column("telegram_username")
        batch.drop_column("phone")
