"""Tables the messaging channels need: deliveries seen, button keys, outbound messages, opt-in
and opt-out, invites. Declared on the same `Base` as learning/models.py (migration 0004)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.schema import UniqueConstraint

from learning.models import Base, utcnow


class ProcessedUpdateRow(Base):
    """An inbound delivery already handled (a Telegram update id, a WhatsApp message id)."""

    __tablename__ = "processed_updates"
    __table_args__ = (UniqueConstraint("channel", "update_id", name="uq_processed_update"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(16))
    update_id: Mapped[str] = mapped_column(String(128))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ButtonKeyRow(Base):
    """A short key standing for a button payload too long for the channel (Telegram: 64 bytes)."""

    __tablename__ = "button_keys"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class OutboundMessageRow(Base):
    """A message sent to a learner on a channel, with the delivery statuses reported for it."""

    __tablename__ = "outbound_messages"
    __table_args__ = (
        UniqueConstraint("channel", "message_id", name="uq_outbound_message"),
        Index("ix_outbound_learner", "learner_id", "created_at"),
        # A campaign's receipts from the index alone, and only campaign messages in it: the
        # replies of every conversation are most of the table (migration 0012).
        Index(
            "ix_outbound_campaign",
            *("campaign_id", "learner_id", "delivered_at", "read_at", "failed_at", "message_id"),
            postgresql_where=text("campaign_id IS NOT NULL"),
            sqlite_where=text("campaign_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(16))
    message_id: Mapped[str] = mapped_column(String(128))
    learner_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("learners.id", ondelete="SET NULL")
    )
    kind: Mapped[str] = mapped_column(String(16))  # reply, template, document
    campaign_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    failed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    error_code: Mapped[str | None] = mapped_column(String(32))
    error: Mapped[str | None] = mapped_column(Text)
    permanent: Mapped[bool] = mapped_column(Boolean, default=False)


class OptEventRow(Base):
    """A learner switching reminders and campaigns off or on, and when and how."""

    __tablename__ = "opt_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    learner_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("learners.id", ondelete="CASCADE"), index=True
    )
    enabled: Mapped[bool] = mapped_column(Boolean)
    source: Mapped[str] = mapped_column(String(32))  # chat, keyword, roster, admin
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class InviteRow(Base):
    """A one-time code that links a chat account to a roster learner (`/start <code>`)."""

    __tablename__ = "invites"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    learner_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("learners.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    used_by: Mapped[str | None] = mapped_column(String(160))  # "channel:channel user id"
