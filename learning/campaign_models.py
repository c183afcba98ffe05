"""Tables for reaching learners unprompted: organisations, campaigns, one send row per recipient,
spaced-review items, the audit log and supervisors' API tokens (migration 0005).

Declared on the same `Base` as learning/models.py. The `sends` table is the delivery engine's
source of truth: a unique `key` per recipient ("campaign:<id>:<run>:<learner>" or a nudge's
natural key) makes planning idempotent, and the worker claims rows from it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.schema import UniqueConstraint

from learning.models import Base, new_id, utcnow


class OrganisationRow(Base):
    """One unit of the organisation tree; `path` ("/1/4/9/") makes a subtree one prefix query."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    parent_id: Mapped[int | None] = mapped_column(
        Integer, ForeignKey("organisations.id", ondelete="SET NULL")
    )
    path: Mapped[str] = mapped_column(String(1000), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class CampaignRow(Base):
    """A supervisor's reminder campaign: who (filters), what (message), when (schedule)."""

    __tablename__ = "campaigns"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    #: The supervisor or admin learner who created it; None for the operator's CLI.
    owner_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("learners.id", ondelete="SET NULL")
    )
    #: The organisation subtree the owner may reach; None = everyone (admin, CLI).
    scope: Mapped[str | None] = mapped_column(String(200))
    filters: Mapped[str] = mapped_column(Text)  # JSON of learning.cohort.Cohort
    message: Mapped[str] = mapped_column(Text)  # JSON of learning.campaigns.Message
    #: draft, scheduled, sending, paused, cancelled, done
    status: Mapped[str] = mapped_column(String(16), default="draft")
    schedule: Mapped[str] = mapped_column(String(64), default="now")  # now | ISO time | weekly …
    next_run_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    runs: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class SendRow(Base):
    """One unprompted message to one learner (a campaign recipient or a nudge), and its fate.

    Statuses: queued → sending → sent | failed | unknown; or skipped (opt-out, no channel,
    daily cap, undeliverable) and cancelled. `unknown` is a send a worker died in the middle of:
    the channel may or may not have it, and it is never sent again on its own.
    """

    __tablename__ = "sends"
    __table_args__ = (
        UniqueConstraint("key", name="uq_send_key"),
        Index("ix_sends_due", "status", "not_before"),
        # Extended by migrations 0011 (the campaign report's learners and send times) and 0012
        # (its counts by status and reason, from the index alone).
        Index("ix_sends_campaign", "campaign_id", "status", "learner_id", "sent_at", "reason"),
        Index("ix_sends_learner", "learner_id", "sent_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))  # campaign, inactive, deadline, review
    campaign_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("campaigns.id", ondelete="CASCADE")
    )
    run: Mapped[int] = mapped_column(Integer, default=0)
    learner_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("learners.id", ondelete="CASCADE")
    )
    payload: Mapped[str | None] = mapped_column(Text)  # JSON: course, lesson, review item…
    status: Mapped[str] = mapped_column(String(16), default="queued")
    reason: Mapped[str | None] = mapped_column(String(32))
    channel: Mapped[str | None] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    lease_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    worker: Mapped[str | None] = mapped_column(String(64))
    message_ids: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ReviewItemRow(Base):
    """A missed quiz question due for spaced review (1, 3, 10, 30, 60 days)."""

    __tablename__ = "review_items"
    __table_args__ = (
        UniqueConstraint("learner_id", "course_id", "question_id", name="uq_review_item"),
        Index("ix_review_due", "retired_at", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    learner_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("learners.id", ondelete="CASCADE")
    )
    course_id: Mapped[str] = mapped_column(String(64))
    quiz_id: Mapped[str] = mapped_column(String(64))
    question_id: Mapped[str] = mapped_column(String(64))
    stage: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    reviews: Mapped[int] = mapped_column(Integer, default=0)
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AuditRow(Base):
    """Who did what to a campaign, and when (create, preview, send, pause, refusals…)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(200))  # "learner:<id>", "cli", "api:<token id>"
    action: Mapped[str] = mapped_column(String(32))
    campaign_id: Mapped[str | None] = mapped_column(String(36), index=True)
    allowed: Mapped[bool] = mapped_column(Boolean, default=True)
    detail: Mapped[str | None] = mapped_column(Text)  # JSON


class ApiTokenRow(Base):
    """A supervisor's or admin's token for the admin API (only its SHA-256 is stored)."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    learner_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("learners.id", ondelete="CASCADE"), index=True
    )
    label: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
