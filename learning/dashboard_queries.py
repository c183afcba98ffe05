"""What the supervisor dashboard shows, as aggregate SQL over the learners an actor may see.

`visible` is the dashboard's one scope check: it turns the signed-in actor and the page's
filters into the conditions on `learners` that every figure is counted under, and refuses an
organisation outside the actor's reach. A supervisor sees their own organisation's subtree, an
admin everyone (learning/organisations.py). Every figure is a COUNT or SUM in the database,
never a loop over learners in Python, so the page costs the same few queries at any size.

"Active" means learning: finishing a lesson or taking a quiz (an enrollment alone is not: the
roster creates mandatory ones). Every such step updates the learner's rollups as it is written
(learning/activity.py): the last 7 and 30 days are counted from the last step, and the weekly
chart, by calendar week in the deployment's time zone (the last bar is the current week, so far),
from each learner's active weeks. The figures read one rollup row per learner in scope.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, exists, func, select
from sqlalchemy.orm import Session, aliased

from learning.activity import chart_counts, chart_sums, week_of, week_start
from learning.activity_models import CourseStatsRow, LearnerStatsRow
from learning.campaign_models import OrganisationRow
from learning.campaigns import Actor
from learning.cohort import Cohort, conditions
from learning.loose_scan import distinct_values
from learning.models import EnrollmentRow, LearnerRow
from learning.organisations import in_reach, subtree_names

#: Mandatory courses due within this many days count as "due soon".
DUE_SOON_DAYS = 14
#: Weeks of activity in the chart (calendar weeks, the last one the current week).
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
    """Learners active in the calendar week from Monday `start` (in the deployment's zone)."""

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
    where = conditions(cohort, actor.reach, now, session)
    if filters.course:
        taking = aliased(EnrollmentRow)  # the figures' own queries select from enrollments too
        where.append(
            exists().where(taking.learner_id == LearnerRow.id, taking.course_id == filters.course)
        )
    return where


def choices(session: Session, actor: Actor) -> Choices:
    """Filter values present among the learners in the actor's reach (not narrowed by filters).

    Everyone's: one probe per value of ix_learners_role, ix_learners_language and
    ix_enrollments_course (`learning.loose_scan`). A team's: one pass over its learners in
    ix_learners_organisation, and over their enrollments (ix_enrollments_learner_due).
    """

    def present(values: set[Any]) -> list[str]:
        return sorted(str(v) for v in values if v is not None)[:MAX_CHOICES]

    if actor.reach.everyone:
        roles = distinct_values(session, LearnerRow.role, MAX_CHOICES)
        languages = distinct_values(session, LearnerRow.language, MAX_CHOICES)
        courses = distinct_values(session, EnrollmentRow.course_id, MAX_CHOICES)
        return Choices(organisations(session, actor), present(set(roles)), courses,
                       present(set(languages)))  # fmt: skip
    reach: Any = in_reach(actor.reach, session)
    pairs = session.execute(
        select(LearnerRow.role, LearnerRow.language)
        .where(reach)
        .group_by(LearnerRow.role, LearnerRow.language)
    ).all()
    on = EnrollmentRow.learner_id == LearnerRow.id
    query = select(EnrollmentRow.course_id).select_from(LearnerRow).join(EnrollmentRow, on)
    query = query.where(reach).group_by(EnrollmentRow.course_id).order_by(EnrollmentRow.course_id)
    return Choices(
        organisations=organisations(session, actor),
        roles=present({role for role, _ in pairs}),
        courses=[str(c) for c in session.scalars(query.limit(MAX_CHOICES))],
        languages=present({language for _, language in pairs}),
    )


def _totals(stats: Any, now: datetime) -> list[Any]:
    """Sums over rollup rows: active in the last 7 and 30 days, lessons, courses."""
    last = stats.last_active_at

    def total(value: Any) -> Any:
        return func.coalesce(func.sum(value), 0)

    def since(days: int) -> Any:
        return total(case((last >= now - timedelta(days=days), 1), else_=0))

    return [since(7), since(30), total(stats.lessons_completed), total(stats.courses_completed)]


def _chart(session: Session, query: Select[Any], stats: Any, first_week: int) -> list[int]:
    """Learners active in each chart week, from `query` (over the rollup rows `stats`) grouped
    by their latest week, those the chart reaches only (ix_learner_stats_week)."""
    grouped = query.add_columns(stats.active_week, *chart_sums(stats, CHART_WEEKS))
    grouped = grouped.where(stats.active_week >= first_week).group_by(stats.active_week)
    groups = [(int(week), list(sums)) for week, *sums in session.execute(grouped)]
    return chart_counts(groups, first_week, CHART_WEEKS)


def _due(
    session: Session, where: list[ColumnElement[bool]] | None, course: str | None, today: date
) -> tuple[int, int]:
    """Open enrollments due in the next `DUE_SOON_DAYS` days, and overdue (ix_enrollments_due);
    `where` None: every learner's."""
    due, soon = EnrollmentRow.due_on, today + timedelta(days=DUE_SOON_DAYS)
    query = select(
        func.count(case((due >= today, EnrollmentRow.id))),
        func.count(case((due < today, EnrollmentRow.id))),
    ).where(due <= soon, EnrollmentRow.completed_at.is_(None))
    if course:
        query = query.where(EnrollmentRow.course_id == course)
    if where is not None:
        query = query.where(EnrollmentRow.learner_id.in_(select(LearnerRow.id).where(*where)))
    due_soon, overdue = session.execute(query).one()
    return int(due_soon or 0), int(overdue or 0)


def overview(
    session: Session, actor: Actor, filters: Filters, now: datetime, zone: tzinfo
) -> Overview:
    """The figures of the team overview.

    Args:
        session: An open session on the learner store.
        actor: Who is looking (their reach bounds every figure).
        filters: The page's filters.
        now: The current time (aware; compared with stored UTC times).
        zone: The deployment's time zone: what "today" is for due dates, and the weeks.

    Raises:
        OutOfScope: see `visible`.
    """
    where = visible(session, actor, filters, now)
    # Everyone, unfiltered: every rollup row counts, so the figures need no join with `learners`.
    everyone = actor.reach.everyone and filters == Filters()
    return _overview(session, filters, where, everyone, now, zone)


def _overview(
    session: Session, filters: Filters, where: list[ColumnElement[bool]],
    everyone: bool, now: datetime, zone: tzinfo,
) -> Overview:  # fmt: skip
    course, today = filters.course, now.astimezone(zone).date()
    first_week = week_of(now, zone) - CHART_WEEKS + 1
    points = func.coalesce(func.sum(LearnerStatsRow.points), 0)
    if everyone:  # two scans of the narrow rollup rows, the chart's from ix_learner_stats_week
        learners = session.scalar(select(func.count()).select_from(LearnerRow)) or 0
        sums = select(points, *_totals(LearnerStatsRow, now))
        figures: list[Any] = list(session.execute(sums).one())
        weekly = _chart(session, select(), LearnerStatsRow, first_week)
    else:  # one pass over the learners in scope, grouped by latest week for the chart
        stats: Any = LearnerStatsRow
        query = select(func.count(LearnerRow.id), points).select_from(LearnerRow)
        query = query.outerjoin(LearnerStatsRow, LearnerStatsRow.learner_id == LearnerRow.id)
        if course:
            stats = aliased(CourseStatsRow)
            on = and_(stats.learner_id == LearnerRow.id, stats.course_id == course)
            query = query.outerjoin(stats, on)
        query = query.add_columns(*_totals(stats, now), stats.active_week)
        query = query.add_columns(*chart_sums(stats, CHART_WEEKS))
        groups: list[Any] = list(session.execute(query.where(*where).group_by(stats.active_week)))
        learners, *figures = (sum(int(row[i] or 0) for row in groups) for i in range(6))
        latest = [(int(row[6]), list(row[7:])) for row in groups if row[6] is not None]
        weekly = chart_counts(latest, first_week, CHART_WEEKS)
    karma, active_7, active_30, lessons_done, courses_done = figures
    due_soon, overdue = _due(session, None if everyone else where, course, today)

    return Overview(
        learners=int(learners or 0),
        active_7=int(active_7 or 0),
        active_30=int(active_30 or 0),
        lessons_completed=int(lessons_done or 0),
        courses_completed=int(courses_done or 0),
        karma_points=int(karma or 0),
        due_soon=due_soon,
        overdue=overdue,
        weeks=tuple(Week(week_start(first_week + i), n) for i, n in enumerate(weekly)),
    )


def viewer_name(session: Session, learner_id: str) -> str:
    """The signed-in learner's name as the roster has it (their id when it has none)."""
    name = session.scalar(select(LearnerRow.name).where(LearnerRow.id == learner_id))
    return name or learner_id
