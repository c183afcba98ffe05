"""The durable outbox: learning events waiting to reach the learning platform.

Rows are written by `RecordStore` in the same transaction as the record they describe, one per
configured sink. A sync job takes due rows in batches, sends them, and marks them sent; failed,
with a time to retry; held, waiting for the learner's platform identity; or parked (dead-lettered)
when the remote refuses them as invalid. Nothing is deleted, so the table is also an audit log.

An unsent row is in one of these states, told apart by `parked_at` and `last_error`:

- queued: never tried (`last_error` is None);
- failed: tried and refused for a reason a retry can fix, or a configuration error
  (`last_error` starts with ``CONFIG_ERROR``, naming the sink configuration it failed under);
- held: waiting for identity (`last_error` starts with ``HELD``);
- parked: the remote refused it as invalid; it is not retried until `retry(parked=True)`.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, not_, select, update
from sqlalchemy.orm import Session, sessionmaker

from learning.events import LearningEvent
from learning.models import OutboxRow

#: How long a claimed batch stays with the worker that claimed it.
LEASE = timedelta(seconds=120)
#: `last_error` prefix of events held back until the learner's platform identity is known.
HELD = "waiting for identity"
#: `last_error` prefix of events a sink could not deliver because it is misconfigured.
CONFIG_ERROR = "configuration error"

_RANDOM = random.Random()


def jittered(delay: timedelta, spread: float = 0.5, rng: random.Random | None = None) -> timedelta:
    """`delay` cut by up to `spread` of itself at random, so that workers do not retry in step."""
    return delay * (1 - spread * (rng or _RANDOM).random())


def retry_delay(
    attempts: int, base: float = 2.0, cap: float = 900.0, rng: random.Random | None = None
) -> timedelta:
    """Exponential backoff with jitter: at most 2, 4, 8 … seconds after each failed attempt (at
    least half of that), never more than `cap` (15 minutes)."""
    return jittered(timedelta(seconds=min(cap, base ** max(1, attempts))), rng=rng)


def config_error(fingerprint: str, detail: str) -> str:
    """The `last_error` of events that failed under the sink configuration `fingerprint`."""
    return f"{CONFIG_ERROR} [config {fingerprint}]: {detail}"


@dataclass(frozen=True)
class OutboxItem:
    """One event waiting for one sink."""

    id: int
    sink: str
    event: LearningEvent
    attempts: int


@dataclass(frozen=True)
class SinkStatus:
    """What one sink has not taken yet.

    Attributes:
        sink: The sink's name.
        pending: Events still to be delivered (all unsent ones but the parked).
        failed: Of those, events tried and not delivered (retried by themselves).
        held: Of those, events waiting for the learner's platform identity.
        parked: Events the remote refused as invalid (retried only on request).
        last_error: The error of the most recently failed or held event, if any.
        last_parked: Why the most recently parked event was refused, if any.
    """

    sink: str
    pending: int
    failed: int
    held: int
    parked: int
    last_error: str | None
    last_parked: str | None


_UNSENT = OutboxRow.sent_at.is_(None)
_LIVE = and_(_UNSENT, OutboxRow.parked_at.is_(None))
_HELD = OutboxRow.last_error.like(HELD + "%")
_FAILED = and_(_LIVE, OutboxRow.last_error.is_not(None), not_(_HELD))


def _count(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


class SqlOutbox:
    """The outbox table, on SQLite or PostgreSQL."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def due(
        self, sink: str, limit: int, now: datetime, lease: timedelta = LEASE
    ) -> list[OutboxItem]:
        """Claim up to `limit` unsent, unparked events for `sink` whose time has come, oldest
        first.

        Claimed rows are leased: their next attempt moves `lease` ahead, so another sync worker
        does not take them meanwhile. `mark_sent`, `mark_failed` or `park` settles them; if the
        worker dies, they come due again when the lease runs out. On PostgreSQL, rows another
        worker is claiming are skipped (``FOR UPDATE SKIP LOCKED``).
        """
        with self._sessions.begin() as session:
            query = (
                select(OutboxRow)
                .where(OutboxRow.sink == sink, _LIVE, OutboxRow.next_attempt_at <= now)
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

    def _update(self, ids: Sequence[int], **values: Any) -> None:
        if ids:
            with self._sessions.begin() as session:
                session.execute(
                    update(OutboxRow)
                    .where(OutboxRow.id.in_(ids))
                    .values(attempts=OutboxRow.attempts + 1, **values)
                )

    def mark_sent(self, ids: Sequence[int], now: datetime) -> None:
        """Mark events delivered."""
        self._update(ids, sent_at=now, last_error=None)

    def mark_failed(self, ids: Sequence[int], error: str, retry_at: datetime) -> None:
        """Record a failed delivery (or a hold, when `error` starts with ``HELD``) and when to
        try again."""
        self._update(ids, last_error=error[:2000], next_attempt_at=retry_at)

    def park(self, ids: Sequence[int], reason: str, now: datetime) -> None:
        """Dead-letter events the remote refused as invalid: kept, with the reason, and not
        retried until `retry(parked=True)`."""
        self._update(ids, last_error=reason[:2000], parked_at=now)

    def reconfigured(self, sink: str, fingerprint: str, now: datetime) -> int:
        """Make due at once the events `sink` failed with a configuration error under another
        configuration than `fingerprint`; how many."""
        with self._sessions.begin() as session:
            result = session.execute(
                update(OutboxRow)
                .where(OutboxRow.sink == sink, _LIVE)
                .where(OutboxRow.last_error.like(CONFIG_ERROR + " [%"))
                .where(not_(OutboxRow.last_error.like(config_error(fingerprint, "") + "%")))
                .values(next_attempt_at=now, last_error=CONFIG_ERROR + ": configuration changed")
            )
            return int(getattr(result, "rowcount", 0) or 0)

    def retry(self, now: datetime, sink: str | None = None, *, parked: bool = False) -> int:
        """Make failed and held events due now (and parked ones too, with `parked`); how many."""
        tried = and_(_UNSENT, OutboxRow.last_error.is_not(None))
        condition = tried if parked else and_(tried, OutboxRow.parked_at.is_(None))
        query = update(OutboxRow).where(condition).values(next_attempt_at=now, parked_at=None)
        if sink:
            query = query.where(OutboxRow.sink == sink)
        with self._sessions.begin() as session:
            return int(getattr(session.execute(query), "rowcount", 0) or 0)

    def pending(self, sink: str | None = None) -> int:
        """How many events are still to be delivered (to `sink`, or to any sink); parked
        events are not counted."""
        with self._sessions() as session:
            query = select(func.count()).select_from(OutboxRow).where(_LIVE)
            if sink:
                query = query.where(OutboxRow.sink == sink)
            return int(session.scalar(query) or 0)

    def status(self) -> list[SinkStatus]:
        """Per sink with unsent events: pending, failed, held and parked counts, and the last
        errors."""
        counts = (
            select(
                OutboxRow.sink,
                _count(OutboxRow.parked_at.is_(None)),
                _count(_FAILED),
                _count(and_(OutboxRow.parked_at.is_(None), _HELD)),
                _count(OutboxRow.parked_at.is_not(None)),
            )
            .where(_UNSENT)
            .group_by(OutboxRow.sink)
            .order_by(OutboxRow.sink)
        )
        with self._sessions() as session:
            rows = session.execute(counts).all()
            return [
                SinkStatus(
                    sink,
                    int(pending),
                    int(failed),
                    int(held),
                    int(parked),
                    self._latest(session, sink, and_(_LIVE, OutboxRow.last_error.is_not(None))),
                    self._latest(session, sink, OutboxRow.parked_at.is_not(None)),
                )
                for sink, pending, failed, held, parked in rows
            ]

    @staticmethod
    def _latest(session: Session, sink: str, condition: Any) -> str | None:
        order = (OutboxRow.parked_at.desc(), OutboxRow.next_attempt_at.desc(), OutboxRow.id.desc())
        query = select(OutboxRow.last_error).where(OutboxRow.sink == sink, _UNSENT, condition)
        return session.scalar(query.order_by(*order).limit(1))
