"""The supervisor dashboard's sign-in: one-time links and sessions, stored as digests.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-10
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

NOW = sa.DateTime(timezone=True)
TABLES = ("dashboard_links", "dashboard_sessions")


def upgrade() -> None:
    for table in TABLES:
        ends = "used_at" if table == "dashboard_links" else "revoked_at"
        op.create_table(
            table,
            sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
            sa.Column("digest", sa.String(64), nullable=False, unique=True),
            sa.Column(
                "learner_id",
                sa.String(36),
                sa.ForeignKey("learners.id", ondelete="CASCADE"),
                nullable=False,
            ),
            sa.Column("created_at", NOW, nullable=False),
            sa.Column("expires_at", NOW, nullable=False),
            sa.Column(ends, NOW),
        )
        op.create_index(f"ix_{table}_learner_id", table, ["learner_id"])


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
