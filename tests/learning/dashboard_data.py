"""A team for the dashboard tests: an organisation tree, supervisors, and dated learning.

State ─┬─ District A (supervisor sup_a) ── Block A1
       └─ District B (supervisor sup_b)

Every figure the dashboard shows for each actor is written out in `EXPECTED`, worked out by
hand from the rows below (T0 is 3 December 2026, 11:30 in India).
"""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from learning.activity import rebuild
from learning.models import EnrollmentRow, LessonCompletionRow, PointsRow, QuizAttemptRow
from learning.organisations import ensure
from tests.learning.store import T0, add_learner

TODAY = date(2026, 12, 3)
DAY = timedelta(days=1)


def seed_team(sessions: sessionmaker[Session]) -> None:
    """The organisation tree, its people, and their enrollments, lessons, quizzes and points."""
    with sessions.begin() as session:
        ensure(session, "District A", "State")
        ensure(session, "Block A1", "District A")
        ensure(session, "District B", "State")
    add_learner(sessions, "root", org="State", access="admin", role="Secretary")
    add_learner(sessions, "sup_a", access="supervisor", role="Director")
    add_learner(sessions, "sup_b", org="District B", access="supervisor", role="Director")
    add_learner(sessions, "a", role="Clerk")
    add_learner(sessions, "a1", org="Block A1", role="Officer", language="hi")
    add_learner(sessions, "idle", role="Clerk")
    add_learner(sessions, "b", org="District B", role="Inspector", language="ta")
    with sessions.begin() as session:
        enrol(session, "a", "rti", T0 - 40 * DAY, completed=True)
        lessons(session, "a", "rti", [T0 - 20 * DAY, T0 - 3 * DAY])
        points(session, "a", 10, 10, 50)
        enrol(session, "a1", "rti", T0 - 50 * DAY, due=TODAY + 10 * DAY)
        session.add(
            QuizAttemptRow(learner_id="a1", course_id="rti", quiz_id="m1", number=1, layout="[]",
                           total=3, language="hi", started_at=T0 - 10 * DAY)
        )  # fmt: skip
        points(session, "a1", 20)
        enrol(session, "idle", "ethics", T0 - 100 * DAY, due=TODAY - 3 * DAY)
        enrol(session, "b", "rti", T0 - 2 * DAY, completed=True)
        enrol(session, "b", "b-course", T0 - 2 * DAY, due=TODAY + 5 * DAY)
        lessons(session, "b", "b-course", [T0 - DAY] * 5)
        points(session, "b", 999)
    rollups(sessions)


def rollups(sessions: sessionmaker[Session]) -> None:
    """The dashboard's rollups rebuilt from the rows written directly above (as migration 0010
    fills them; the write paths keep them up to date themselves: test_activity.py)."""
    with sessions.begin() as session:
        rebuild(session.connection(), ZoneInfo("Asia/Kolkata"), T0)


def enrol(
    session: Session, learner: str, course: str, at: object, *, completed: bool = False,
    due: date | None = None,
) -> None:  # fmt: skip
    """An enrollment started at `at`; completed one day before T0 when `completed`."""
    session.add(
        EnrollmentRow(learner_id=learner, course_id=course, enrolled_at=at, updated_at=at,
                      completed_at=T0 - 3 * DAY if completed else None, due_on=due)
    )  # fmt: skip


def lessons(session: Session, learner: str, course: str, times: list[object]) -> None:
    """Lessons l0, l1, … of a course completed at the given times."""
    for number, at in enumerate(times):
        lesson = f"l{number}"
        session.add(LessonCompletionRow(learner_id=learner, course_id=course, lesson_id=lesson,
                                        language="en", completed_at=at))  # fmt: skip


def points(session: Session, learner: str, *awards: int) -> None:
    """Karma Points awards."""
    for number, award in enumerate(awards):
        session.add(PointsRow(learner_id=learner, key=f"k{number}", reason="lesson", points=award))


#: What the overview shows with no filters: learners, active 7 / 30 days, lessons, courses,
#: Karma Points, due soon, overdue, and the 12 weekly bars (oldest first).
#:
#: The bars are calendar weeks, Monday to Sunday in India; T0 is a Thursday, so the last bar is
#: the week of Monday 30 November (so far) and the first that of Monday 14 September. The steps
#: (all at 11:30 in India): a's lessons on Friday 13 November (T0 - 20 days: the week of 9
#: November, bar 9 of 12) and Monday 30 November (T0 - 3 days: bar 12); a1's quiz on Monday 23
#: November (T0 - 10 days: bar 11); b's lessons on Wednesday 2 December (bar 12). Hence sup_a
#: (a, a1): bars 9, 11, 12 at 1 (with rolling weeks they were bars 10, 11, 12); sup_b (b): bar
#: 12 at 1, unchanged; root: bar 9 at 1 (a), bar 11 at 1 (a1), bar 12 at 2 (a and b).
EXPECTED = {
    "sup_a": (4, 1, 2, 2, 1, 90, 1, 1, [0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 1]),
    "sup_b": (2, 1, 1, 5, 1, 999, 1, 0, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
    "root": (7, 2, 3, 7, 2, 1089, 2, 1, [0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 2]),
}
