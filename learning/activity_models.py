"""Rollups of the learner record for the dashboard, kept up to date on every write.

The dashboard's overview reads one narrow row per learner (or per learner and course) instead
of a year of lessons, quizzes and points: see learning/activity.py for how they are written and
rebuilt, and docs/ARCHITECTURE.md (D33) for why.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from learning.models import Base


class _Activity:
    """Lessons and courses completed, and when the learner was active: last step, and week by
    week (a course completion is not a step: the course's last lesson or quiz was).

    `weeks` is a bit set: bit i is set when the learner was active in week `active_week` - i
    (weeks counted from Monday 5 January 1970 in the deployment's time zone; `WEEK_BITS` kept).
    """

    lessons_completed: Mapped[int] = mapped_column(Integer, default=0)
    courses_completed: Mapped[int] = mapped_column(Integer, default=0)
    last_active_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    active_week: Mapped[int | None] = mapped_column(Integer)
    weeks: Mapped[int] = mapped_column(BigInteger, default=0)


class LearnerStatsRow(_Activity, Base):
    """A learner's totals: lessons, courses, Karma Points, activity (once they have any)."""

    __tablename__ = "learner_stats"
    # On SQLite, the row in its key's b-tree: one lookup per learner, not two. Everyone's
    # weekly chart from the index alone, the weeks it shows only (migration 0012).
    __table_args__ = (
        Index("ix_learner_stats_week", "active_week", "weeks"),
        {"sqlite_with_rowid": False},
    )

    learner_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("learners.id", ondelete="CASCADE"), primary_key=True
    )
    points: Mapped[int] = mapped_column(Integer, default=0)


class CourseStatsRow(_Activity, Base):
    """A learner's lessons, completion (0 or 1) and activity in one course (the dashboard's
    course filter)."""

    __tablename__ = "learner_course_stats"
    __table_args__ = ({"sqlite_with_rowid": False},)

    learner_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("learners.id", ondelete="CASCADE"), primary_key=True
    )
    course_id: Mapped[str] = mapped_column(String(64), primary_key=True)
