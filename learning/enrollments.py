"""Enrollments: which courses a learner takes, where they are in each, and the active one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import String, Table, bindparam, exists, func, literal, select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session, sessionmaker

from learning.models import (
    EnrollmentRow,
    LearnerRow,
    LessonCompletionRow,
    QuizAttemptRow,
    aware,
    new_id,
)
from learning.store import Clock, core_rows, insert_once, write_one


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


_ENROLLMENT_TABLE, _LEARNER_TABLE = (
    cast(Table, EnrollmentRow.__table__),
    cast(Table, LearnerRow.__table__),
)
_ENROLLMENTS, _LEARNERS = _ENROLLMENT_TABLE.c, _LEARNER_TABLE.c
_COMPLETIONS = cast(Table, LessonCompletionRow.__table__).c
_ATTEMPTS = cast(Table, QuizAttemptRow.__table__).c
# The hot reads and writes as Core statements built once (as the learner reads, D34).
_FIELDS = select(
    _ENROLLMENTS.id, _ENROLLMENTS.learner_id, _ENROLLMENTS.course_id,
    _ENROLLMENTS.course_version, _ENROLLMENTS.lesson_id, _ENROLLMENTS.part,
    _ENROLLMENTS.enrolled_at, _ENROLLMENTS.completed_at,
)  # fmt: skip
_OF_LEARNER = _FIELDS.where(_ENROLLMENTS.learner_id == bindparam("learner_id"))
_ONE = _OF_LEARNER.where(_ENROLLMENTS.course_id == bindparam("course_id"))
_ALL = _OF_LEARNER.order_by(_ENROLLMENTS.enrolled_at)
_ACTIVE = select(_LEARNERS.active_course_id).where(_LEARNERS.id == bindparam("learner_id"))
# The latest unfinished enrollment's course, for a learner with no active course.
_LATEST_UNFINISHED = (
    select(_ENROLLMENTS.course_id)
    .where(_ENROLLMENTS.learner_id == _LEARNERS.id, _ENROLLMENTS.completed_at.is_(None))
    .order_by(_ENROLLMENTS.enrolled_at.desc())
    .limit(1)
    .correlate(_LEARNER_TABLE)
    .scalar_subquery()
)
# For the place's flows: the course of the learner's latest unfinished quiz attempt, and
# whether the enrollment's current lesson is completed (probes of unique indexes).
_OPEN_QUIZ_COURSE = (
    select(_ATTEMPTS.course_id)
    .where(_ATTEMPTS.learner_id == _LEARNERS.id, _ATTEMPTS.finished_at.is_(None))
    .order_by(_ATTEMPTS.started_at.desc())
    .limit(1)
    .correlate(_LEARNER_TABLE)
    .scalar_subquery()
)
_LESSON_DONE = (
    exists()
    .where(
        _COMPLETIONS.learner_id == _ENROLLMENTS.learner_id,
        _COMPLETIONS.course_id == _ENROLLMENTS.course_id,
        _COMPLETIONS.lesson_id == _ENROLLMENTS.lesson_id,
    )
    .correlate(_ENROLLMENT_TABLE)
)
# The active course and an enrollment in one statement: in the course given, else in the
# active course, else in the latest unfinished one (COALESCE stops at the first that is not
# NULL, so the subquery runs only for a learner with no active course); with them the two
# above. A learner not enrolled still gives a row (its enrollment columns NULL).
_ACTIVE_ENROLLMENT = (
    select(
        _LEARNERS.active_course_id.label("active_course_id"),
        *_FIELDS.selected_columns,
        _OPEN_QUIZ_COURSE.label("open_quiz_course"),
        _LESSON_DONE.label("lesson_done"),
    )
    .select_from(
        _LEARNER_TABLE.outerjoin(
            _ENROLLMENT_TABLE,
            (_ENROLLMENTS.learner_id == _LEARNERS.id)
            & (
                _ENROLLMENTS.course_id
                == func.coalesce(
                    bindparam("course_id", type_=String),
                    _LEARNERS.active_course_id,
                    _LATEST_UNFINISHED,
                )
            ),
        )
    )
    .where(_LEARNERS.id == bindparam("learner_id"))
)
# Only a change of course rewrites the learner row: most moves stay in the active course,
# and an unchanged row is neither a new row version nor WAL on PostgreSQL.
_ACTIVATE = (
    update(_LEARNER_TABLE)
    .where(_LEARNERS.id == bindparam("learner_id"))
    .where(_LEARNERS.active_course_id.is_distinct_from(bindparam("course_id")))
    .values(active_course_id=bindparam("course_id"))
)
# Enrolling on PostgreSQL in one statement: insert the enrollment unless it exists, make the
# course active (a data-modifying CTE runs whether or not the query reads it), and return the
# enrollment, from the insert's RETURNING when this call created it, else as it was. Both
# halves of the UNION see the statement's snapshot, so they never both give a row.
_INSERTED = (
    postgresql.insert(_ENROLLMENT_TABLE)
    .values(
        id=bindparam("new_id"),
        learner_id=bindparam("learner_id"),
        course_id=bindparam("course_id"),
        course_version=bindparam("version"),
        part=0,
        enrolled_at=bindparam("at"),
        updated_at=bindparam("at"),
    )
    .on_conflict_do_nothing()
    .returning(*_FIELDS.selected_columns)
    .cte("inserted")
)
_ENROLL = (
    select(*_INSERTED.c, literal(True).label("created"))
    .union_all(_ONE.add_columns(literal(False).label("created")))
    # A column default is not applied inside a CTE: the time is given.
    .add_cte(_ACTIVATE.values(updated_at=bindparam("at")).cte("activated"))
)
_MOVE = (
    update(_ENROLLMENT_TABLE)
    .where(_ENROLLMENTS.learner_id == bindparam("of_learner"))  # a column's own name is
    .where(_ENROLLMENTS.course_id == bindparam("of_course"))  # reserved for its new value
    .values(lesson_id=bindparam("to_lesson"), part=bindparam("to_part"),
            updated_at=bindparam("at"))
)  # fmt: skip


def _enrollment(row: Any) -> Enrollment:
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
class Standing:
    """A learner's standing in one course, read in one statement (`Enrollments.standing`).

    Attributes:
        active_course: The learner's active course, if any.
        enrollment: The enrollment asked for, if the learner has it.
        open_quiz_course: The course of the learner's latest unfinished quiz attempt, if any.
        lesson_done: Whether the enrollment's current lesson is completed.
    """

    active_course: str | None
    enrollment: Enrollment | None
    open_quiz_course: str | None
    lesson_done: bool


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
        """Enroll a learner (once) and make the course their active one; returns (enrollment,
        whether this call created it). One statement on PostgreSQL (`_ENROLL`)."""
        now, keys = self.clock(), {"learner_id": learner_id, "course_id": course_id}
        if self.sessions.kw["bind"].dialect.name == "postgresql":
            rows = write_one(self.sessions, _ENROLL, new_id=new_id(), version=version, at=now,
                             **keys)  # fmt: skip
            if rows:
                return _enrollment(rows[0]), bool(rows[0].created)
            # Another call enrolled this learner in the same moment: the insert waited for it
            # and skipped, but the statement's snapshot is older than its row.
            enrolled = self.get(learner_id, course_id)
            if enrolled is None:
                raise LookupError(f"enrollment of {learner_id} in {course_id} vanished")
            return enrolled, False
        with self.sessions.begin() as session:
            row = {"id": new_id(), "course_version": version, "part": 0, "enrolled_at": now,
                   "updated_at": now}  # fmt: skip
            created = insert_once(session, EnrollmentRow, keys | row)
            session.execute(_ACTIVATE, keys)
            return _enrollment(session.execute(_ONE, keys).one()), created

    def get(self, learner_id: str, course_id: str) -> Enrollment | None:
        """The learner's enrollment in a course, if any."""
        rows = core_rows(self.sessions, _ONE, learner_id=learner_id, course_id=course_id)
        return _enrollment(rows[0]) if rows else None

    def for_learner(self, learner_id: str) -> list[Enrollment]:
        """All the learner's enrollments, oldest first."""
        return [_enrollment(r) for r in core_rows(self.sessions, _ALL, learner_id=learner_id)]

    def active_course(self, learner_id: str) -> str | None:
        """The course the learner is working on now, if any."""
        rows = core_rows(self.sessions, _ACTIVE, learner_id=learner_id)
        return rows[0].active_course_id if rows else None

    def standing(self, learner_id: str, course_id: str | None = None) -> Standing:
        """The learner's active course, if any, and their enrollment in `course_id` (default:
        in the active course, or with none active in their latest unfinished course), with the
        learner's open quiz and whether that enrollment's current lesson is done: one read."""
        keys = {"learner_id": learner_id, "course_id": course_id}
        rows = core_rows(self.sessions, _ACTIVE_ENROLLMENT, **keys)
        if not rows:
            return Standing(None, None, None, False)
        row = rows[0]
        enrollment = _enrollment(row) if row.id is not None else None
        return Standing(
            row.active_course_id, enrollment, row.open_quiz_course, bool(row.lesson_done)
        )

    def move_to(
        self,
        learner_id: str,
        course_id: str,
        lesson_id: str | None,
        part: int,
        *,
        activate: bool = True,
    ) -> None:
        """Remember where the learner is in a course, and make it their active course
        (`activate=False`: the caller knows it already is)."""
        move = {"of_learner": learner_id, "of_course": course_id, "to_lesson": lesson_id,
                "to_part": part, "at": self.clock()}  # fmt: skip
        if not activate:  # the usual move, within the active course: one statement
            write_one(self.sessions, _MOVE, **move)
            return
        with self.sessions.begin() as session:
            session.execute(_MOVE, move)
            session.execute(_ACTIVATE, {"learner_id": learner_id, "course_id": course_id})
