"""A learner's whole record at a glance, in one read: courses, lessons, quiz results, points.

The progress report needs every enrolled course's completed lessons and quiz results and the
Karma Points total. Read course by course that is two statements a course and two more; here
it is one `UNION ALL` of four kinds of row (a point total, an enrollment, a completed lesson,
a quiz's results), each an index range of the learner's own rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Integer, String, Table, bindparam, case, func, literal, null, select
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.expression import BindParameter, ColumnElement, union_all

from learning.attempts import QUIZ_RESULT, QuizResults
from learning.models import EnrollmentRow, LessonCompletionRow, PointsRow, QuizAttemptRow
from learning.store import core_rows

_ENROLLMENTS = cast(Table, EnrollmentRow.__table__).c
_COMPLETIONS = cast(Table, LessonCompletionRow.__table__).c
_ATTEMPTS = cast(Table, QuizAttemptRow.__table__).c
_POINTS = cast(Table, PointsRow.__table__).c
_LEARNER: BindParameter[str] = bindparam("learner_id", type_=String)
_TEXT, _NUMBER = sql_cast(null(), String), sql_cast(null(), Integer)


def _row(
    kind: str,
    course: ColumnElement[Any] = _TEXT,
    item: ColumnElement[Any] = _TEXT,
    score: ColumnElement[Any] = _NUMBER,
    total: ColumnElement[Any] = _NUMBER,
    flag: ColumnElement[Any] = _NUMBER,
) -> list[ColumnElement[Any]]:
    """One branch's columns, alike in every branch: kind, course, item, score, total, flag."""
    values = {"kind": literal(kind, String), "course": course, "item": item, "score": score,
              "total": total, "flag": flag}  # fmt: skip
    return [value.label(name) for name, value in values.items()]


_POINT_TOTAL = select(*_row("points", score=func.coalesce(func.sum(_POINTS.points), 0)))
#: Enrollment rows carry their order (`score`), so courses are listed oldest first; `flag` is
#: 1 for a completed course, for a passed quiz.
_COURSES = select(
    *_row(
        "course",
        _ENROLLMENTS.course_id,
        score=func.row_number().over(order_by=_ENROLLMENTS.enrolled_at),
        flag=case((_ENROLLMENTS.completed_at.is_not(None), 1), else_=0),
    )
)
_LESSONS = select(*_row("lesson", _COMPLETIONS.course_id, _COMPLETIONS.lesson_id))
_SCORE, _TOTAL, _PASSED = (column.element for column in QUIZ_RESULT)  # unlabelled
_QUIZZES = select(
    *_row("quiz", _ATTEMPTS.course_id, _ATTEMPTS.quiz_id, _SCORE, _TOTAL, _PASSED)
).group_by(_ATTEMPTS.course_id, _ATTEMPTS.quiz_id)
_OVERVIEW = union_all(
    _POINT_TOTAL.where(_POINTS.learner_id == _LEARNER),
    _COURSES.where(_ENROLLMENTS.learner_id == _LEARNER),
    _LESSONS.where(_COMPLETIONS.learner_id == _LEARNER),
    _QUIZZES.where(_ATTEMPTS.learner_id == _LEARNER),
)
_COURSE = bindparam("course_id", type_=String)
#: One course's lessons and quiz results (what comes next in it, its progress).
_IN_COURSE = union_all(
    _LESSONS.where(_COMPLETIONS.learner_id == _LEARNER, _COMPLETIONS.course_id == _COURSE),
    _QUIZZES.where(_ATTEMPTS.learner_id == _LEARNER, _ATTEMPTS.course_id == _COURSE),
)


@dataclass(frozen=True)
class CourseOverview:
    """One enrolled course: whether it is completed, the lessons done, the quiz results."""

    course_id: str
    completed: bool
    done: frozenset[str]
    results: QuizResults


@dataclass(frozen=True)
class Overview:
    """A learner's courses, oldest enrollment first, and their Karma Points total."""

    courses: list[CourseOverview]
    points: int


@dataclass(frozen=True)
class Overviews:
    """Reads learners' overviews.

    Attributes:
        sessions: The record database.
    """

    sessions: sessionmaker[Session]

    def read(self, learner_id: str) -> Overview:
        """The learner's overview: one read."""
        rows = core_rows(self.sessions, _OVERVIEW, learner_id=learner_id)
        points = next((int(r.score or 0) for r in rows if r.kind == "points"), 0)
        courses = sorted((int(r.score), r.course, bool(r.flag)) for r in rows if r.kind == "course")
        records = _records(rows)
        return Overview(
            [
                CourseOverview(course, completed, *records.get(course, NO_RECORD))
                for _, course, completed in courses
            ],
            points,
        )

    def course(self, learner_id: str, course_id: str) -> tuple[frozenset[str], QuizResults]:
        """The lessons the learner completed in a course and their quiz results: one read."""
        rows = core_rows(self.sessions, _IN_COURSE, learner_id=learner_id, course_id=course_id)
        return _records(rows).get(course_id, NO_RECORD)


#: A course's record with nothing in it: no lesson done, no quiz tried.
NO_RECORD: tuple[frozenset[str], QuizResults] = (frozenset(), QuizResults({}, frozenset()))


def _records(rows: list[Any]) -> dict[str, tuple[frozenset[str], QuizResults]]:
    """Lessons done and quiz results per course, from lesson and quiz rows."""
    done: dict[str, set[str]] = {}
    best: dict[str, dict[str, tuple[int, int]]] = {}
    passed: dict[str, set[str]] = {}
    for row in rows:
        if row.kind == "lesson":
            done.setdefault(row.course, set()).add(row.item)
        elif row.kind == "quiz":
            if row.score is not None:
                best.setdefault(row.course, {})[row.item] = (int(row.score), int(row.total))
            if row.flag:
                passed.setdefault(row.course, set()).add(row.item)
    return {
        course: (
            frozenset(done.get(course, ())),
            QuizResults(best.get(course, {}), frozenset(passed.get(course, ()))),
        )
        for course in done.keys() | best.keys() | passed.keys()
    }
