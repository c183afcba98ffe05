"""Learner records: enrollments, lesson completions, quiz attempts, points and certificates.

Every recording is idempotent on a natural key, enforced by a unique constraint and written with
``INSERT … ON CONFLICT DO NOTHING``: a double-tapped button, a retried request or two workers at
once record a thing once. The learning events each recording produces go into the outbox in the
same transaction (learning/outbox.py), so what the learner record says and what is synced to the
learning platform can never disagree.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, inspect, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from learning.events import LearningEvent
from learning.models import (
    Base,
    CertificateRow,
    EnrollmentRow,
    LearnerRow,
    LessonCompletionRow,
    OutboxRow,
    PointsRow,
    QuizAnswerRow,
    QuizAttemptRow,
    new_id,
    utcnow,
)
from learning.repository import _aware

Clock = Callable[[], datetime]
#: Characters of certificate codes: no 0/O or 1/I/L to misread.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


@dataclass(frozen=True)
class PointsRules:
    """Karma Points per achievement (from settings)."""

    lesson: int = 10
    quiz_passed: int = 20
    course_completed: int = 50


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
class Attempt:
    """A quiz attempt: its shuffled layout and how far the learner is."""

    id: str
    learner_id: str
    course_id: str
    quiz_id: str
    number: int
    layout: tuple[tuple[str, tuple[str, ...]], ...]
    position: int
    score: int
    total: int
    passed: bool | None
    language: str
    finished: bool

    @property
    def current(self) -> tuple[str, tuple[str, ...]] | None:
        """(question id, option ids in display order) of the next question, if any."""
        return self.layout[self.position] if self.position < len(self.layout) else None


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


def _attempt(row: QuizAttemptRow) -> Attempt:
    layout = tuple((str(q), tuple(map(str, opts))) for q, opts in json.loads(row.layout))
    return Attempt(
        row.id,
        row.learner_id,
        row.course_id,
        row.quiz_id,
        row.number,
        layout,
        row.position,
        row.score,
        row.total,
        row.passed,
        row.language,
        row.finished_at is not None,
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


def _attempts_of(learner_id: str, course_id: str) -> tuple[Any, ...]:
    return (QuizAttemptRow.learner_id == learner_id, QuizAttemptRow.course_id == course_id)


def insert_once(session: Session, table: type[Base], values: dict[str, Any]) -> bool:
    """Insert a row unless one with the same unique key exists; True if this call inserted it."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    key = inspect(table).primary_key
    statement = insert(table).values(**values).on_conflict_do_nothing().returning(*key)
    return session.execute(statement).first() is not None


class RecordStore:
    """The SQL learner-record store (SQLite or PostgreSQL)."""

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
            session.execute(insert(OutboxRow).values(rows).on_conflict_do_nothing())

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

    # -- quizzes -------------------------------------------------------------------------

    def start_attempt(
        self,
        learner_id: str,
        course_id: str,
        quiz_id: str,
        layout: Sequence[tuple[str, Sequence[str]]],
        language: str,
    ) -> Attempt:
        """Start the next attempt at a quiz, or return the unfinished one."""
        with self._sessions.begin() as session:
            open_row = session.scalars(
                select(QuizAttemptRow).filter_by(
                    learner_id=learner_id, course_id=course_id, quiz_id=quiz_id, finished_at=None
                )
            ).first()
            if open_row:
                return _attempt(open_row)
            number = 1 + (
                session.scalar(
                    select(func.max(QuizAttemptRow.number)).where(
                        *_attempts_of(learner_id, course_id), QuizAttemptRow.quiz_id == quiz_id
                    )
                )
                or 0
            )
            insert_once(
                session,
                QuizAttemptRow,
                {
                    "id": new_id(),
                    "learner_id": learner_id,
                    "course_id": course_id,
                    "quiz_id": quiz_id,
                    "number": number,
                    "layout": json.dumps([[q, list(o)] for q, o in layout]),
                    "position": 0,
                    "score": 0,
                    "total": len(layout),
                    "language": language,
                    "started_at": self._clock(),
                },
            )
            row = session.scalars(
                select(QuizAttemptRow).filter_by(
                    learner_id=learner_id, course_id=course_id, quiz_id=quiz_id, number=number
                )
            ).one()
            return _attempt(row)

    def attempt(self, attempt_id: str) -> Attempt | None:
        """An attempt by id."""
        with self._sessions() as session:
            row = session.get(QuizAttemptRow, attempt_id)
            return _attempt(row) if row else None

    def open_attempt(self, learner_id: str) -> Attempt | None:
        """The learner's unfinished quiz attempt, if any (the most recent)."""
        with self._sessions() as session:
            row = session.scalars(
                select(QuizAttemptRow)
                .filter_by(learner_id=learner_id, finished_at=None)
                .order_by(QuizAttemptRow.started_at.desc())
            ).first()
            return _attempt(row) if row else None

    def answer(
        self, attempt_id: str, question_id: str, option_id: str, correct: bool, event: LearningEvent
    ) -> tuple[Attempt, bool]:
        """Record the answer to the attempt's current question (the first answer counts).

        Returns:
            (the attempt after the answer, whether this call recorded it). A second answer to
            the same question, or an answer to a question that is not the current one, records
            nothing.
        """
        with self._sessions.begin() as session:
            row = session.get(QuizAttemptRow, attempt_id, with_for_update=True)
            assert row is not None
            current = _attempt(row).current
            if row.finished_at is not None or current is None or current[0] != question_id:
                return _attempt(row), False
            if not insert_once(
                session,
                QuizAnswerRow,
                {
                    "attempt_id": attempt_id,
                    "question_id": question_id,
                    "option_id": option_id,
                    "correct": correct,
                    "answered_at": event.timestamp,
                },
            ):
                return _attempt(row), False
            row.position += 1
            row.score += int(correct)
            self._emit(session, event)
            session.flush()
            return _attempt(row), True

    def finish_attempt(self, attempt_id: str, passed: bool, events: Sequence[LearningEvent]) -> int:
        """Close a fully answered attempt; returns the points it earned (0 if already closed)."""
        with self._sessions.begin() as session:
            row = session.get(QuizAttemptRow, attempt_id, with_for_update=True)
            assert row is not None
            if row.finished_at is not None:
                return 0
            row.finished_at, row.passed = self._clock(), passed
            self._emit(session, *events)
            if not passed:
                return 0
            return self._award(
                session,
                row.learner_id,
                f"quiz:{row.course_id}:{row.quiz_id}",
                "quiz_passed",
                self.points_rules.quiz_passed,
            )

    def passed_quizzes(self, learner_id: str, course_id: str) -> set[str]:
        """Ids of the course's quizzes the learner has passed."""
        with self._sessions() as session:
            return set(
                session.scalars(
                    select(QuizAttemptRow.quiz_id).where(
                        *_attempts_of(learner_id, course_id), QuizAttemptRow.passed.is_(True)
                    )
                )
            )

    def best_scores(self, learner_id: str, course_id: str) -> dict[str, tuple[int, int]]:
        """Best (score, total) per finished quiz of a course."""
        with self._sessions() as session:
            rows = session.execute(
                select(
                    QuizAttemptRow.quiz_id,
                    func.max(QuizAttemptRow.score),
                    func.max(QuizAttemptRow.total),
                )
                .where(*_attempts_of(learner_id, course_id))
                .where(QuizAttemptRow.finished_at.is_not(None))
                .group_by(QuizAttemptRow.quiz_id)
            )
            return {quiz: (int(score), int(total)) for quiz, score, total in rows}

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
