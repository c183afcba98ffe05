"""A learner's email address, from the roster (lower-cased, never shared): how an operator can
name a supervisor to `karmabot supervisors invite`.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-14
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("learners") as batch:
        batch.add_column(sa.Column("email", sa.String(254)))
    op.create_index("ix_learners_email", "learners", ["email"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_learners_email", table_name="learners")
    with op.batch_alter_table("learners") as batch:
        batch.drop_column("email")
