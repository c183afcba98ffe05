"""Reaching learners unprompted: organisations, campaigns, sends, spaced-review items, the audit
log and API tokens; learners' access and time zone; enrollments' due dates.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

NOW = sa.DateTime(timezone=True)


def _learner(ondelete: str = "CASCADE", nullable: bool = False) -> sa.Column[str]:
    return sa.Column(
        "learner_id",
        sa.String(36),
        sa.ForeignKey("learners.id", ondelete=ondelete),
        nullable=nullable,
    )


def upgrade() -> None:
    with op.batch_alter_table("learners") as batch:
        batch.add_column(
            sa.Column("access", sa.String(16), nullable=False, server_default="learner")
        )
        batch.add_column(sa.Column("timezone", sa.String(64)))
    op.create_index("ix_learners_organisation", "learners", ["organisation"])
    with op.batch_alter_table("enrollments") as batch:
        batch.add_column(sa.Column("due_on", sa.Date()))
    op.create_index("ix_enrollments_course", "enrollments", ["course_id", "completed_at"])
    op.create_table(
        "organisations",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column(
            "parent_id", sa.Integer(), sa.ForeignKey("organisations.id", ondelete="SET NULL")
        ),
        sa.Column("path", sa.String(1000), nullable=False),
        sa.Column("created_at", NOW, nullable=False),
    )
    op.create_index("ix_organisations_path", "organisations", ["path"])
    op.create_table(
        "campaigns",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("owner_id", sa.String(36), sa.ForeignKey("learners.id", ondelete="SET NULL")),
        sa.Column("scope", sa.String(200)),
        sa.Column("filters", sa.Text(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("schedule", sa.String(64), nullable=False),
        sa.Column("next_run_at", NOW),
        sa.Column("runs", sa.Integer(), nullable=False),
        sa.Column("created_at", NOW, nullable=False),
        sa.Column("updated_at", NOW, nullable=False),
    )
    op.create_index("ix_campaigns_next_run_at", "campaigns", ["next_run_at"])
    op.create_table(
        "sends",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("campaign_id", sa.String(36), sa.ForeignKey("campaigns.id", ondelete="CASCADE")),
        sa.Column("run", sa.Integer(), nullable=False),
        _learner(),
        sa.Column("payload", sa.Text()),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(32)),
        sa.Column("channel", sa.String(16)),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("not_before", NOW, nullable=False),
        sa.Column("lease_until", NOW),
        sa.Column("worker", sa.String(64)),
        sa.Column("message_ids", sa.Text()),
        sa.Column("error", sa.Text()),
        sa.Column("created_at", NOW, nullable=False),
        sa.Column("sent_at", NOW),
        sa.UniqueConstraint("key", name="uq_send_key"),
    )
    op.create_index("ix_sends_due", "sends", ["status", "not_before"])
    op.create_index("ix_sends_campaign", "sends", ["campaign_id", "status"])
    op.create_index("ix_sends_learner", "sends", ["learner_id", "sent_at"])
    op.create_table(
        "review_items",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        _learner(),
        sa.Column("course_id", sa.String(64), nullable=False),
        sa.Column("quiz_id", sa.String(64), nullable=False),
        sa.Column("question_id", sa.String(64), nullable=False),
        sa.Column("stage", sa.Integer(), nullable=False),
        sa.Column("due_at", NOW, nullable=False),
        sa.Column("reviews", sa.Integer(), nullable=False),
        sa.Column("retired_at", NOW),
        sa.Column("updated_at", NOW, nullable=False),
        sa.UniqueConstraint("learner_id", "course_id", "question_id", name="uq_review_item"),
    )
    op.create_index("ix_review_due", "review_items", ["retired_at", "due_at"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", NOW, nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("campaign_id", sa.String(36)),
        sa.Column("allowed", sa.Boolean(), nullable=False),
        sa.Column("detail", sa.Text()),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_index("ix_audit_log_campaign_id", "audit_log", ["campaign_id"])
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("digest", sa.String(64), nullable=False, unique=True),
        _learner(),
        sa.Column("label", sa.String(200)),
        sa.Column("created_at", NOW, nullable=False),
        sa.Column("revoked_at", NOW),
    )
    op.create_index("ix_api_tokens_learner_id", "api_tokens", ["learner_id"])


def downgrade() -> None:
    for table in ("api_tokens", "audit_log", "review_items", "sends", "campaigns", "organisations"):
        op.drop_table(table)
    op.drop_index("ix_enrollments_course", "enrollments")
    with op.batch_alter_table("enrollments") as batch:
        batch.drop_column("due_on")
    op.drop_index("ix_learners_organisation", "learners")
    with op.batch_alter_table("learners") as batch:
        batch.drop_column("timezone")
        batch.drop_column("access")
