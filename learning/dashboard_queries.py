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

from sqlalchemy import ColumnElement, and_, case, exists, func, select, union, union_all
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

    if actor.reach.everyone:  # every enrollment has a learner: no join (ix_enrollments_course)
        query = select(EnrollmentRow.course_id).group_by(EnrollmentRow.course_id)
        courses = [
            str(c)
            for c in session.scalars(query.order_by(EnrollmentRow.course_id).limit(MAX_CHOICES))
        ]
    else:
        on = EnrollmentRow.learner_id == LearnerRow.id
        courses = distinct(EnrollmentRow.course_id, (EnrollmentRow, on))
    return Choices(
        organisations=organisations(session, actor),
        roles=distinct(LearnerRow.role),
        courses=courses,
        languages=distinct(LearnerRow.language),
    )


def _windows(now: datetime) -> list[tuple[datetime, datetime | None]]:
    """[start, end) of each week of the chart (the last one open: the last 7 days), then the
    last 30 days."""
    starts = [now - timedelta(days=7 * (CHART_WEEKS - i)) for i in range(CHART_WEEKS)]
    ends: list[datetime | None] = [*starts[1:], None]
    return [*zip(starts, ends, strict=True), (now - timedelta(days=30), None)]


def _steps() -> tuple[tuple[Any, Any], ...]:
    """(table, its time) of each dated learning step: lessons finished, quizzes taken."""
    return (
        (LessonCompletionRow, LessonCompletionRow.completed_at),
        (QuizAttemptRow, QuizAttemptRow.started_at),
    )


def _between(at: Any, start: datetime, end: datetime | None) -> ColumnElement[bool]:
    return at >= start if end is None else and_(at >= start, at < end)


def _active_everyone(session: Session, now: datetime) -> list[int]:
    """Learners active in each window, over every learner: one small query per window.

    Each window reads only its own rows, by time (ix_*_time), and counts the distinct
    learners of the UNION of its lessons and quizzes; every learning step has a learner (a
    foreign key, cascading), so no join is needed.
    """
    counts = []
    for start, end in _windows(now):
        steps = [select(t.learner_id).where(_between(at, start, end)) for t, at in _steps()]
        counts.append(select(func.count()).select_from(union(*steps).subquery()).scalar_subquery())
    return [int(n or 0) for n in session.execute(select(*counts)).one()]


def _active_within(
    session: Session, where: list[ColumnElement[bool]], course: str | None, now: datetime
) -> list[int]:
    """Learners active in each window, among the learners `where` selects.

    The learners in scope come first, and each one's steps since the chart's first week
    (ix_*_learner_time): one row per learner and table with a flag per window, then one per
    learner, then the sums. A team's cost follows its size, not the organisation's.
    """
    windows = _windows(now)
    since = min(start for start, _ in windows)
    parts = []
    for table, at in _steps():
        on = [table.learner_id == LearnerRow.id, at >= since]
        if course:
            on.append(table.course_id == course)
        flags = [
            func.max(case((_between(at, start, end), 1), else_=0)).label(f"w{i}")
            for i, (start, end) in enumerate(windows)
        ]
        parts.append(
            select(table.learner_id.label("learner_id"), *flags)
            .select_from(LearnerRow)
            .join(table, and_(*on))
            .where(*where)
            .group_by(table.learner_id)
        )
    steps = union_all(*parts).subquery("steps")
    names = [f"w{i}" for i in range(len(windows))]
    learner = (
        select(*(func.max(steps.c[name]).label(name) for name in names))
        .group_by(steps.c.learner_id)
        .subquery("learner")
    )
    sums = select(*(func.coalesce(func.sum(learner.c[name]), 0) for name in names))
    return [int(n or 0) for n in session.execute(sums).one()]


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
    # Everyone, unfiltered: every row counts, so the figures need no join with `learners`.
    everyone = actor.reach.everyone and filters == Filters()

    if everyone:
        windows = _active_everyone(session, now)
    else:
        windows = _active_within(session, where, course, now)
    *weekly, active_30 = windows

    def scoped(query: Any, learner: Any) -> Any:
        return query if everyone else query.where(learner.in_(select(LearnerRow.id).where(*where)))

    lessons = select(func.count()).select_from(LessonCompletionRow)
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
    ).select_from(EnrollmentRow)
    if course:
        enrollments = enrollments.where(EnrollmentRow.course_id == course)
    completed, due_soon, late = session.execute(scoped(enrollments, EnrollmentRow.learner_id)).one()
    points = select(func.coalesce(func.sum(PointsRow.points), 0)).select_from(PointsRow)
    lessons_done = session.scalar(scoped(lessons, LessonCompletionRow.learner_id))

    return Overview(
        learners=int(learners),
        active_7=int(weekly[-1]),
        active_30=int(active_30),
        lessons_completed=int(lessons_done or 0),
        courses_completed=int(completed or 0),
        karma_points=int(session.scalar(scoped(points, PointsRow.learner_id)) or 0),
        due_soon=int(due_soon or 0),
        overdue=int(late or 0),
        weeks=tuple(
            Week(start.astimezone(zone).date(), int(n))
            for (start, _), n in zip(_windows(now)[:CHART_WEEKS], weekly, strict=True)
        ),
    )


def viewer_name(session: Session, learner_id: str) -> str:
    """The signed-in learner's name as the roster has it (their id when it has none)."""
    name = session.scalar(select(LearnerRow.name).where(LearnerRow.id == learner_id))
    return name or learner_id
