"""The learning platform's own identities (a learner's user id, an enrollment's batch id) and
dead-lettered outbox events.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("learners") as batch:
        batch.add_column(sa.Column("platform_user_id", sa.String(64)))
    op.create_index("ix_learners_platform_user_id", "learners", ["platform_user_id"], unique=True)
    with op.batch_alter_table("enrollments") as batch:
        batch.add_column(sa.Column("batch_id", sa.String(64)))
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("parked_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("parked_at")
    with op.batch_alter_table("enrollments") as batch:
        batch.drop_column("batch_id")
    op.drop_index("ix_learners_platform_user_id", table_name="learners")
    with op.batch_alter_table("learners") as batch:
        batch.drop_column("platform_user_id")
