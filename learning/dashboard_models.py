"""Tables of the supervisor dashboard's sign-in: one-time links and sessions (migration 0007).

Declared on the same `Base` as learning/models.py. Neither table holds a secret: a link and a
session are stored as the SHA-256 of the random value the supervisor's browser holds, so a copy
of the database signs no one in.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from learning.models import Base, utcnow


class _Digested:
    """A secret of one learner's, known by its digest, good until `expires_at`."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    learner_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("learners.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DashboardLinkRow(_Digested, Base):
    """A one-time sign-in link (`karmabot supervisors invite`), spent at `used_at`."""

    __tablename__ = "dashboard_links"

    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class DashboardSessionRow(_Digested, Base):
    """A signed-in browser: live until `expires_at`, or until signed out (`revoked_at`)."""

    __tablename__ = "dashboard_sessions"

    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
