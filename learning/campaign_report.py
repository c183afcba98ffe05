"""What a campaign achieved: targeted, sent, delivered, read, failed, skipped by reason, and the
learners who completed a lesson or the course within N days of their message."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select
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

    def as_dict(self) -> dict[str, object]:
        """The report as JSON-ready values."""
        return dict(self.__dict__)


def campaign_report(
    sessions: sessionmaker[Session], campaign_id: str, days: int = 7, course: str | None = None
) -> CampaignReport:
    """The report of one campaign; conversion counts completions within `days` of the send
    (in `course` when the campaign names one)."""
    report = CampaignReport(days=days)
    with sessions() as session:
        rows = session.execute(
            select(SendRow.status, SendRow.reason, func.count())
            .where(SendRow.campaign_id == campaign_id)
            .group_by(SendRow.status, SendRow.reason)
        )
        for status, reason, n in rows:
            _count(report, status, reason, n)
        report.delivered, report.read, report.undelivered = _receipts(session, campaign_id)
        report.lesson_after, report.course_after = _conversion(session, campaign_id, days, course)
    return report


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
    learners = func.count(func.distinct(OutboundMessageRow.learner_id))
    base = select(learners).where(OutboundMessageRow.campaign_id == campaign_id)
    reached = or_(
        OutboundMessageRow.delivered_at.is_not(None), OutboundMessageRow.read_at.is_not(None)
    )
    delivered = session.scalar(base.where(reached)) or 0  # a read implies delivery
    read = session.scalar(base.where(OutboundMessageRow.read_at.is_not(None))) or 0
    accepted = ~OutboundMessageRow.message_id.startswith("failed:")  # refused ones: see sends
    failed = session.scalar(base.where(OutboundMessageRow.failed_at.is_not(None), accepted))
    return delivered, read, failed or 0


def _conversion(
    session: Session, campaign_id: str, days: int, course: str | None
) -> tuple[int, int]:
    """Learners who completed a lesson, and a course, within `days` after their first message
    (the window is checked here: date arithmetic differs between SQLite and PostgreSQL)."""
    sent = (
        select(SendRow.learner_id, func.min(SendRow.sent_at).label("sent_at"))
        .where(SendRow.campaign_id == campaign_id, SendRow.status == "sent")
        .group_by(SendRow.learner_id)
        .subquery()
    )
    found: list[int] = []
    for table in (LessonCompletionRow, EnrollmentRow):
        when = [table.learner_id == sent.c.learner_id, table.completed_at >= sent.c.sent_at]
        if course:
            when.append(table.course_id == course)
        rows = session.execute(
            select(sent.c.learner_id, sent.c.sent_at, table.completed_at).join(table, and_(*when))
        )
        window = timedelta(days=days)
        found.append(len({lid for lid, at, done in rows if _within(at, done, window)}))
    return found[0], found[1]


def _within(sent_at: datetime | None, done: datetime | None, window: timedelta) -> bool:
    start, end = aware(sent_at), aware(done)
    return start is not None and end is not None and end - start <= window
