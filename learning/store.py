"""The base of the learner-record store: idempotent inserts, the outbox and the points ledger.

Every recording is idempotent on a natural key, enforced by a unique constraint and written with
``INSERT … ON CONFLICT DO NOTHING … RETURNING``: a double-tapped button, a retried request or two
workers at once record a thing once, and only the call that inserted the row does the follow-up
work. The learning events a recording produces go into the outbox in the same transaction
(learning/outbox.py), so the learner record and what is synced can never disagree.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, inspect, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from learning.events import LearningEvent
from learning.models import (
    Base,
    OutboxRow,
    PointsRow,
    utcnow,
)

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class PointsRules:
    """Karma Points per achievement (from settings)."""

    lesson: int = 10
    quiz_passed: int = 20
    course_completed: int = 50


def insert_once(session: Session, table: type[Base], values: dict[str, Any]) -> bool:
    """Insert a row unless one with the same unique key exists; True if this call inserted it."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    key = inspect(table).primary_key
    statement = insert(table).values(**values).on_conflict_do_nothing().returning(*key)
    return session.execute(statement).first() is not None


class StoreBase:
    """What every part of the record store shares: sessions, clock, sinks and point rules."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        sinks: Sequence[str] = (),
        points: PointsRules | None = None,
        clock: Clock = utcnow,
    ) -> None:
        self._sessions = sessions
        self._sinks = tuple(sinks)
        self.points_rules = points or PointsRules()
        self._clock = clock

    # -- events, points ------------------------------------------------------------------

    def _emit(self, session: Session, *events: LearningEvent | None) -> None:
        """Queue events for every configured sink, in one statement (duplicates ignored)."""
        rows = [
            {
                "sink": sink,
                "event_id": e.id,
                "attempts": 0,
                "created_at": e.timestamp,
                "next_attempt_at": e.timestamp,
                "payload": json.dumps(e.to_dict(), ensure_ascii=False),
            }
            for e in events
            if e is not None
            for sink in self._sinks
        ]
        if rows:
            dialect = session.get_bind().dialect.name
            insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
            # executemany form: the statement compiles once and is cached, and SQLAlchemy still
            # sends all rows in one INSERT (insertmanyvalues).
            session.execute(insert(OutboxRow).on_conflict_do_nothing(), rows)

    def _award(self, session: Session, learner_id: str, key: str, reason: str, points: int) -> int:
        if points <= 0:
            return 0
        values = {
            "learner_id": learner_id,
            "key": key,
            "reason": reason,
            "points": points,
            "awarded_at": self._clock(),
        }
        return points if insert_once(session, PointsRow, values) else 0

    def points(self, learner_id: str) -> int:
        """The learner's Karma Points total."""
        with self._sessions() as session:
            total = session.scalar(
                select(func.coalesce(func.sum(PointsRow.points), 0)).where(
                    PointsRow.learner_id == learner_id
                )
            )
            return int(total or 0)
