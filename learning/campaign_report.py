"""What a campaign achieved: targeted, sent, delivered, read, failed, skipped by reason, and the
learners who completed a lesson or the course within N days of their message."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Interval,
    SQLColumnExpression,
    and_,
    case,
    cast,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Session, sessionmaker

from learning.campaign_models import SendRow
from learning.channel_models import OutboundMessageRow
from learning.models import EnrollmentRow, LessonCompletionRow, aware


@dataclass
class CampaignReport:
    """Counts over every run of a campaign (learners, not messages)."""

    targeted: int = 0
    queued: int = 0
    in_flight: int = 0
    sent: int = 0
    delivered: int = 0
    read: int = 0
    #: Accepted by the channel, then reported failed by a status callback (WhatsApp).
    undelivered: int = 0
    failed: int = 0
    unknown: int = 0
    cancelled: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    deferred: dict[str, int] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)
    lesson_after: int = 0
    course_after: int = 0
    days: int = 7
    #: The first and the last message sent (None before any).
    first_sent: datetime | None = None
    last_sent: datetime | None = None

    def as_dict(self) -> dict[str, object]:
        """The report as JSON-ready values (times as ISO 8601 strings)."""
        values = dict(self.__dict__)
        for key in ("first_sent", "last_sent"):
            moment = values[key]
            values[key] = moment.isoformat() if moment is not None else None
        return values


def campaign_report(
    sessions: sessionmaker[Session], campaign_id: str, days: int = 7, course: str | None = None
) -> CampaignReport:
    """The report of one campaign; conversion counts completions within `days` of the send
    (in `course` when the campaign names one)."""
    report = CampaignReport(days=days)
    with sessions() as session:
        rows = session.execute(  # from ix_sends_campaign alone
            select(SendRow.status, SendRow.reason, func.count())
            .add_columns(func.min(SendRow.sent_at), func.max(SendRow.sent_at))
            .where(SendRow.campaign_id == campaign_id)
            .group_by(SendRow.status, SendRow.reason)
        )
        for status, reason, n, first, last in rows:
            _count(report, status, reason, n)
            if status == "sent":
                report.first_sent = _earlier(report.first_sent, aware(first))
                report.last_sent = _later_of(report.last_sent, aware(last))
        report.delivered, report.read, report.undelivered = _receipts(session, campaign_id)
        report.lesson_after, report.course_after = _conversion(session, campaign_id, report, course)
    return report


def _earlier(a: datetime | None, b: datetime | None) -> datetime | None:
    return min((m for m in (a, b) if m is not None), default=None)


def _later_of(a: datetime | None, b: datetime | None) -> datetime | None:
    return max((m for m in (a, b) if m is not None), default=None)


def _count(report: CampaignReport, status: str, reason: str | None, n: int) -> None:
    report.targeted += n
    if status == "queued":
        report.queued += n
        if reason:
            report.deferred[reason] = report.deferred.get(reason, 0) + n
    elif status in ("claimed", "sending"):
        report.in_flight += n
    elif status == "skipped":
        report.skipped[reason or "other"] = report.skipped.get(reason or "other", 0) + n
    elif status == "failed":
        report.failed += n
        report.failures[reason or "other"] = report.failures.get(reason or "other", 0) + n
    elif status in ("sent", "unknown", "cancelled"):
        setattr(report, status, getattr(report, status) + n)


def _receipts(session: Session, campaign_id: str) -> tuple[int, int, int]:
    """Learners whose message was delivered, read, and accepted then reported failed: one scan
    of the campaign's messages."""

    def learners(*when: ColumnElement[bool]) -> ColumnElement[int]:
        return func.count(func.distinct(case((and_(*when), OutboundMessageRow.learner_id))))

    reached = or_(  # a read implies delivery
        OutboundMessageRow.delivered_at.is_not(None), OutboundMessageRow.read_at.is_not(None)
    )
    accepted = ~OutboundMessageRow.message_id.startswith("failed:")  # refused ones: see sends
    delivered, read, failed = session.execute(
        select(
            learners(reached),
            learners(OutboundMessageRow.read_at.is_not(None)),
            learners(OutboundMessageRow.failed_at.is_not(None), accepted),
        ).where(OutboundMessageRow.campaign_id == campaign_id)
    ).one()
    return int(delivered or 0), int(read or 0), int(failed or 0)


def _conversion(
    session: Session, campaign_id: str, report: CampaignReport, course: str | None
) -> tuple[int, int]:
    """Learners who completed a lesson, and a course, from their first message of the campaign
    until `days` after it (both ends included).

    Counted from the completions between the campaign's first message and `days` after its last
    (lessons by `(completed_at, learner_id)`, courses by `(course_id, completed_at)` when the
    campaign names one), each checked against its learner's first message by a probe of
    `sends (campaign_id, status, learner_id, sent_at)`: the work follows the completions in the
    window, not the learners sent to."""
    sent = (SendRow.campaign_id == campaign_id, SendRow.status == "sent")
    first_sent, last, days = report.first_sent, report.last_sent, report.days
    if first_sent is None or last is None:
        return 0, 0
    dialect = session.get_bind().dialect.name

    def converted(table: type[LessonCompletionRow] | type[EnrollmentRow]) -> int:
        # The learner's first message: one probe of the index (its last column, the least
        # under the equal ones), correlated, so no planner hashes every send of the campaign.
        mine = select(func.min(SendRow.sent_at))
        mine = mine.where(*sent, SendRow.learner_id == table.learner_id)
        first = mine.scalar_subquery().label("first")
        inner = select(table.learner_id, table.completed_at, first)
        inner = inner.where(
            table.completed_at >= first_sent, table.completed_at <= last + timedelta(days=days)
        )
        if course:
            inner = inner.where(table.course_id == course)
        steps = inner.cte("steps").prefix_with("MATERIALIZED")  # the probe once per completion
        found = session.scalar(
            select(func.count(func.distinct(steps.c.learner_id))).where(
                steps.c.first <= steps.c.completed_at,
                steps.c.completed_at <= _later(steps.c.first, days, dialect),
            )
        )
        return int(found or 0)

    return converted(LessonCompletionRow), converted(EnrollmentRow)


def _later(
    moment: SQLColumnExpression[datetime | None], days: int, dialect: str
) -> ColumnElement[Any]:
    """`moment` plus exactly `days` × 24 hours, comparable with stored times in SQL.

    PostgreSQL: hours, not days, so that no daylight-saving change of the session's time zone
    stretches the window. SQLite stores SQLAlchemy's text, "YYYY-MM-DD HH:MM:SS.ffffff" (naive
    UTC): `datetime()` shifts the whole seconds and drops the fraction, so the stored fraction
    is appended again and text comparison stays exact to the microsecond.
    """
    if dialect == "postgresql":
        return moment + cast(f"{24 * days} hours", Interval)
    shifted = func.datetime(func.substr(moment, 1, 19), f"{days:+d} days")
    return shifted.concat(func.substr(moment, 20))
