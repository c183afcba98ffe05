"""Learner records: enrollments, lesson completions, quiz attempts, points and certificates.

`RecordStore` is the SQL store (SQLite or PostgreSQL) the course engine writes to; how it keeps
every recording idempotent is described in learning/store.py.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from learning.attempts import Attempt, AttemptRecords
from learning.events import LearningEvent
from learning.models import (
    CertificateRow,
    EnrollmentRow,
    LearnerRow,
    LessonCompletionRow,
    new_id,
)
from learning.repository import _aware
from learning.store import Clock, PointsRules, insert_once

__all__ = ["Attempt", "Certificate", "Clock", "Enrollment", "PointsRules", "RecordStore"]

#: Characters of certificate codes: no 0/O or 1/I/L to misread.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


@dataclass(frozen=True)
class Enrollment:
    """A learner's place in a course."""

    id: str
    learner_id: str
    course_id: str
    course_version: int
    lesson_id: str | None
    part: int
    enrolled_at: datetime
    completed_at: datetime | None


@dataclass(frozen=True)
class Certificate:
    """An issued certificate."""

    code: str
    learner_id: str
    course_id: str
    learner_name: str
    course_title: str
    issued_at: datetime


def _enrollment(row: EnrollmentRow) -> Enrollment:
    return Enrollment(
        row.id,
        row.learner_id,
        row.course_id,
        row.course_version,
        row.lesson_id,
        row.part,
        _aware(row.enrolled_at) or row.enrolled_at,
        _aware(row.completed_at),
    )


def _certificate(row: CertificateRow) -> Certificate:
    return Certificate(
        row.code,
        row.learner_id,
        row.course_id,
        row.learner_name,
        row.course_title,
        _aware(row.issued_at) or row.issued_at,
    )


class RecordStore(AttemptRecords):
    """The SQL learner-record store (SQLite or PostgreSQL)."""

    # -- enrollments ---------------------------------------------------------------------

    def enroll(self, learner_id: str, course_id: str, version: int) -> tuple[Enrollment, bool]:
        """Enroll a learner (once); returns (enrollment, whether this call created it)."""
        with self._sessions.begin() as session:
            created = insert_once(
                session,
                EnrollmentRow,
                {
                    "id": new_id(),
                    "learner_id": learner_id,
                    "course_id": course_id,
                    "course_version": version,
                    "part": 0,
                    "enrolled_at": self._clock(),
                    "updated_at": self._clock(),
                },
            )
            session.execute(
                update(LearnerRow)
                .where(LearnerRow.id == learner_id)
                .values(active_course_id=course_id)
            )
            row = session.scalars(
                select(EnrollmentRow).filter_by(learner_id=learner_id, course_id=course_id)
            ).one()
            return _enrollment(row), created

    def enrollment(self, learner_id: str, course_id: str) -> Enrollment | None:
        """The learner's enrollment in a course, if any."""
        with self._sessions() as session:
            row = session.scalars(
                select(EnrollmentRow).filter_by(learner_id=learner_id, course_id=course_id)
            ).one_or_none()
            return _enrollment(row) if row else None

    def enrollments(self, learner_id: str) -> list[Enrollment]:
        """All the learner's enrollments, oldest first."""
        with self._sessions() as session:
            rows = session.scalars(
                select(EnrollmentRow)
                .filter_by(learner_id=learner_id)
                .order_by(EnrollmentRow.enrolled_at)
            )
            return [_enrollment(r) for r in rows]

    def active_course(self, learner_id: str) -> str | None:
        """The course the learner is working on now, if any."""
        with self._sessions() as session:
            return session.scalar(select(LearnerRow.active_course_id).filter_by(id=learner_id))

    def move_to(self, learner_id: str, course_id: str, lesson_id: str | None, part: int) -> None:
        """Remember where the learner is in a course, and make it their active course."""
        with self._sessions.begin() as session:
            session.execute(
                update(EnrollmentRow)
                .filter_by(learner_id=learner_id, course_id=course_id)
                .values(lesson_id=lesson_id, part=part, updated_at=self._clock())
            )
            session.execute(
                update(LearnerRow)
                .where(LearnerRow.id == learner_id)
                .values(active_course_id=course_id)
            )

    # -- lessons -------------------------------------------------------------------------

    def complete_lesson(self, event: LearningEvent, progress: LearningEvent | None) -> int | None:
        """Record a lesson completion and its events.

        Returns:
            The points it earned, or None when the completion was already recorded.
        """
        assert event.lesson_id is not None
        with self._sessions.begin() as session:
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
            self._emit(session, event, progress)
            return self._award(
                session,
                event.learner_id,
                f"lesson:{event.course_id}:{event.lesson_id}",
                "lesson",
                self.points_rules.lesson,
            )

    def completed_lessons(self, learner_id: str, course_id: str) -> set[str]:
        """Ids of the lessons the learner has completed in a course."""
        with self._sessions() as session:
            return set(
                session.scalars(
                    select(LessonCompletionRow.lesson_id).filter_by(
                        learner_id=learner_id, course_id=course_id
                    )
                )
            )

    # -- course completion and certificates ----------------------------------------------

    def complete_course(
        self, event: LearningEvent, learner_name: str, course_title: str
    ) -> tuple[Certificate, int]:
        """Mark a course complete, issue its certificate (once) and award points (once)."""
        with self._sessions.begin() as session:
            session.execute(
                update(EnrollmentRow)
                .filter_by(
                    learner_id=event.learner_id, course_id=event.course_id, completed_at=None
                )
                .values(completed_at=event.timestamp)
            )
            code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(10))
            if insert_once(
                session,
                CertificateRow,
                {
                    "code": code,
                    "learner_id": event.learner_id,
                    "course_id": event.course_id,
                    "learner_name": learner_name,
                    "course_title": course_title,
                    "issued_at": event.timestamp,
                },
            ):
                self._emit(session, event)
            points = self._award(
                session,
                event.learner_id,
                f"course:{event.course_id}",
                "course_completed",
                self.points_rules.course_completed,
            )
            row = session.scalars(
                select(CertificateRow).filter_by(
                    learner_id=event.learner_id, course_id=event.course_id
                )
            ).one()
            return _certificate(row), points

    def certificate(self, code: str) -> Certificate | None:
        """The certificate with that verification code, if any."""
        with self._sessions() as session:
            row = session.get(CertificateRow, code.strip().upper())
            return _certificate(row) if row else None

    def certificate_for(self, learner_id: str, course_id: str) -> Certificate | None:
        """The learner's certificate for a course, if issued."""
        with self._sessions() as session:
            row = session.scalars(
                select(CertificateRow).filter_by(learner_id=learner_id, course_id=course_id)
            ).one_or_none()
            return _certificate(row) if row else None
