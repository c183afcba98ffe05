"""The dashboard's rollups (learning/activity.py) equal a recount from the raw rows: as the real
write paths keep them, as migration 0010 backfills them, and after a learner is erased; on
SQLite and PostgreSQL. Weeks run across more than a year and steps arrive out of order."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import command
from sqlalchemy.orm import Session, sessionmaker

from learning import models as m
from learning.activity import WEEK_BITS, rebuild, week_of
from learning.activity_models import CourseStatsRow, LearnerStatsRow
from learning.db import alembic_config, make_engine, session_factory, upgrade
from learning.events import EventKind, LearningEvent
from learning.records import RecordStore
from tests.learning.store import T0, Clock, add_learner

INDIA = ZoneInfo("Asia/Kolkata")
DAY = timedelta(days=1)
Figures = dict[tuple[str, ...], tuple[Any, ...]]


def _weeks(weeks: set[int]) -> frozenset[int]:
    """The weeks a rollup keeps: the latest and those less than WEEK_BITS before it."""
    top = max(weeks, default=0)
    return frozenset(w for w in weeks if top - w < WEEK_BITS)


def recount(sessions: sessionmaker[Session]) -> tuple[Figures, Figures]:
    """Per learner (points, lessons, courses, last step, weeks) and per learner and course
    (lessons, courses, last step, weeks), from the raw rows, in Python."""
    lessons: dict[tuple[str, ...], int] = defaultdict(int)
    courses: dict[tuple[str, ...], int] = defaultdict(int)
    steps: dict[tuple[str, ...], list[datetime]] = defaultdict(list)
    points: dict[str, int] = defaultdict(int)
    with sessions() as session:
        for learner, course, at in session.execute(
            sa.select(m.LessonCompletionRow.learner_id, m.LessonCompletionRow.course_id,
                      m.LessonCompletionRow.completed_at)
        ):  # fmt: skip
            for key in ((learner,), (learner, course)):
                lessons[key] += 1
                steps[key].append(m.aware(at))  # type: ignore[arg-type]
        for learner, course, at in session.execute(
            sa.select(
                m.QuizAttemptRow.learner_id, m.QuizAttemptRow.course_id, m.QuizAttemptRow.started_at
            )
        ):
            for key in ((learner,), (learner, course)):
                steps[key].append(m.aware(at))  # type: ignore[arg-type]
        awards = sa.select(m.PointsRow.learner_id, m.PointsRow.points)
        for learner, award in session.execute(awards):
            points[learner] += award
        done = m.EnrollmentRow.completed_at.is_not(None)
        for learner, course in session.execute(
            sa.select(m.EnrollmentRow.learner_id, m.EnrollmentRow.course_id).where(done)
        ):
            courses[(learner,)] += 1
            courses[(learner, course)] += 1

    def activity(key: tuple[str, ...]) -> tuple[Any, ...]:
        times = steps.get(key, [])
        weeks = _weeks({week_of(at, INDIA) for at in times})
        return lessons.get(key, 0), courses.get(key, 0), max(times, default=None), weeks

    keys = {*steps, *courses, *((k,) for k in points)}
    per_learner = {k: (points.get(k[0], 0), *activity(k)) for k in keys if len(k) == 1}
    return per_learner, {k: activity(k) for k in keys if len(k) == 2}


def stored(sessions: sessionmaker[Session]) -> tuple[Figures, Figures]:
    """The same figures as the rollups hold them."""

    def weeks(row: Any) -> frozenset[int]:
        top = row.active_week
        return frozenset(top - i for i in range(WEEK_BITS) if (row.weeks >> i) & 1)

    with sessions() as session:
        learners = {
            (r.learner_id,): (
                r.points,
                r.lessons_completed,
                r.courses_completed,
                m.aware(r.last_active_at),
                weeks(r),
            )
            for r in session.scalars(sa.select(LearnerStatsRow))
        }
        courses = {
            (r.learner_id, r.course_id): (
                r.lessons_completed,
                r.courses_completed,
                m.aware(r.last_active_at),
                weeks(r),
            )
            for r in session.scalars(sa.select(CourseStatsRow))
        }
    return learners, courses


def event(kind: EventKind, learner: str, course: str, at: datetime, **more: Any) -> LearningEvent:
    key = f"{learner}:{course}:{more.get('lesson_id', '')}:{kind}"
    return LearningEvent(kind=kind, key=key, learner_id=learner, course_id=course,
                         course_version=1, registration="r", language="en", timestamp=at,
                         **more)  # fmt: skip


def learn(records: RecordStore, clock: Clock, learner: str, course: str, days: list[int]) -> None:
    """Lessons on the given days after T0 (in that order), a retried one, and a quiz."""
    for number, day in enumerate(days):
        at = T0 + day * DAY
        done = event(EventKind.LESSON_COMPLETED, learner, course, at, lesson_id=f"l{number}")
        records.lessons.complete(done, None)
        records.lessons.complete(done, None)  # a retried request: recorded once
    clock.now = T0 + max(days) * DAY + timedelta(hours=20)  # Monday morning in India, maybe
    attempt = records.attempts.start(learner, course, "m1", [("q1", ["a", "b"])], "en")
    records.attempts.start(learner, course, "m1", [("q1", ["a", "b"])], "en")  # the open one
    records.attempts.finish(attempt.id, True, [])


def test_the_write_paths_keep_the_rollups_equal_to_a_recount(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(db_url, engine)
    sessions = session_factory(engine)
    clock = Clock()
    records = RecordStore(sessions, clock=clock, zone=INDIA)
    for learner in ("x", "y", "z"):
        add_learner(sessions, learner)
    learn(records, clock, "x", "rti", [0, 4, 1, -30, 3])  # out of order, across weeks
    learn(records, clock, "x", "ethics", [-400, 2, 500])  # more than WEEK_BITS weeks apart
    learn(records, clock, "y", "rti", [5, 6])
    records.enrollments.enroll("y", "rti", 1)
    complete = event(EventKind.COURSE_COMPLETED, "y", "rti", T0 + 7 * DAY)
    assert records.certificates.complete_course(complete, "Y", "RTI")[1] > 0
    records.certificates.complete_course(complete, "Y", "RTI")  # again: counted once
    records.enrollments.enroll("z", "ethics", 1)  # completed with no step of its own
    records.certificates.complete_course(
        event(EventKind.COURSE_COMPLETED, "z", "ethics", T0), "Z", "E"
    )
    with sessions.begin() as session:  # points alone, no learning step
        records.points.award(session, "z", "lesson", "bonus")
    assert stored(sessions) == recount(sessions)
    learners, courses = stored(sessions)
    assert learners[("x",)][1] == 8 and courses[("x", "rti")][0] == 5
    assert learners[("z",)] == (60, 0, 1, None, frozenset())
    assert learners[("y",)][2] == courses[("y", "rti")][1] == 1
    with sessions.begin() as session:  # a learner erased: their rollups go with them
        session.execute(sa.delete(m.LearnerRow).where(m.LearnerRow.id == "x"))
    assert stored(sessions) == recount(sessions)
    assert ("x",) not in stored(sessions)[0]
    engine.dispose()


def test_migration_0010_backfills_the_rollups_and_downgrades(db_url: str) -> None:
    engine = make_engine(db_url)
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0009")
    sessions = session_factory(engine)
    with engine.begin() as connection:  # the columns of 0009's learners only (not the model's)
        for learner in ("x", "y"):
            connection.execute(sa.insert(m.LearnerRow.__table__).values(
                id=learner, name=learner, language="en", script="native", language_chosen=True,
                name_confirmed=True, reminders_enabled=True, access="learner", created_at=T0,
                updated_at=T0,
            ))  # fmt: skip
    with sessions.begin() as session:
        for number, days in enumerate([0, -3, -9, -380, 40]):
            session.add(m.LessonCompletionRow(learner_id="x", course_id=f"c{number % 2}",
                                            lesson_id=f"l{number}", language="en",
                                            completed_at=T0 + days * DAY))  # fmt: skip
        session.add(m.QuizAttemptRow(learner_id="y", course_id="c0", quiz_id="m", number=1,
                                   layout="[]", total=1, language="en",
                                   started_at=T0 - 2 * DAY))  # fmt: skip
        session.add(m.EnrollmentRow(learner_id="x", course_id="c1", completed_at=T0))
        session.add(m.EnrollmentRow(learner_id="y", course_id="c9", completed_at=T0))
        session.add(m.PointsRow(learner_id="x", key="a", reason="lesson", points=10))
        session.add(m.PointsRow(learner_id="x", key="b", reason="lesson", points=5))
    upgrade(db_url, engine)
    assert stored(sessions) == recount(sessions)
    assert stored(sessions)[0][("x",)][:3] == (15, 5, 1)
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0009")
    assert "learner_stats" not in sa.inspect(engine).get_table_names()
    upgrade(db_url, engine)
    assert stored(sessions) == recount(sessions)
    with sessions.begin() as session:  # rebuilding again gives the same
        rebuild(session.connection(), INDIA, T0)
    assert stored(sessions) == recount(sessions)
    engine.dispose()
