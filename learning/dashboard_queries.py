"""What the supervisor dashboard shows, as aggregate SQL over the learners an actor may see.

`visible` is the dashboard's one scope check: it turns the signed-in actor and the page's
filters into the conditions on `learners` that every figure is counted under, and refuses an
organisation outside the actor's reach. A supervisor sees their own organisation's subtree, an
admin everyone (learning/organisations.py). Every figure is a COUNT or SUM in the database,
never a loop over learners in Python, so the page costs the same few queries at any size.

"Active" means learning: finishing a lesson or taking a quiz (an enrollment alone is not: the
roster creates mandatory ones). Both leave dated rows, so the same definition gives the last 7
and 30 days and the weekly chart, whose last bar is the last 7 days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, func, select, union_all
from sqlalchemy.orm import Session, aliased

from learning.campaign_models import OrganisationRow
from learning.campaigns import Actor
from learning.cohort import Cohort, conditions
from learning.models import (
    EnrollmentRow,
    LearnerRow,
    LessonCompletionRow,
    PointsRow,
    QuizAttemptRow,
)
from learning.organisations import in_reach, subtree_names

#: Mandatory courses due within this many days count as "due soon".
DUE_SOON_DAYS = 14
#: Weeks of activity in the chart (rolling 7-day windows ending now).
CHART_WEEKS = 12
#: Filter choices listed at most (a filter value can still be typed into the URL).
MAX_CHOICES = 500


class OutOfScope(LookupError):
    """The organisation does not exist or lies outside the actor's reach (a 404 to them)."""


@dataclass(frozen=True)
class Filters:
    """The page's filters; each left empty matches every visible learner."""

    organisation: str | None = None
    role: str | None = None
    course: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class Week:
    """Learners active in the 7 days from `start` (a date in the deployment's time zone)."""

    start: date
    active: int


@dataclass(frozen=True)
class Overview:
    """The team at a glance (counts of the filtered, visible learners)."""

    learners: int
    active_7: int
    active_30: int
    lessons_completed: int
    courses_completed: int
    karma_points: int
    #: Mandatory course enrollments not completed and due in the next `DUE_SOON_DAYS` days.
    due_soon: int
    #: Mandatory course enrollments not completed and past their due date.
    overdue: int
    weeks: tuple[Week, ...]


@dataclass(frozen=True)
class Choices:
    """What the filters offer within the actor's reach."""

    organisations: list[str]
    roles: list[str]
    courses: list[str]
    languages: list[str]


def organisations(session: Session, actor: Actor) -> list[str]:
    """The organisations the actor may look at, by name."""
    if actor.reach.everyone:
        query = select(OrganisationRow.name)
    elif actor.reach.root is not None:
        query = subtree_names(actor.reach.root)
    else:
        return []
    return list(session.scalars(query.order_by(OrganisationRow.name).limit(MAX_CHOICES)))


def visible(
    session: Session, actor: Actor, filters: Filters, now: datetime
) -> list[ColumnElement[bool]]:
    """The conditions on `LearnerRow` for the learners the actor may see, filtered.

    Raises:
        OutOfScope: when the actor reaches no one, or the organisation filter names one that
            does not exist or lies outside their reach (the same answer for both).
    """
    if actor.reach.nobody:
        raise OutOfScope("no reach")
    if filters.organisation is not None:
        allowed = (
            select(OrganisationRow.name)
            if actor.reach.everyone
            else subtree_names(actor.reach.root or "")
        )
        found = session.scalar(
            select(func.count()).select_from(
                allowed.where(OrganisationRow.name == filters.organisation).subquery()
            )
        )
        if not found:
            raise OutOfScope(filters.organisation)
    cohort = Cohort(role=filters.role, language=filters.language, organisation=filters.organisation)
    where = conditions(cohort, actor.reach, now)
    if filters.course:
        taking = aliased(EnrollmentRow)  # the figures' own queries select from enrollments too
        where.append(
            exists().where(taking.learner_id == LearnerRow.id, taking.course_id == filters.course)
        )
    return where


