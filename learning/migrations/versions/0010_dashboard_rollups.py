"""Rollups for the dashboard's overview (learning/activity.py), filled from the raw rows.

- `learner_stats`: per learner, lessons and courses completed, Karma Points, the last learning
  step and the weeks with one (a bit set);
- `learner_course_stats`: the same per learner and course, less the points;
- `enrollments (due_on, completed_at, learner_id, course_id)` and `(learner_id, completed_at,
  due_on, course_id)`, the latter in place of the plain `learner_id` index it extends: the open
  enrollments due soon or overdue, from the index alone (everyone's by date, a team's by
  learner), and a team's courses;
- `learners (organisation, id, role, language)` in place of `(organisation, id)`, and `(role,
  language)`: the roles and languages the filters offer, from the index alone.

The backfill is one `INSERT … SELECT` per table (learning/activity.py `rebuild_sql`), with weeks
in the deployment's time zone (KARMABOT_TIMEZONE, read here as the settings do).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-13
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

from learning.activity import rebuild

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

DUE = ("due_on", "completed_at", "learner_id", "course_id")
BY_LEARNER = ("learner_id", "completed_at", "due_on", "course_id")
#: The learners' index by organisation before (0009) and after.
TEAM = (("organisation", "id"), ("organisation", "id", "role", "language"))


def _activity() -> list[sa.Column[object]]:
    return [
        sa.Column("lessons_completed", sa.Integer(), nullable=False),
        sa.Column("courses_completed", sa.Integer(), nullable=False),
        sa.Column("last_active_at", sa.DateTime(timezone=True)),
        sa.Column("active_week", sa.Integer()),
        sa.Column("weeks", sa.BigInteger(), nullable=False),
    ]


def _learner() -> sa.Column[str]:
    return sa.Column(
        "learner_id", sa.String(36), sa.ForeignKey("learners.id", ondelete="CASCADE"),
        primary_key=True,
    )  # fmt: skip


def upgrade() -> None:
    op.create_table(
        "learner_stats", _learner(), *_activity(),
        sa.Column("points", sa.Integer(), nullable=False), sqlite_with_rowid=False,
    )  # fmt: skip
    op.create_table(
        "learner_course_stats", _learner(),
        sa.Column("course_id", sa.String(64), primary_key=True), *_activity(),
        sqlite_with_rowid=False,
    )  # fmt: skip
    op.create_index("ix_enrollments_due", "enrollments", list(DUE))
    op.create_index("ix_enrollments_learner_due", "enrollments", list(BY_LEARNER))
    op.drop_index("ix_enrollments_learner_id", table_name="enrollments")
    _team(TEAM[1])
    op.create_index("ix_learners_role", "learners", ["role", "language"])
    zone = ZoneInfo(os.environ.get("KARMABOT_TIMEZONE") or "Asia/Kolkata")
    rebuild(op.get_bind(), zone, datetime.now(UTC))


def _team(columns: tuple[str, ...]) -> None:
    op.drop_index("ix_learners_organisation", table_name="learners")
    op.create_index("ix_learners_organisation", "learners", list(columns))


def downgrade() -> None:
    op.drop_index("ix_learners_role", table_name="learners")
    _team(TEAM[0])
    op.create_index("ix_enrollments_learner_id", "enrollments", ["learner_id"])
    op.drop_index("ix_enrollments_learner_due", table_name="enrollments")
    op.drop_index("ix_enrollments_due", table_name="enrollments")
    op.drop_table("learner_course_stats")
    op.drop_table("learner_stats")
