"""Learner records: SQLAlchemy 2 models. Schema changes go through Alembic (migrations/)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    """Timezone-aware now, in UTC."""
    return datetime.now(UTC)


def aware(moment: datetime | None) -> datetime | None:
    """A stored time as an aware UTC time (SQLite drops the time zone on read)."""
    return moment.replace(tzinfo=UTC) if moment and moment.tzinfo is None else moment


def new_id() -> str:
    """A new learner id (UUID4 string); it doubles as the Rasa sender id."""
    return str(uuid.uuid4())


class Base(DeclarativeBase):
    """Base of all Karmabot tables."""


class LearnerRow(Base):
    """A learner: one official, whatever channels they use."""

    __tablename__ = "learners"
    __table_args__ = (
        UniqueConstraint("phone", name="uq_learners_phone"),
        UniqueConstraint("telegram_username", name="uq_learners_telegram_username"),
        # A team's learners by organisation, their ids (migration 0009), roles and languages
        # (0010) from the index alone; everyone's roles (0010) and languages (0012), one probe
        # per value (learning/loose_scan.py).
        Index("ix_learners_organisation", "organisation", "id", "role", "language"),
        Index("ix_learners_role", "role", "language"),
        Index("ix_learners_language", "language"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str | None] = mapped_column(String(200))
    #: True once the name is known to be the learner's real one (roster, or confirmed in chat).
    name_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    language: Mapped[str] = mapped_column(String(16), default="en")
    script: Mapped[str] = mapped_column(String(8), default="native")
    language_chosen: Mapped[bool] = mapped_column(Boolean, default=False)
    reminders_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    organisation: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str | None] = mapped_column(String(200))
    supervisor_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("learners.id", ondelete="SET NULL")
    )
    consent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    phone: Mapped[str | None] = mapped_column(String(32))
    telegram_username: Mapped[str | None] = mapped_column(String(64))
    active_course_id: Mapped[str | None] = mapped_column(String(64))
    #: learner, supervisor or admin (who may run campaigns, and over whom).
    access: Mapped[str] = mapped_column(String(16), default="learner")
    #: IANA time zone for quiet hours and deadlines; None = the deployment's default.
    timezone: Mapped[str | None] = mapped_column(String(64))
    #: The learner's own user id on the learning platform (Sunbird/iGOT), from the roster.
    platform_user_id: Mapped[str | None] = mapped_column(String(64), unique=True, index=True)
    #: The learner's email address (lower-cased), from the roster: never shared (migration 0013).
    email: Mapped[str | None] = mapped_column(String(254), unique=True, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    links: Mapped[list[ChannelLinkRow]] = relationship(back_populates="learner")


class ChannelLinkRow(Base):
    """One channel identity (Telegram id, WhatsApp number, web id…) of a learner."""

    __tablename__ = "channel_links"
    __table_args__ = (UniqueConstraint("channel", "channel_user_id", name="uq_channel_user"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    learner_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("learners.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(32))
    channel_user_id: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: The learner's last message on this channel (WhatsApp's 24-hour window starts there).
    last_inbound_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    learner: Mapped[LearnerRow] = relationship(back_populates="links")


class EnrollmentRow(Base):
    """A learner's enrollment in a course, with where they are in it."""

    __tablename__ = "enrollments"
    __table_args__ = (
        UniqueConstraint("learner_id", "course_id", name="uq_enrollment"),
        Index("ix_enrollments_course", "course_id", "completed_at"),
        # Open enrollments due soon or overdue, from the index alone (migration 0010): everyone's
        # by date, a team's by learner.
        Index("ix_enrollments_due", "due_on", "completed_at", "learner_id", "course_id"),
        Index("ix_enrollments_learner_due", "learner_id", "completed_at", "due_on", "course_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    learner_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("learners.id", ondelete="CASCADE")
    )
    course_id: Mapped[str] = mapped_column(String(64))
    course_version: Mapped[int] = mapped_column(Integer, default=1)
    lesson_id: Mapped[str | None] = mapped_column(String(64))
    part: Mapped[int] = mapped_column(Integer, default=0)
    enrolled_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: Set for a mandatory course: the date it must be completed by (deadline reminders).
    due_on: Mapped[date | None] = mapped_column(Date)
    #: The learning platform's batch of this enrollment (Sunbird's batchId), from the roster.
    batch_id: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class LessonCompletionRow(Base):
    """A lesson a learner finished (once, whatever the retries)."""

    __tablename__ = "lesson_completions"
    __table_args__ = (
        UniqueConstraint("learner_id", "course_id", "lesson_id", name="uq_lesson_completion"),
        # The dashboard's figures (migration 0009): each learner's lessons in time order, and all
        # lessons in time order.
        Index("ix_lesson_completions_learner_completed_at", "learner_id", "completed_at"),
        Index("ix_lesson_completions_completed_at", "completed_at", "learner_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    learner_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("learners.id", ondelete="CASCADE")
    )
    course_id: Mapped[str] = mapped_column(String(64))
    lesson_id: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(16))
    completed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class QuizAttemptRow(Base):
    """One attempt at a module quiz, with its shuffled question and option order."""

    __tablename__ = "quiz_attempts"
    __table_args__ = (
        UniqueConstraint("learner_id", "course_id", "quiz_id", "number", name="uq_quiz_attempt"),
        Index("ix_quiz_attempts_learner_started_at", "learner_id", "started_at"),
        Index("ix_quiz_attempts_started_at", "started_at", "learner_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    learner_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("learners.id", ondelete="CASCADE")
    )
    course_id: Mapped[str] = mapped_column(String(64))
    quiz_id: Mapped[str] = mapped_column(String(64))
    number: Mapped[int] = mapped_column(Integer)
    layout: Mapped[str] = mapped_column(Text)  # JSON: [[question id, [option ids]], ...]
    position: Mapped[int] = mapped_column(Integer, default=0)
    score: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer)
    passed: Mapped[bool | None] = mapped_column(Boolean)
    language: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class QuizAnswerRow(Base):
    """The answer given to one question in one attempt (the first tap counts)."""

    __tablename__ = "quiz_answers"
    __table_args__ = (UniqueConstraint("attempt_id", "question_id", name="uq_quiz_answer"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    attempt_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("quiz_attempts.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[str] = mapped_column(String(64))
    option_id: Mapped[str] = mapped_column(String(16))
    correct: Mapped[bool] = mapped_column(Boolean)
    answered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PointsRow(Base):
    """One Karma Points award; the key makes each award happen at most once."""

    __tablename__ = "points_ledger"
    __table_args__ = (
        UniqueConstraint("learner_id", "key", name="uq_points_key"),
        Index("ix_points_ledger_learner_points", "learner_id", "points"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    learner_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("learners.id", ondelete="CASCADE")
    )
    key: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(String(32))
    points: Mapped[int] = mapped_column(Integer)
    awarded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CertificateRow(Base):
    """A course certificate, checked by its verification code."""

    __tablename__ = "certificates"
    __table_args__ = (UniqueConstraint("learner_id", "course_id", name="uq_certificate"),)

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    learner_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("learners.id", ondelete="CASCADE"), index=True
    )
    course_id: Mapped[str] = mapped_column(String(64))
    learner_name: Mapped[str] = mapped_column(String(200))
    course_title: Mapped[str] = mapped_column(String(200))
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class OutboxRow(Base):
    """A learning event waiting to reach one sink (the LRS or Sunbird)."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("sink", "event_id", name="uq_outbox_event"),
        Index("ix_outbox_due", "sink", "sent_at", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sink: Mapped[str] = mapped_column(String(16))
    event_id: Mapped[str] = mapped_column(String(36))
    payload: Mapped[str] = mapped_column(Text)  # JSON of LearningEvent.to_dict()
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)
    #: Set when the remote refused the event as invalid: dead-lettered, not retried by itself.
    parked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PlatformStateRow(Base):
    """The highest status and progress sent to the learning platform for one content item."""

    __tablename__ = "platform_state"
    __table_args__ = (
        UniqueConstraint("user_id", "course_id", "content_id", name="uq_platform_state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(String(64))
    course_id: Mapped[str] = mapped_column(String(64))
    content_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    progress: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
