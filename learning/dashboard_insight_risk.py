"""At-risk learners: stalled in a course, or a course due soon or overdue, as campaign cohorts.

Each row is one enrollment, not completed, of a visible learner (`visible`, the one scope
check) that is at risk for one or both reasons:

- **inactive**: the learner started the course (a lesson finished in it) and made no progress
  in it and sent no message for `inactive_days` days (nor joined since): exactly the campaign
  cohort `course=C status=in_progress inactive_days=N` (learning/cohort.py);
- **due**: its due date is before `due_before` (due within `due_days` days, or overdue):
  exactly the cohort `due_before=D` (with `course=C` when the page is filtered by course).

"Inactive OR due" is not one cohort, so the page offers one campaign cohort per course for
the inactive learners and one for the due ones; the tests feed each through learning.cohort
and check it selects exactly the learners listed. Learners enrolled who never started are not
"inactive" here: a cohort cannot select "enrolled but not started" (its `not_started` also
takes learners not enrolled at all); they show when the course has a due date.

Rows, counts and cohorts are a few SQL queries with LIMIT, whatever the team's size.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, exists, func, not_, or_, select
from sqlalchemy.orm import Session

from learning.campaigns import Actor
from learning.cohort import Cohort
from learning.dashboard_queries import Filters, visible
from learning.models import (
    ChannelLinkRow,
    EnrollmentRow,
    LearnerRow,
    LessonCompletionRow,
    aware,
)

#: Defaults of the page's two thresholds, in days.
INACTIVE_DAYS = DUE_DAYS = 14
#: Rows shown at the most (the counts cover them all).
ROWS_SHOWN = 200


@dataclass(frozen=True)
class Thresholds:
    """Inactive for at least `inactive_days` days; due within `due_days` days."""

    inactive_days: int = INACTIVE_DAYS
    due_days: int = DUE_DAYS


@dataclass(frozen=True)
class RiskRow:
    """One enrollment at risk."""

    learner_id: str
    name: str
    organisation: str | None
    role: str | None
    course: str
    #: The last progress in the course or message to the bot, whichever is later.
    last_active: datetime
    due_on: date | None
    inactive: bool
    overdue: bool
    due_soon: bool


@dataclass(frozen=True)
class RiskCohort:
    """A campaign cohort selecting exactly some of the learners listed, and how many."""

    cohort: Cohort
    learners: int


@dataclass(frozen=True)
class AtRisk:
    """The page: the first rows, how many there are, and the cohorts that reach them."""

    rows: tuple[RiskRow, ...]
    enrollments: int
    learners: int
    #: One cohort per course for the inactive learners, most learners first.
    inactive: tuple[RiskCohort, ...]
    #: The cohort of the learners with a course due before `due_before` (None: none are).
    due: RiskCohort | None
    due_before: date


def _wrote(since: datetime) -> ColumnElement[bool]:
    return exists().where(
        ChannelLinkRow.learner_id == LearnerRow.id, ChannelLinkRow.last_inbound_at >= since
    )


def _inactive(since: datetime) -> ColumnElement[bool]:
    """cohort `status=in_progress inactive_days=N` for the enrollment's course (its
    enrollment is unique per learner and course, so its own row stands for the cohort's
    EXISTS on enrollments)."""
    started = exists().where(
        LessonCompletionRow.learner_id == EnrollmentRow.learner_id,
        LessonCompletionRow.course_id == EnrollmentRow.course_id,
    )
    return and_(
        started,
        LearnerRow.created_at < since,
        EnrollmentRow.updated_at < since,
        not_(_wrote(since)),
    )


def _last_active() -> Any:
    message = (
        select(func.max(ChannelLinkRow.last_inbound_at))
        .where(ChannelLinkRow.learner_id == LearnerRow.id)
        .scalar_subquery()
    )
    progress = EnrollmentRow.updated_at
    return case((message > progress, message), else_=progress)


@dataclass(frozen=True)
class _Risk:
    """The page's SQL pieces: the enrollments in view, and the two reasons."""

    where: list[ColumnElement[bool]]
    inactive: ColumnElement[bool]
    due: ColumnElement[bool]
    today: date
    due_before: date

    def select(self, *reasons: ColumnElement[bool]) -> Select[Any]:
        """Enrollments in view (joined with their learner) for any of `reasons`."""
        joined = (
            select()
            .select_from(EnrollmentRow)
            .join(LearnerRow, LearnerRow.id == EnrollmentRow.learner_id)
        )
        return joined.where(*self.where, or_(*reasons))


