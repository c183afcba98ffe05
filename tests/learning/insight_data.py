"""More of the dashboard tests' team, for the funnel, at-risk and knowledge-gaps pages.

On top of tests/learning/dashboard_data.py (whose figures stay as they are):

State ─┬─ District A: stall (rti, one lesson 30 days ago), chatty (ethics, one lesson 40 days
       │   ago, but wrote to the bot yesterday)
       │  └─ Block A1: busy (rti, two lessons 2 days ago)
       └─ District B: b2 (rti, one lesson 20 days ago)

The library: rti has 4 lessons, ethics 2, b-course 6. Every figure the tests assert is worked
out by hand from these rows and dashboard_data's (T0 is 3 December 2026, 11:30 in India).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from learning.content import Course, Library
from learning.content_loader import load
from learning.dashboard_insight_gaps import GapQuestions
from learning.models import ChannelLinkRow, EnrollmentRow, LessonCompletionRow
from tests.learning.dashboard_data import DAY, enrol, rollups, seed_team
from tests.learning.store import T0, Clock, add_learner

CONTENT = Path(__file__).parents[1] / "fixtures" / "content"
#: Lessons per course in the test library.
LESSONS = {"rti": 4, "ethics": 2, "b-course": 6}


def course(course_id: str, lessons: int) -> Course:
    """The fixture course under another id, with `lessons` lessons in one module."""
    demo = load(CONTENT).courses["demo"]
    first = demo.modules[0]
    sample = first.lessons[0]
    module = replace(first, lessons=tuple(replace(sample, id=f"l{n}") for n in range(lessons)))
    return replace(demo, id=course_id, title={"en": f"Course {course_id}"}, modules=(module,))


def library() -> Library:
    """rti (4 lessons), ethics (2) and b-course (6)."""
    return Library({cid: course(cid, n) for cid, n in LESSONS.items()})


def seed_insight(sessions: sessionmaker[Session]) -> None:
    """dashboard_data's team, and four more learners with their courses."""
    seed_team(sessions)
    add_learner(sessions, "stall", role="Clerk")
    add_learner(sessions, "chatty", role="Clerk")
    add_learner(sessions, "busy", org="Block A1", role="Officer", language="hi")
    add_learner(sessions, "b2", org="District B", role="Inspector")
    with sessions.begin() as session:
        enrol(session, "stall", "rti", T0 - 30 * DAY)
        lesson(session, "stall", "rti", "l0", T0 - 30 * DAY)
        enrol(session, "chatty", "ethics", T0 - 40 * DAY)
        lesson(session, "chatty", "ethics", "l0", T0 - 40 * DAY)
        session.execute(
            update(ChannelLinkRow).filter_by(learner_id="chatty").values(last_inbound_at=T0 - DAY)
        )
        enrol(session, "busy", "rti", T0 - 30 * DAY)
        lesson(session, "busy", "rti", "l0", T0 - 2 * DAY)
        lesson(session, "busy", "rti", "l1", T0 - 2 * DAY)
        enrol(session, "b2", "rti", T0 - 20 * DAY)
        lesson(session, "b2", "rti", "l0", T0 - 20 * DAY)
    with sessions.begin() as session:  # progress moves the enrollment (learning/enrollments.py)
        session.execute(
            update(EnrollmentRow)
            .filter_by(learner_id="busy", course_id="rti")
            .values(updated_at=T0 - 2 * DAY)
        )
    rollups(sessions)  # the rows above were written directly (dashboard_data.rollups)


def lesson(session: Session, learner: str, course_id: str, lesson_id: str, at: datetime) -> None:
    """One lesson finished."""
    session.add(LessonCompletionRow(learner_id=learner, course_id=course_id, lesson_id=lesson_id,
                                    language="en", completed_at=at))  # fmt: skip


#: (organisation, question, language, course, days before T0) of each unanswered question.
ASKED = [
    ("District A", "What is the pension rule?", "en", "rti", 5),
    ("District A", "What is the pension rule?", "en", "rti", 4),
    ("District A", "what is the PENSION rule", "en", "rti", 1),
    ("Block A1", "छुट्टी के नियम क्या हैं?", "hi", "ethics", 3),
    *[("District B", "RTI fees in Tamil Nadu?", "ta", "", 4)] * 5,
    ("District B", "what is the PENSION rule", "en", "", 0),
    (None, "What is iGOT?", "en", "", 6),
]


def seed_gaps(sessions: sessionmaker[Session]) -> None:
    """The unanswered questions in `ASKED`, recorded as the bot records them."""
    from knowledge.gaps import normalize_question

    clock = Clock()
    gaps = GapQuestions(sessions, clock)
    for organisation, question, language, course_id, days in ASKED:
        clock.now = T0 - days * DAY
        gaps.record(question, normalize_question(question), language, course_id, organisation)
