"""Karma Points: what each achievement earns, and the ledger that awards it once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, cast

from sqlalchemy import Table, bindparam, func, select
from sqlalchemy.orm import Session, sessionmaker

from learning.activity import add_points
from learning.models import PointsRow
from learning.store import Clock, core_rows, insert_once

#: Why points are awarded; each names a field of `PointsRules`.
Reason = Literal["lesson", "quiz_passed", "course_completed"]


_POINTS = cast(Table, PointsRow.__table__).c
_TOTAL = select(func.coalesce(func.sum(_POINTS.points), 0)).where(
    _POINTS.learner_id == bindparam("learner_id")
)  # built once with bound parameters (D34)


@dataclass(frozen=True)
class PointsRules:
    """Karma Points per achievement (from settings)."""

    lesson: int = 10
    quiz_passed: int = 20
    course_completed: int = 50

    def for_reason(self, reason: Reason) -> int:
        """The points an achievement earns."""
        return int(getattr(self, reason))


@dataclass(frozen=True)
class PointsLedger:
    """The learner's Karma Points: one ledger row per achievement.

    Attributes:
        sessions: The record database.
        rules: Points per achievement.
        clock: When an award happens.
    """

    sessions: sessionmaker[Session]
    rules: PointsRules
    clock: Clock

    def award(self, session: Session, learner_id: str, reason: Reason, key: str) -> int:
        """Award an achievement's points in the caller's transaction, once per `key`.

        Returns:
            The points awarded: 0 when `key` was already awarded or the rule gives none.
        """
        points = self.rules.for_reason(reason)
        if points <= 0:
            return 0
        values = {
            "learner_id": learner_id,
            "key": key,
            "reason": reason,
            "points": points,
            "awarded_at": self.clock(),
        }
        if not insert_once(session, PointsRow, values):
            return 0
        add_points(session, learner_id, points)
        return points

    def total(self, learner_id: str) -> int:
        """The learner's Karma Points total."""
        total = core_rows(self.sessions, _TOTAL, learner_id=learner_id)[0][0]
        return int(total or 0)