def _risk(
    session: Session, actor: Actor, filters: Filters, thresholds: Thresholds, now: datetime,
    zone: tzinfo,
) -> _Risk:  # fmt: skip
    where = visible(session, actor, filters, now)
    where.append(EnrollmentRow.completed_at.is_(None))
    if filters.course:
        where.append(EnrollmentRow.course_id == filters.course)
    today = now.astimezone(zone).date()
    due_before = today + timedelta(days=thresholds.due_days + 1)
    inactive = _inactive(now - timedelta(days=thresholds.inactive_days))
    return _Risk(where, inactive, EnrollmentRow.due_on < due_before, today, due_before)


def _rows(session: Session, risk: _Risk, now: datetime, limit: int) -> tuple[RiskRow, ...]:
    """The first `limit` rows: soonest due date first, then the longest inactive."""
    last = _last_active()
    idle = risk.inactive.label("idle")
    columns = (LearnerRow.id, LearnerRow.name, LearnerRow.organisation, LearnerRow.role,
               EnrollmentRow.course_id, last, EnrollmentRow.due_on, idle)  # fmt: skip
    query = (
        risk.select(risk.inactive, risk.due)
        .add_columns(*columns)
        .order_by(EnrollmentRow.due_on.is_(None), EnrollmentRow.due_on, last, LearnerRow.id)
        .limit(limit)
    )
    today, before = risk.today, risk.due_before
    return tuple(
        RiskRow(lid, name or lid, org, role, course, aware(at) or now, on, bool(idle),
                on is not None and on < today, on is not None and today <= on < before)
        for lid, name, org, role, course, at, on, idle in session.execute(query)
    )  # fmt: skip


def at_risk(
    session: Session,
    actor: Actor,
    filters: Filters,
    thresholds: Thresholds,
    now: datetime,
    zone: tzinfo,
    limit: int = ROWS_SHOWN,
) -> AtRisk:
    """The at-risk enrollments of the visible, filtered learners, counted, with their cohorts.

    Raises:
        OutOfScope: see `visible`.
    """
    risk = _risk(session, actor, filters, thresholds, now, zone)
    learner = LearnerRow.id
    counts = risk.select(risk.inactive, risk.due).add_columns(
        func.count(),
        func.count(func.distinct(learner)),
        func.count(func.distinct(case((risk.due, learner)))),
    )
    enrollments, learners, due_learners = session.execute(counts).one()
    per_course = (
        risk.select(risk.inactive)
        .add_columns(EnrollmentRow.course_id, func.count())
        .group_by(EnrollmentRow.course_id)
        .order_by(func.count().desc(), EnrollmentRow.course_id)
    )
    same = Cohort(role=filters.role, language=filters.language, organisation=filters.organisation)
    days = thresholds.inactive_days
    stalled = tuple(
        RiskCohort(replace(same, course=course, status="in_progress", inactive_days=days), int(n))
        for course, n in session.execute(per_course)
    )
    late = replace(same, course=filters.course, due_before=risk.due_before)
    due = RiskCohort(late, int(due_learners)) if due_learners else None
    rows = _rows(session, risk, now, limit)
    return AtRisk(rows, int(enrollments), int(learners), stalled, due, risk.due_before)


def cohort_params(cohort: Cohort) -> dict[str, str]:
    """A cohort as the query parameters of the campaign form (`/dashboard/campaigns/new`)."""
    values = {
        "course": cohort.course,
        "status": cohort.status,
        "due_before": cohort.due_before.isoformat() if cohort.due_before else None,
        "inactive_days": str(cohort.inactive_days) if cohort.inactive_days is not None else None,
        "role": cohort.role,
        "language": cohort.language,
        "organisation": cohort.organisation,
    }
    return {name: value for name, value in values.items() if value}
