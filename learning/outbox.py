"""The durable outbox: learning events waiting to reach the learning platform.

Rows are written by `RecordStore` in the same transaction as the record they describe, one per
configured sink. A sync job takes due rows in batches, sends them, and marks them sent, or
failed with a time to retry; nothing is deleted, so the table is also an audit log.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from learning.events import LearningEvent
from learning.models import OutboxRow


@dataclass(frozen=True)
class OutboxItem:
    """One event waiting for one sink."""

    id: int
    sink: str
    event: LearningEvent
    attempts: int


#: How long a claimed batch stays with the worker that claimed it.
LEASE = timedelta(seconds=120)


def retry_delay(attempts: int, base: float = 2.0, cap: float = 900.0) -> timedelta:
    """Exponential backoff: 2, 4, 8 … seconds after each failed attempt, at most 15 minutes."""
    return timedelta(seconds=min(cap, base ** max(1, attempts)))


class SqlOutbox:
    """The outbox table, on SQLite or PostgreSQL."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def due(
        self, sink: str, limit: int, now: datetime, lease: timedelta = LEASE
    ) -> list[OutboxItem]:
        """Claim up to `limit` unsent events for `sink` whose time has come, oldest first.

        Claimed rows are leased: their next attempt moves `lease` ahead, so another sync worker
        does not take them meanwhile. `mark_sent` or `mark_failed` settles them; if the worker
        dies, they come due again when the lease runs out. On PostgreSQL, rows another worker
        is claiming are skipped (``FOR UPDATE SKIP LOCKED``).
        """
        with self._sessions.begin() as session:
            query = (
                select(OutboxRow)
                .where(OutboxRow.sink == sink, OutboxRow.sent_at.is_(None))
                .where(OutboxRow.next_attempt_at <= now)
                .order_by(OutboxRow.id)
                .limit(limit)
            )
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            rows = list(session.scalars(query))
            if rows:
                session.execute(
                    update(OutboxRow)
                    .where(OutboxRow.id.in_([r.id for r in rows]))
                    .values(next_attempt_at=now + lease)
                )
            return [
                OutboxItem(r.id, r.sink, LearningEvent.from_dict(json.loads(r.payload)), r.attempts)
                for r in rows
            ]

    def mark_sent(self, ids: Sequence[int], now: datetime) -> None:
        """Mark events delivered."""
        if ids:
            with self._sessions.begin() as session:
                session.execute(
                    update(OutboxRow)
                    .where(OutboxRow.id.in_(ids))
                    .values(sent_at=now, attempts=OutboxRow.attempts + 1, last_error=None)
                )

    def mark_failed(self, ids: Sequence[int], error: str, retry_at: datetime) -> None:
        """Record a failed delivery and when to try again."""
        if ids:
            with self._sessions.begin() as session:
                session.execute(
                    update(OutboxRow)
                    .where(OutboxRow.id.in_(ids))
                    .values(
                        attempts=OutboxRow.attempts + 1,
                        last_error=error[:2000],
                        next_attempt_at=retry_at,
                    )
                )

    def pending(self, sink: str | None = None) -> int:
        """How many events are not yet delivered (to `sink`, or to any sink)."""
        with self._sessions() as session:
            query = select(func.count()).select_from(OutboxRow).where(OutboxRow.sent_at.is_(None))
            if sink:
                query = query.where(OutboxRow.sink == sink)
            return int(session.scalar(query) or 0)
