"""Unanswered questions by the asker's organisation, for the dashboard's knowledge gaps page.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-11
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

NOW = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "gap_questions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(64), nullable=False, unique=True),
        sa.Column("normalized", sa.String(500), nullable=False),
        sa.Column("question", sa.String(500), nullable=False),
        sa.Column("language", sa.String(16), nullable=False),
        sa.Column("course", sa.String(64), nullable=False),
        sa.Column("organisation", sa.String(200)),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("first_asked", NOW, nullable=False),
        sa.Column("last_asked", NOW, nullable=False),
    )
    op.create_index("ix_gap_questions_organisation", "gap_questions", ["organisation"])
    op.create_index("ix_gap_questions_last_asked", "gap_questions", ["last_asked"])


def downgrade() -> None:
    op.drop_table("gap_questions")
