"""The course funnel: how far the visible learners got in each course they are enrolled in.

Counted in one aggregate query under `learning.dashboard_queries.visible` (the one scope
check), grouped by course. Each stage counts the enrollments that reached it or a later one,
so the funnel never widens: a course completed on the learning platform without a lesson here
counts as started and half done.

- enrolled: an enrollment in the course;
- started: a lesson finished or a quiz taken in it (or completed);
- half done: lessons finished in it at least half the course's lessons, as the content
  library counts them (or completed); unknown for a course the library does not hold;
- completed: the enrollment is completed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, exists, func, literal, or_, select
from sqlalchemy.orm import Session

from learning.campaigns import Actor
from learning.dashboard_queries import MAX_CHOICES, Filters, visible
from learning.models import EnrollmentRow, LearnerRow, LessonCompletionRow, QuizAttemptRow


@dataclass(frozen=True)
class Funnel:
    """One course's funnel (counts of enrollments of visible learners)."""

    course: str
    enrolled: int
    started: int
    #: None when the library does not know how many lessons the course has.
    half_done: int | None
    completed: int

    def percent(self, count: int | None) -> int | None:
        """`count` as a whole percentage of those enrolled."""
        if count is None or not self.enrolled:
            return None
        return round(100 * count / self.enrolled)


def _taken(table: Any) -> ColumnElement[bool]:
    """Whether the enrollment's learner has a row of `table` in the enrollment's course."""
    return exists().where(
        table.learner_id == EnrollmentRow.learner_id, table.course_id == EnrollmentRow.course_id
    )


def _lessons_done() -> Any:
    """Lessons the enrollment's learner finished in its course."""
    done = LessonCompletionRow
    return (
        select(func.count())
        .where(
            done.learner_id == EnrollmentRow.learner_id, done.course_id == EnrollmentRow.course_id
        )
        .scalar_subquery()
    )


def course_funnels(
    session: Session,
    actor: Actor,
    filters: Filters,
    lessons: Mapping[str, int],
    now: datetime,
) -> list[Funnel]:
    """Each course's funnel among the visible, filtered learners, most enrolled first.

    Args:
        session: An open session on the learner store.
        actor: Who is looking.
        filters: The page's filters (a course filter shows that course only).
        lessons: How many lessons each course has, by course id (the content library).
        now: The current time.

    Raises:
        OutOfScope: see `visible`.
    """
    where = visible(session, actor, filters, now)
    if filters.course:
        where.append(EnrollmentRow.course_id == filters.course)
    known = {course: total for course, total in lessons.items() if total > 0}
    total: Any = case(known, value=EnrollmentRow.course_id) if known else literal(None)
    done = EnrollmentRow.completed_at.is_not(None)
    started = or_(done, _taken(LessonCompletionRow), _taken(QuizAttemptRow))
    half = or_(done, 2 * _lessons_done() >= total)
    enrolled = func.count()
    query = (
        select(
            EnrollmentRow.course_id,
            enrolled,
            func.count(case((started, 1))),
            func.count(case((half, 1))),
            func.count(EnrollmentRow.completed_at),
        )
        .join(LearnerRow, LearnerRow.id == EnrollmentRow.learner_id)
        .where(*where)
        .group_by(EnrollmentRow.course_id)
        .order_by(enrolled.desc(), EnrollmentRow.course_id)
        .limit(MAX_CHOICES)
    )
    return [
        Funnel(str(course), int(n), int(s), int(h) if course in known else None, int(c))
        for course, n, s, h, c in session.execute(query)
    ]
