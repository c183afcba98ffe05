"""The progress report's course columns, from a learner's overview: what was done, in few reads."""

from __future__ import annotations

import json
import random
from pathlib import Path

import sqlalchemy as sa

from learning.content_loader import load
from learning.db import make_engine, session_factory, upgrade
from learning.journey import Journey
from learning.records import PointsRules, RecordStore
from learning.replies import Reply
from learning.report import progress_rows
from learning.repository import SqlLearnerRepository

CONTENT = Path(__file__).parents[1] / "fixtures" / "content"


def _right_answer(journey: Journey, question: Reply) -> tuple[str, str]:
    """(option id, step) of the right answer among a quiz question's buttons."""
    course = journey.library.get("demo")
    assert course is not None
    for button in question.buttons:
        entities = json.loads("{" + button["payload"].split("{", 1)[1])
        question_id = entities["step"].split("/")[1]
        asked = next(q for m in course.modules for q in m.quiz.questions if q.id == question_id)
        if entities["option"] == asked.answer:
            return entities["option"], entities["step"]
    raise AssertionError("no correct option among the buttons")


def test_the_report_shows_lessons_quizzes_scores_and_points_in_four_reads(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(db_url, engine)
    sessions = session_factory(engine)
    records = RecordStore(sessions, points=PointsRules(10, 20, 50))
    journey = Journey(load(CONTENT), records, rng=random.Random(1))
    repo = SqlLearnerRepository(sessions)
    asha = repo.confirm_name(repo.get_or_create("telegram", "7", name="Asha").id, "Asha Rao")
    repo.confirm_name(repo.get_or_create("telegram", "8", name="Ravi").id, "Ravi")
    journey.enroll(asha, "demo")
    replies = journey.next_step(asha)
    while replies[-1].response != "utter_quiz_question":  # lessons 1 and 2, then the quiz
        replies = journey.next_step(asha)
    while replies[-1].response == "utter_quiz_question":
        replies = journey.answer(asha, "", *_right_answer(journey, replies[-1]))
    assert replies[-1].response == "utter_quiz_passed"

    statements: list[str] = []
    sa.event.listen(engine, "before_cursor_execute", lambda *a: statements.append(str(a[2])))
    rows = list(progress_rows(sessions, records, journey.library, ""))
    reads = [s for s in statements if s.lstrip().upper().startswith(("SELECT", "WITH"))]
    by_name = {row["name"]: row for row in rows}
    assert by_name["Ravi"]["karma_points"] == 0 and "course_id" not in by_name["Ravi"]
    row = by_name["Asha Rao"]
    assert (row["course_id"], row["lessons_done"], row["lessons_total"]) == ("demo", 2, 3)
    assert (row["quizzes_passed"], row["quizzes_total"], row["best_scores"]) == (1, 2, "q1=2/2")
    assert (row["progress_percent"], row["karma_points"], row["completed_at"]) == (60, 40, "")
    # The learner list; then per learner the overview and the enrollments; per course its
    # certificate (was: points, enrollments, and certificate, quiz results, lessons per course).
    assert len(reads) == 1 + 2 * 2 + 1, reads
    engine.dispose()
