"""A learner's overview in one read agrees with the per-course reads, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from learning.db import make_engine, session_factory, upgrade
from learning.models import (
    EnrollmentRow,
    LessonCompletionRow,
    PointsRow,
    QuizAttemptRow,
    new_id,
)
from learning.records import RecordStore
from learning.repository import SqlLearnerRepository

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _attempt(
    learner: str, course: str, quiz: str, number: int, score: int, **more: object
) -> QuizAttemptRow:
    values = {"id": new_id(), "learner_id": learner, "course_id": course, "quiz_id": quiz,
              "number": number, "layout": "[]", "score": score, "total": 4, "language": "en",
              "started_at": T0 + timedelta(minutes=number)}  # fmt: skip
    return QuizAttemptRow(**(values | more))


def test_the_overview_is_one_read_that_agrees_with_the_per_course_reads(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(db_url, engine)
    sessions = session_factory(engine)
    records = RecordStore(sessions)
    repo = SqlLearnerRepository(sessions)
    asha, ravi = repo.get_or_create("web", "asha"), repo.get_or_create("web", "ravi")
    with sessions.begin() as session:
        for learner, course, minutes, done in (
            (asha.id, "rti", 30, None), (asha.id, "cyber", 10, T0), (ravi.id, "rti", 5, None),
        ):  # fmt: skip
            session.add(EnrollmentRow(id=new_id(), learner_id=learner, course_id=course,
                                      course_version=1, part=0, completed_at=done,
                                      enrolled_at=T0 + timedelta(minutes=minutes),
                                      updated_at=T0))  # fmt: skip
        for learner, course, lesson in (
            (asha.id, "cyber", "c1"), (asha.id, "cyber", "c2"), (asha.id, "rti", "r1"),
            (ravi.id, "rti", "r2"),
        ):  # fmt: skip
            session.add(LessonCompletionRow(learner_id=learner, course_id=course,
                                            lesson_id=lesson, language="en"))  # fmt: skip
        session.add_all([
            _attempt(asha.id, "cyber", "q1", 1, 2, passed=False, finished_at=T0),
            _attempt(asha.id, "cyber", "q1", 2, 4, passed=True, finished_at=T0),
            _attempt(asha.id, "cyber", "q2", 3, 3, passed=True, finished_at=T0),
            _attempt(asha.id, "rti", "q1", 4, 1),  # open: no result yet
            _attempt(ravi.id, "rti", "q1", 5, 4, passed=True, finished_at=T0),
        ])  # fmt: skip
        session.add_all([
            PointsRow(learner_id=asha.id, key="a", reason="lesson", points=10),
            PointsRow(learner_id=asha.id, key="b", reason="quiz", points=20),
            PointsRow(learner_id=ravi.id, key="c", reason="quiz", points=7),
        ])  # fmt: skip
    statements: list[str] = []

    def record(*args: object) -> None:
        statements.append(str(args[2]))

    sa.event.listen(engine, "before_cursor_execute", record)
    overview = records.overviews.read(asha.id)
    sa.event.remove(engine, "before_cursor_execute", record)
    assert len([s for s in statements if not s.startswith("BEGIN")]) == 1
    assert [c.course_id for c in overview.courses] == ["cyber", "rti"]  # oldest enrollment first
    assert [c.completed for c in overview.courses] == [True, False]
    assert overview.points == records.points.total(asha.id) == 30
    for course in overview.courses:  # the same as reading course by course
        assert course.done == records.lessons.completed(asha.id, course.course_id)
        assert course.results == records.attempts.results(asha.id, course.course_id)
        one_course = records.overviews.course(asha.id, course.course_id)
        assert one_course == (course.done, course.results)
    assert records.overviews.course(ravi.id, "rti")[0] == {"r2"}
    assert records.overviews.course(ravi.id, "cyber") == (
        set(),
        records.attempts.results(ravi.id, "cyber"),
    )
    cyber, rti = overview.courses
    assert cyber.results.best == {"q1": (4, 4), "q2": (3, 4)}
    assert cyber.results.passed == {"q1", "q2"} and rti.results.best == {}
    empty = records.overviews.read(repo.get_or_create("web", "new").id)
    assert (empty.courses, empty.points) == ([], 0)
    engine.dispose()
