"""Lesson completions: recorded once each, with their events and Karma Points."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, tzinfo
from typing import cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.orm import Session, sessionmaker

from learning.activity import record_step
from learning.events import LearningEvent
from learning.models import LessonCompletionRow
from learning.points import PointsLedger
from learning.store import OutboxWriter, core_rows, insert_once

_COMPLETIONS = cast(Table, LessonCompletionRow.__table__).c
_COMPLETED = select(_COMPLETIONS.lesson_id).where(
    _COMPLETIONS.learner_id == bindparam("learner_id"),
    _COMPLETIONS.course_id == bindparam("course_id"),
)  # built once with bound parameters (D34)


@dataclass(frozen=True)
class LessonCompletions:
    """The lessons each learner has completed.

    Attributes:
        sessions: The record database.
        outbox: Queues the completion's events in the same transaction.
        points: Awards the lesson's points in the same transaction.
        zone: The deployment's time zone (the dashboard's weeks, learning/activity.py).
    """

    sessions: sessionmaker[Session]
    outbox: OutboxWriter
    points: PointsLedger
    zone: tzinfo = UTC

    def complete(self, event: LearningEvent, progress: LearningEvent | None) -> int | None:
        """Record a lesson completion and its events.

        Args:
            event: The lesson_completed event (its natural key makes the completion).
            progress: The course_progressed event to queue with it, if any.

        Returns:
            The points it earned, or None when the completion was already recorded.
        """
        assert event.lesson_id is not None
        with self.sessions.begin() as session:
            new = insert_once(
                session,
                LessonCompletionRow,
                {
                    "learner_id": event.learner_id,
                    "course_id": event.course_id,
                    "lesson_id": event.lesson_id,
                    "language": event.language,
                    "completed_at": event.timestamp,
                },
            )
            if not new:
                return None
            record_step(session, self.zone, event.learner_id, event.course_id, event.timestamp,
                        lesson=True)  # fmt: skip
            self.outbox.emit(session, event, progress)
            return self.points.award(
                session, event.learner_id, "lesson", f"lesson:{event.course_id}:{event.lesson_id}"
            )

    def completed(self, learner_id: str, course_id: str) -> set[str]:
        """Ids of the lessons the learner has completed in a course."""
        rows = core_rows(self.sessions, _COMPLETED, learner_id=learner_id, course_id=course_id)
        return {row.lesson_id for row in rows}
