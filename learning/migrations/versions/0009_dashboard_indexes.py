"""Indexes for the supervisor dashboard's figures at 100,000 learners (bench.dashboard).

- Learning steps by time, `(completed_at, learner_id)` and `(started_at, learner_id)`: an
  admin's unfiltered overview counts the learners active in each week by reading only that
  week's rows, from the index alone.
- A team's learners, `learners (organisation, id)` in place of `(organisation)`: the scope
  (the organisation's subtree) yields the learners' ids without reading their rows, once per
  figure.
- A learner's steps and points, `(learner_id, completed_at)`, `(learner_id, started_at)` and
  `(learner_id, points)`, in place of the plain `learner_id` indexes they extend: a team's
  figures start from its learners and read each one's rows since the chart's first week, and
  their points, from the index alone.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-12
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

#: (table, the plain learner_id index replaced, the learner's index, the time index or None)
INDEXES = (
    ("lesson_completions", ("learner_id", "completed_at"), ("completed_at", "learner_id")),
    ("quiz_attempts", ("learner_id", "started_at"), ("started_at", "learner_id")),
    ("points_ledger", ("learner_id", "points"), None),
)


def upgrade() -> None:
    op.drop_index("ix_learners_organisation", table_name="learners")
    op.create_index("ix_learners_organisation", "learners", ["organisation", "id"])
    for table, learner, by_time in INDEXES:
        op.create_index(f"ix_{table}_learner_{learner[1]}", table, list(learner))
        op.drop_index(f"ix_{table}_learner_id", table_name=table)
        if by_time:
            op.create_index(f"ix_{table}_{by_time[0]}", table, list(by_time))


def downgrade() -> None:
    for table, learner, by_time in reversed(INDEXES):
        if by_time:
            op.drop_index(f"ix_{table}_{by_time[0]}", table_name=table)
        op.create_index(f"ix_{table}_learner_id", table, ["learner_id"])
        op.drop_index(f"ix_{table}_learner_{learner[1]}", table_name=table)
    op.drop_index("ix_learners_organisation", table_name="learners")
    op.create_index("ix_learners_organisation", "learners", ["organisation"])
