"""The campaign report at 100,000 sends (bench.dashboard): `sends (campaign_id, status,
learner_id, sent_at)` in place of `(campaign_id, status)`, which it extends.

A campaign's learners sent to, each with their first message's time, come from the index alone:
the conversion window is checked from the lessons completed since the first message (a probe of
the index per lesson), and the sends over time are counted without reading the rows.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-13
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_sends_campaign", table_name="sends")
    op.create_index(
        "ix_sends_campaign", "sends", ["campaign_id", "status", "learner_id", "sent_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_sends_campaign", table_name="sends")
    op.create_index("ix_sends_campaign", "sends", ["campaign_id", "status"])
