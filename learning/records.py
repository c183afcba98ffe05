"""Learner records: enrollments, lesson completions, quiz attempts, points and certificates.

`RecordStore` is the SQL store (SQLite or PostgreSQL) the course engine writes to. It is built
from small parts, each owning one kind of record; they share the session factory, the clock, one
outbox writer and one points ledger. How every recording stays idempotent is described in
learning/store.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, tzinfo

from sqlalchemy.orm import Session, sessionmaker

from learning.attempts import Attempt, QuizAttempts
from learning.certificates import Certificate, Certificates
from learning.completions import LessonCompletions
from learning.enrollments import Enrollment, Enrollments
from learning.models import utcnow
from learning.overview import Overviews
from learning.points import PointsLedger, PointsRules
from learning.store import Clock, OutboxWriter

__all__ = ["Attempt", "Certificate", "Clock", "Enrollment", "PointsRules", "RecordStore"]


class RecordStore:
    """The SQL learner-record store (SQLite or PostgreSQL), as its parts.

    Args:
        sessions: The record database.
        sinks: The sync sinks every learning event is queued for.
        points: Karma Points per achievement (defaults to `PointsRules()`).
        clock: The time of records that carry no event of their own.
        zone: The deployment's time zone: the weeks of the dashboard's rollups.

    Attributes:
        outbox: Queues learning events for the sinks.
        points: The Karma Points ledger.
        enrollments: Enrollments and each learner's active course.
        lessons: Lesson completions.
        attempts: Quiz attempts and answers.
        certificates: Course completions and certificates.
        overviews: A learner's courses, lessons, quiz results and points in one read.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        *,
        sinks: Sequence[str] = (),
        points: PointsRules | None = None,
        clock: Clock = utcnow,
        zone: tzinfo = UTC,
    ) -> None:
        self.outbox = OutboxWriter(sinks)
        self.points = PointsLedger(sessions, points or PointsRules(), clock)
        self.enrollments = Enrollments(sessions, clock)
        self.lessons = LessonCompletions(sessions, self.outbox, self.points, zone)
        self.attempts = QuizAttempts(sessions, self.outbox, self.points, clock, zone)
        self.certificates = Certificates(sessions, self.outbox, self.points)
        self.overviews = Overviews(sessions)

    def active_course(self, learner_id: str) -> str | None:
        """The course the learner is working on now, if any (`enrollments.active_course`)."""
        return self.enrollments.active_course(learner_id)

    def certificate(self, code: str) -> Certificate | None:
        """The certificate with that verification code, if any (`certificates.get`)."""
        return self.certificates.get(code)
