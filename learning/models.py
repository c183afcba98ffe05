"""Learner records: SQLAlchemy 2 models. Schema changes go through Alembic (migrations/)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


def utcnow() -> datetime:
    """Timezone-aware now, in UTC."""
    return datetime.now(UTC)


def new_id() -> str:
    """A new learner id (UUID4 string); it doubles as the Rasa sender id."""
    return str(uuid.uuid4())


class Base(DeclarativeBase):
    """Base of all Karmabot tables."""


class LearnerRow(Base):
    """A learner: one official, whatever channels they use."""

    __tablename__ = "learners"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str | None] = mapped_column(String(200))
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

    learner: Mapped[LearnerRow] = relationship(back_populates="links")
