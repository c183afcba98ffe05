"""Messaging channels: deliveries seen, button keys, outbound messages and their statuses,
opt-in/opt-out events, invites; learners' confirmed names and each link's last inbound time.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

NOW = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("learners") as batch:
        batch.add_column(
            sa.Column("name_confirmed", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("channel_links") as batch:
        batch.add_column(sa.Column("last_inbound_at", NOW, nullable=True))
    # Learners imported from a roster carry their real names.
    op.execute(
        "UPDATE learners SET name_confirmed = phone IS NOT NULL OR telegram_username IS NOT NULL"
    )
    op.create_table(
        "processed_updates",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("update_id", sa.String(128), nullable=False),
        sa.Column("received_at", NOW, nullable=False),
        sa.UniqueConstraint("channel", "update_id", name="uq_processed_update"),
    )
    op.create_table(
        "button_keys",
        sa.Column("key", sa.String(32), primary_key=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_at", NOW, nullable=False),
    )
    op.create_table(
        "outbound_messages",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("message_id", sa.String(128), nullable=False),
        sa.Column("learner_id", sa.String(36), sa.ForeignKey("learners.id", ondelete="SET NULL")),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("campaign_id", sa.String(36)),
        sa.Column("created_at", NOW, nullable=False),
        sa.Column("sent_at", NOW),
        sa.Column("delivered_at", NOW),
        sa.Column("read_at", NOW),
        sa.Column("failed_at", NOW),
        sa.Column("error_code", sa.String(32)),
        sa.Column("error", sa.Text()),
        sa.Column("permanent", sa.Boolean(), nullable=False),
        sa.UniqueConstraint("channel", "message_id", name="uq_outbound_message"),
    )
    op.create_index("ix_outbound_learner", "outbound_messages", ["learner_id", "created_at"])
    op.create_table(
        "opt_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "learner_id",
            sa.String(36),
            sa.ForeignKey("learners.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("at", NOW, nullable=False),
    )
    op.create_index("ix_opt_events_learner_id", "opt_events", ["learner_id"])
    op.create_table(
        "invites",
        sa.Column("code", sa.String(16), primary_key=True),
        sa.Column(
            "learner_id",
            sa.String(36),
            sa.ForeignKey("learners.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("created_at", NOW, nullable=False),
        sa.Column("expires_at", NOW, nullable=False),
        sa.Column("used_at", NOW),
        sa.Column("used_by", sa.String(160)),
    )
    op.create_index("ix_invites_learner_id", "invites", ["learner_id"])


def downgrade() -> None:
    for table in ("invites", "opt_events", "outbound_messages", "button_keys", "processed_updates"):
        op.drop_table(table)
    with op.batch_alter_table("channel_links") as batch:
        batch.drop_column("last_inbound_at")
    with op.batch_alter_table("learners") as batch:
        batch.drop_column("name_confirmed")