def choices(session: Session, actor: Actor) -> Choices:
    """Filter values present among the learners in the actor's reach (not narrowed by filters)."""
    reach: Any = in_reach(actor.reach)

    def distinct(column: Any, *join: Any) -> list[str]:
        query = select(column).select_from(LearnerRow)
        for target, on in join:
            query = query.join(target, on)
        query = query.where(reach, column.is_not(None)).group_by(column).order_by(column)
        return [str(value) for value in session.scalars(query.limit(MAX_CHOICES))]

    return Choices(
        organisations=organisations(session, actor),
        roles=distinct(LearnerRow.role),
        courses=distinct(
            EnrollmentRow.course_id, (EnrollmentRow, EnrollmentRow.learner_id == LearnerRow.id)
        ),
        languages=distinct(LearnerRow.language),
    )


def _activity(since: datetime, course: str | None) -> Any:
    """(learner_id, at) for every dated learning step since `since` (in `course`, if given)."""
    parts = []
    for table, at in (
        (LessonCompletionRow, LessonCompletionRow.completed_at),
        (QuizAttemptRow, QuizAttemptRow.started_at),
    ):
        where = [at >= since] + ([table.course_id == course] if course else [])
        parts.append(select(table.learner_id.label("learner_id"), at.label("at")).where(*where))
    return union_all(*parts).subquery("activity")


def _distinct_learners(condition: ColumnElement[bool], learner: Any) -> Any:
    return func.count(func.distinct(case((condition, learner))))


def overview(
    session: Session, actor: Actor, filters: Filters, now: datetime, zone: tzinfo
) -> Overview:
    """The figures of the team overview.

    Args:
        session: An open session on the learner store.
        actor: Who is looking (their reach bounds every figure).
        filters: The page's filters.
        now: The current time (aware; compared with stored UTC times).
        zone: The deployment's time zone: what "today" is for due dates, and week labels.

    Raises:
        OutOfScope: see `visible`.
    """
    where = visible(session, actor, filters, now)
    course, today = filters.course, now.astimezone(zone).date()
    learners = session.scalar(select(func.count()).select_from(LearnerRow).where(*where)) or 0

    starts = [now - timedelta(days=7 * (CHART_WEEKS - i)) for i in range(CHART_WEEKS)]
    activity = _activity(min(starts[0], now - timedelta(days=30)), course)
    at, learner = activity.c.at, activity.c.learner_id
    bounds = [*starts[1:], None]
    columns = [
        _distinct_learners(at >= now - timedelta(days=7), learner),
        _distinct_learners(at >= now - timedelta(days=30), learner),
        *(
            _distinct_learners(at >= start if end is None else and_(at >= start, at < end), learner)
            for start, end in zip(starts, bounds, strict=True)
        ),
    ]
    joined = activity.join(LearnerRow, LearnerRow.id == learner)
    active = session.execute(select(*columns).select_from(joined).where(*where)).one()

    lessons = select(func.count()).select_from(LessonCompletionRow).join(LearnerRow)
    if course:
        lessons = lessons.where(LessonCompletionRow.course_id == course)
    open_ = EnrollmentRow.completed_at.is_(None)
    soon = and_(open_, EnrollmentRow.due_on >= today,
                EnrollmentRow.due_on <= today + timedelta(days=DUE_SOON_DAYS))  # fmt: skip
    overdue = and_(open_, EnrollmentRow.due_on < today)
    enrollments = select(
        func.count(EnrollmentRow.completed_at),
        func.count(case((soon, EnrollmentRow.id))),
        func.count(case((overdue, EnrollmentRow.id))),
    ).join(LearnerRow, LearnerRow.id == EnrollmentRow.learner_id)
    if course:
        enrollments = enrollments.where(EnrollmentRow.course_id == course)
    completed, due_soon, late = session.execute(enrollments.where(*where)).one()
    points = select(func.coalesce(func.sum(PointsRow.points), 0)).join(LearnerRow)

    return Overview(
        learners=int(learners),
        active_7=int(active[0]),
        active_30=int(active[1]),
        lessons_completed=int(session.scalar(lessons.where(*where)) or 0),
        courses_completed=int(completed or 0),
        karma_points=int(session.scalar(points.where(*where)) or 0),
        due_soon=int(due_soon or 0),
        overdue=int(late or 0),
        weeks=tuple(
            Week(start.astimezone(zone).date(), int(n))
            for start, n in zip(starts, active[2:], strict=True)
        ),
    )


def viewer_name(session: Session, learner_id: str) -> str:
    """The signed-in learner's name as the roster has it (their id when it has none)."""
    name = session.scalar(select(LearnerRow.name).where(LearnerRow.id == learner_id))
    return name or learner_id
