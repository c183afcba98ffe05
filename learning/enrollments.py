"""Enrollments: which courses a learner takes, where they are in each, and the active one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from learning.models import EnrollmentRow, LearnerRow, aware, new_id
from learning.store import Clock, insert_once, read_one


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


def _enrollment(row: EnrollmentRow) -> Enrollment:
    return Enrollment(
        row.id,
        row.learner_id,
        row.course_id,
        row.course_version,
        row.lesson_id,
        row.part,
        aware(row.enrolled_at) or row.enrolled_at,
        aware(row.completed_at),
    )


@dataclass(frozen=True)
class Enrollments:
    """Enrollments and each learner's active course.

    Attributes:
        sessions: The record database.
        clock: When enrollments and moves happen.
    """

    sessions: sessionmaker[Session]
    clock: Clock

    def enroll(self, learner_id: str, course_id: str, version: int) -> tuple[Enrollment, bool]:
        """Enroll a learner (once); returns (enrollment, whether this call created it)."""
        with self.sessions.begin() as session:
            created = insert_once(
                session,
                EnrollmentRow,
                {
                    "id": new_id(),
                    "learner_id": learner_id,
                    "course_id": course_id,
                    "course_version": version,
                    "part": 0,
                    "enrolled_at": self.clock(),
                    "updated_at": self.clock(),
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

    def get(self, learner_id: str, course_id: str) -> Enrollment | None:
        """The learner's enrollment in a course, if any."""
        statement = select(EnrollmentRow).filter_by(learner_id=learner_id, course_id=course_id)
        return read_one(self.sessions, statement, _enrollment)

    def for_learner(self, learner_id: str) -> list[Enrollment]:
        """All the learner's enrollments, oldest first."""
        with self.sessions() as session:
            rows = session.scalars(
                select(EnrollmentRow)
                .filter_by(learner_id=learner_id)
                .order_by(EnrollmentRow.enrolled_at)
            )
            return [_enrollment(r) for r in rows]

    def active_course(self, learner_id: str) -> str | None:
        """The course the learner is working on now, if any."""
        with self.sessions() as session:
            return session.scalar(select(LearnerRow.active_course_id).filter_by(id=learner_id))

    def move_to(self, learner_id: str, course_id: str, lesson_id: str | None, part: int) -> None:
        """Remember where the learner is in a course, and make it their active course."""
        with self.sessions.begin() as session:
            session.execute(
                update(EnrollmentRow)
                .filter_by(learner_id=learner_id, course_id=course_id)
                .values(lesson_id=lesson_id, part=part, updated_at=self.clock())
            )
            session.execute(
                update(LearnerRow)
                .where(LearnerRow.id == learner_id)
                .values(active_course_id=course_id)
            )
