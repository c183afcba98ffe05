"""The dashboard at 100,000 learners (bench.dashboard), second pass.

- `ix_learners_language`: everyone's languages by one probe per value (learning/loose_scan.py).
- `ix_learner_stats_week`: everyone's weekly chart from the index alone, over the learners
  whose latest week the chart shows.
- `ix_sends_campaign` gains `reason`: a campaign's counts by status and reason from the index.
- `ix_outbound_campaign`, partial (campaign messages only, not the conversations' replies): a
  campaign's delivery receipts from the index.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-14
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_CAMPAIGN_MESSAGES = sa.text("campaign_id IS NOT NULL")
_SENDS = ["campaign_id", "status", "learner_id", "sent_at"]


def upgrade() -> None:
    op.create_index("ix_learners_language", "learners", ["language"])
    op.create_index("ix_learner_stats_week", "learner_stats", ["active_week", "weeks"])
    op.drop_index("ix_sends_campaign", table_name="sends")
    op.create_index("ix_sends_campaign", "sends", [*_SENDS, "reason"])
    op.create_index(
        "ix_outbound_campaign", "outbound_messages",
        ["campaign_id", "learner_id", "delivered_at", "read_at", "failed_at", "message_id"],
        postgresql_where=_CAMPAIGN_MESSAGES, sqlite_where=_CAMPAIGN_MESSAGES,
    )  # fmt: skip


def downgrade() -> None:
    op.drop_index("ix_outbound_campaign", table_name="outbound_messages")
    op.drop_index("ix_sends_campaign", table_name="sends")
    op.create_index("ix_sends_campaign", "sends", _SENDS)
    op.drop_index("ix_learner_stats_week", table_name="learner_stats")
    op.drop_index("ix_learners_language", table_name="learners")
