"""Who a campaign reaches: filters over learners, enrollments and activity, as one SQL query.

The cohort is a query, never a list in memory: planning a campaign for a million learners is
one `INSERT … SELECT` (learning/sends.py). Each learner comes with the channel a message would
go to (Telegram first, then WhatsApp: the web chat and console cannot be reached unprompted)
and with why they are excluded, if they are (opted out, no channel).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, and_, case, exists, func, literal, not_, or_, select
from sqlalchemy.orm import Session

from learning.models import ChannelLinkRow, EnrollmentRow, LearnerRow, LessonCompletionRow
from learning.organisations import Reach, in_reach, in_subtree

Status = Literal["not_started", "in_progress", "not_completed", "completed"]
STATUSES: tuple[Status, ...] = ("not_started", "in_progress", "not_completed", "completed")
#: Channels a message can reach unprompted, in order of preference.
REACHABLE = ("telegram", "whatsapp")


class CohortError(ValueError):
    """The filters do not make sense together."""


@dataclass(frozen=True)
class Cohort:
    """A campaign's filters; every one left empty matches everybody.

    Attributes:
        course: Only learners concerned by this course (needed by `status` and used by
            `due_before` and `inactive_days` when given).
        status: not_started, in_progress, not_completed or completed in `course`.
        due_before: The course (or any course) is due before this date and not completed.
        inactive_days: No learning and no message for at least this many days.
        role: The roster role, case-insensitive.
        language: The learner's language code (hi also matches hi-Latn).
        organisation: This organisation and everything below it.
    """

    course: str | None = None
    status: Status | None = None
    due_before: date | None = None
    inactive_days: int | None = None
    role: str | None = None
    language: str | None = None
    organisation: str | None = None

    def __post_init__(self) -> None:
        if self.status is not None and self.status not in STATUSES:
            raise CohortError(f"status must be one of {', '.join(STATUSES)}")
        if self.status is not None and not self.course:
            raise CohortError("a status filter needs a course")
        if self.inactive_days is not None and self.inactive_days < 0:
            raise CohortError("inactive days cannot be negative")

    def to_json(self) -> str:
        """The filters as JSON (dates as ISO strings, empty ones left out)."""
        values = {k: v for k, v in asdict(self).items() if v is not None}
        if self.due_before:
            values["due_before"] = self.due_before.isoformat()
        return json.dumps(values, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Cohort:
        """Filters stored by `to_json`."""
        values: dict[str, Any] = json.loads(text or "{}")
        if values.get("due_before"):
            values["due_before"] = date.fromisoformat(values["due_before"])
        return cls(**values)

    def describe(self) -> str:
        """A one-line summary for reports, e.g. "course=rti status=not_completed"."""
        values = json.loads(self.to_json())
        return " ".join(f"{k}={v}" for k, v in values.items()) or "everyone"


def _enrolled(course: str) -> ColumnElement[bool]:
    return exists().where(
        EnrollmentRow.learner_id == LearnerRow.id, EnrollmentRow.course_id == course
    )


def _completed(course: str) -> ColumnElement[bool]:
    return exists().where(
        EnrollmentRow.learner_id == LearnerRow.id,
        EnrollmentRow.course_id == course,
        EnrollmentRow.completed_at.is_not(None),
    )


def _any_lesson(course: str) -> ColumnElement[bool]:
    return exists().where(
        LessonCompletionRow.learner_id == LearnerRow.id, LessonCompletionRow.course_id == course
    )


def _status(course: str, status: Status) -> ColumnElement[bool]:
    if status == "completed":
        return _completed(course)
    if status == "not_completed":
        return not_(_completed(course))
    if status == "in_progress":
        return and_(_enrolled(course), not_(_completed(course)), _any_lesson(course))
    return and_(not_(_completed(course)), not_(_any_lesson(course)))


def _due_before(course: str | None, day: date) -> ColumnElement[bool]:
    conditions = [
        EnrollmentRow.learner_id == LearnerRow.id,
        EnrollmentRow.due_on < day,
        EnrollmentRow.completed_at.is_(None),
    ]
    if course:
        conditions.append(EnrollmentRow.course_id == course)
    return exists().where(*conditions)


def _inactive(course: str | None, since: datetime) -> ColumnElement[bool]:
    learning = [EnrollmentRow.learner_id == LearnerRow.id, EnrollmentRow.updated_at >= since]
    if course:
        learning.append(EnrollmentRow.course_id == course)
    wrote = exists().where(
        ChannelLinkRow.learner_id == LearnerRow.id, ChannelLinkRow.last_inbound_at >= since
    )
    return and_(LearnerRow.created_at < since, not_(exists().where(*learning)), not_(wrote))


def _linked(channel: str) -> ColumnElement[bool]:
    return exists().where(
        ChannelLinkRow.learner_id == LearnerRow.id, ChannelLinkRow.channel == channel
    )


def channel_column() -> ColumnElement[str | None]:
    """The channel an unprompted message to the learner goes to, or NULL."""
    whens = [(_linked(name), literal(name)) for name in REACHABLE]
    return case(*whens, else_=literal(None)).label("channel")


def conditions(
    cohort: Cohort, reach: Reach, now: datetime, session: Session | None = None
) -> list[ColumnElement[bool]]:
    """The WHERE conditions selecting the cohort's learners within the actor's reach (with a
    session, organisation subtrees are bound as lists of names: `in_subtree`)."""
    where: list[Any] = [in_reach(reach, session)]
    if cohort.course and cohort.status:
        where.append(_status(cohort.course, cohort.status))
    if cohort.due_before:
        where.append(_due_before(cohort.course, cohort.due_before))
    if cohort.inactive_days is not None:
        where.append(_inactive(cohort.course, now - timedelta(days=cohort.inactive_days)))
    if cohort.role:
        where.append(func.lower(LearnerRow.role) == cohort.role.lower())
    if cohort.language:
        base = cohort.language.split("-")[0]
        where.append(
            or_(LearnerRow.language == cohort.language, LearnerRow.language.startswith(f"{base}-"))
        )
    if cohort.organisation:
        where.append(in_subtree(LearnerRow.organisation, cohort.organisation, session))
    return where


def cohort_query(
    cohort: Cohort, reach: Reach, now: datetime, session: Session | None = None
) -> Select[Any]:
    """(learner_id, language, channel, reason) for every learner in the cohort; `reason` is why
    the learner gets nothing (opt_out, no_channel), or NULL. With a session, organisation
    subtrees are read first and bound (`in_subtree`)."""
    inner = (
        select(
            LearnerRow.id.label("learner_id"),
            LearnerRow.language.label("language"),
            LearnerRow.reminders_enabled.label("enabled"),
            channel_column(),
        )
        .where(*conditions(cohort, reach, now, session))
        .subquery("cohort")
    )
    reason = case(
        (inner.c.enabled.is_(False), literal("opt_out")),
        (inner.c.channel.is_(None), literal("no_channel")),
        else_=literal(None),
    )
    return select(inner.c.learner_id, inner.c.language, inner.c.channel, reason.label("reason"))
