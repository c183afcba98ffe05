"""A whole course in chat: enroll, lessons, quizzes, points, certificate (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import random
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa

from learning.attempts import QuizAttempts
from learning.content_loader import load
from learning.db import make_engine, session_factory, upgrade
from learning.enrollments import Enrollment, Enrollments
from learning.journey import Journey
from learning.records import PointsRules, RecordStore
from learning.replies import Reply
from learning.repository import Learner, SqlLearnerRepository

CONTENT = Path(__file__).parents[1] / "fixtures" / "content"


@pytest.fixture
def stores(db_url: str) -> tuple[Journey, SqlLearnerRepository, sa.Engine]:
    engine = make_engine(db_url)
    upgrade(db_url, engine)
    sessions = session_factory(engine)
    records = RecordStore(sessions, sinks=("lrs", "sunbird"), points=PointsRules(10, 20, 50))
    journey = Journey(load(CONTENT), records, rng=random.Random(1))
    return journey, SqlLearnerRepository(sessions), engine


@pytest.fixture
def setup(
    stores: tuple[Journey, SqlLearnerRepository, sa.Engine],
) -> tuple[Journey, Learner, sa.Engine]:
    """A learner whose name is confirmed (as a roster import or the chat would have done)."""
    journey, repo, engine = stores
    learner = repo.get_or_create("telegram", "7", name="Asha Rao")
    return journey, repo.confirm_name(learner.id, "Asha Rao"), engine


def active(
    enrollments: Enrollments, learner_id: str, course_id: str | None = None
) -> tuple[str | None, Enrollment | None]:
    """The active course and the enrollment `Enrollments.standing` finds, as a pair."""
    standing = enrollments.standing(learner_id, course_id)
    return standing.active_course, standing.enrollment


def names(replies: list[Reply]) -> list[str]:
    return [r.response for r in replies]


def correct_payload(journey: Journey, reply: Reply) -> tuple[str, str]:
    """(option id, step) of the right answer among a question reply's buttons."""
    course = journey.library.get("demo")
    assert course is not None
    for b in reply.buttons:
        entities = json.loads(b["payload"].split("{", 1)[1].join(["{", ""]))
        question_id = entities["step"].split("/")[1]
        question = next(q for m in course.modules for q in m.quiz.questions if q.id == question_id)
        if entities["option"] == question.answer:
            return entities["option"], entities["step"]
    raise AssertionError("no correct option among the buttons")


def test_a_learner_completes_a_course(setup: tuple[Journey, Learner, sa.Engine]) -> None:
    journey, learner, engine = setup
    replies = journey.enroll(learner, "demo")
    assert names(replies) == ["utter_enrolled", "utter_lesson_part"]
    assert replies[1].args["body"] == "Lesson 1, part one."
    step = replies[1].args["step"]
    part2 = journey.next_step(learner, step)
    assert part2[0].args["body"].endswith("Lesson 1, part two.")
    # A stale Next (the first part's button again) changes nothing.
    stale = journey.next_step(learner, step)
    assert names(stale) == ["utter_stale_button", "utter_lesson_part"]
    assert stale[1].args["step"] == part2[0].args["step"]
    done = journey.next_step(learner, part2[0].args["step"])
    assert names(done) == ["utter_lesson_done", "utter_lesson_part"]
    assert done[0].args["points"] == 10 and done[1].args["title"] == "Lesson 2"
    journey.next_step(learner)
    to_quiz = journey.next_step(learner)
    assert names(to_quiz) == ["utter_lesson_done", "utter_quiz_intro", "utter_quiz_question"]
    question = to_quiz[-1]
    # Typed nonsense is refused; the question stays the same.
    refused = journey.answer(learner, "banana")
    assert names(refused) == ["utter_invalid_answer", "utter_quiz_question"]
    assert refused[1].args["question"] == question.args["question"]
    option, step = correct_payload(journey, question)
    first = journey.answer(learner, "", option, step)
    assert names(first) == ["utter_answer_correct", "utter_quiz_question"]
    # A double tap on the same button records nothing more.
    assert names(journey.answer(learner, "", option, step))[0] == "utter_stale_button"
    option, step = correct_payload(journey, first[-1])
    finished = journey.answer(learner, "", option, step)
    assert names(finished) == ["utter_answer_correct", "utter_quiz_passed"]
    assert finished[-1].args["score"] == 2 and finished[-1].args["points"] == 20
    lesson3 = journey.next_step(learner)
    assert lesson3[0].args["title"] == "Lesson 3"
    journey.next_step(learner)
    quiz2 = journey.next_step(learner)
    option, step = correct_payload(journey, quiz2[-1])
    end = journey.answer(learner, "", option, step)
    assert names(end) == ["utter_answer_correct", "utter_quiz_passed_last",
                          "utter_course_complete"]  # fmt: skip
    code = end[-1].args["code"]
    assert end[-1].custom and end[-1].custom["document"]["code"] == code
    certificate = journey.records.certificate(code.lower())
    assert certificate is not None and certificate.learner_name == "Asha Rao"
    # 3 lessons x 10 + 2 quizzes x 20 + course 50
    assert journey.records.points.total(learner.id) == 120
    progress = journey.progress(learner)
    assert "3/3" in progress[0].args["courses"] and "100%" in progress[0].args["courses"]
    with engine.connect() as conn:
        kinds = conn.execute(sa.text("SELECT payload FROM outbox WHERE sink = 'lrs'")).scalars()
        counts: dict[str, int] = {}
        for kind in (json.loads(p)["kind"] for p in kinds):
            counts[kind] = counts.get(kind, 0) + 1
        sunbird = conn.execute(sa.text("SELECT count(*) FROM outbox WHERE sink='sunbird'"))
        assert sunbird.scalar() == sum(counts.values())
    assert counts["lesson_completed"] == 3 and counts["question_answered"] == 3
    assert counts["quiz_passed"] == 2 and counts["course_completed"] == 1
    engine.dispose()


def test_hindi_learners_get_hindi_content_and_typed_answers_count(
    setup: tuple[Journey, Learner, sa.Engine],
) -> None:
    journey, learner, engine = setup
    hindi = Learner(**{**learner.__dict__, "language": "hi"})
    replies = journey.enroll(hindi, "demo")
    assert replies[1].args["body"] == "पाठ 1, पहला भाग।"
    for _ in range(4):
        replies = journey.next_step(hindi)
    assert names(replies)[-1] == "utter_quiz_question"
    answered = journey.answer(hindi, "दूसरा")  # typed ordinal: the second option shown
    assert names(answered)[0] in {"utter_answer_correct", "utter_answer_wrong"}
    engine.dispose()


def test_failing_a_quiz_allows_a_retake_and_resume_returns_to_the_question(
    setup: tuple[Journey, Learner, sa.Engine],
) -> None:
    journey, learner, engine = setup
    journey.enroll(learner, "demo")
    for _ in range(4):
        replies = journey.next_step(learner)
    course = journey.library.get("demo")
    assert course is not None
    for _ in range(2):
        step = json.loads(replies[-1].buttons[0]["payload"].split("{", 1)[1].join(["{", ""]))
        question_id = step["step"].split("/")[1]
        question = next(q for q in course.modules[0].quiz.questions if q.id == question_id)
        wrong = next(o.id for o in question.options if o.id != question.answer)
        # Resume mid-quiz shows the same question again.
        assert journey.resume(learner)[0].args["question"] == replies[-1].args["question"]
        replies = journey.answer(learner, "", wrong, step["step"])
    assert names(replies)[-1] == "utter_quiz_failed"
    assert replies[-1].args["points"] == 0
    retake = journey.start_quiz(learner, replies[-1].args["quiz"])
    assert names(retake) == ["utter_quiz_intro", "utter_quiz_question"]
    engine.dispose()


def test_bad_input_changes_nothing(setup: tuple[Journey, Learner, sa.Engine]) -> None:
    journey, learner, engine = setup
    assert names(journey.enroll(learner, "no-such-course"))[0] == "utter_unknown_course"
    assert journey.records.enrollments.for_learner(learner.id) == []
    assert names(journey.answer(learner, "b")) == ["utter_no_active_quiz"]
    assert names(journey.answer(learner, "", "a", "old-attempt/q1a")) == ["utter_stale_button"]
    assert names(journey.start_quiz(learner, "demo/q1")) == ["utter_not_enrolled"]
    assert names(journey.next_step(learner))[0] == "utter_no_active_course"
    assert journey.records.points.total(learner.id) == 0
    engine.dispose()


def test_concurrent_double_taps_record_one_completion(
    setup: tuple[Journey, Learner, sa.Engine],
) -> None:
    journey, learner, engine = setup
    replies = journey.enroll(learner, "demo")
    step = journey.next_step(learner, replies[1].args["step"])[0].args["step"]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: journey.next_step(learner, step), range(4)))
    assert sum(names(r)[0] == "utter_lesson_done" for r in results) == 1
    assert journey.records.points.total(learner.id) == 10
    with engine.connect() as conn:
        done = conn.execute(sa.text("SELECT count(*) FROM lesson_completions")).scalar()
    assert done == 1
    engine.dispose()


def test_reading_a_cited_lesson_leaves_the_position_alone(
    setup: tuple[Journey, Learner, sa.Engine],
) -> None:
    journey, learner, engine = setup
    step = journey.enroll(learner, "demo")[1].args["step"]
    read = journey.read_lesson(learner, "demo/l3")
    assert names(read) == ["utter_lesson_excerpt", "utter_lesson_excerpt", "utter_back_to_course"]
    assert read[1].args["body"].endswith("Lesson 3, part two.")
    assert journey.resume(learner)[0].args["step"] == step
    assert names(journey.read_lesson(learner, "demo/nope")) == ["utter_unknown_lesson"]
    engine.dispose()


def test_an_answer_recorded_meanwhile_shows_where_the_learner_is_now(
    setup: tuple[Journey, Learner, sa.Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The quiz reports the race as stale; the journey answers with the learner's real place."""
    journey, learner, engine = setup
    journey.enroll(learner, "demo")
    for _ in range(4):
        replies = journey.next_step(learner)
    assert journey.records.active_course(learner.id) == "demo"
    attempts = journey.records.attempts
    before = attempts.open(learner.id)
    option, step = correct_payload(journey, replies[-1])
    assert names(journey.answer(learner, "", option, step))[0] == "utter_answer_correct"
    # A second worker read the attempt before that answer was recorded.
    reads = iter([before])
    real_open = QuizAttempts.open
    monkeypatch.setattr(QuizAttempts, "open", lambda s, lid: next(reads, None) or real_open(s, lid))
    late = journey.answer(learner, "", option, step)
    assert names(late) == ["utter_stale_button", "utter_quiz_question"]
    assert late[1].args["number"] == 2  # resumed at the question that is open now
    with engine.connect() as conn:
        answered = conn.execute(sa.text("SELECT count(*) FROM quiz_answers")).scalar()
    assert answered == 1
    engine.dispose()


def test_a_reminders_continue_button_works_days_later(
    setup: tuple[Journey, Learner, sa.Engine],
) -> None:
    journey, learner, engine = setup
    first = journey.continue_course(learner, "demo")  # recommended, not enrolled: enroll
    assert names(first) == ["utter_enrolled", "utter_lesson_part"]
    journey.next_step(learner, first[1].args["step"])
    again = journey.continue_course(learner, "demo")  # days later: where the learner left it
    assert names(again) == ["utter_lesson_part"]
    assert again[0].args["body"].endswith("Lesson 1, part two.")
    assert names(journey.continue_course(learner, "gone-course"))[0] == "utter_unknown_course"
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE enrollments SET completed_at = updated_at"))
    done = journey.continue_course(learner, "demo")
    assert names(done) == ["utter_course_already_done"] and done[0].args["course"]
    engine.dispose()


def test_the_active_course_and_its_enrollment_come_in_one_read(
    stores: tuple[Journey, SqlLearnerRepository, sa.Engine],
) -> None:
    """`Enrollments.active` gives the active course and its enrollment together; moving within
    the active course leaves the learner row alone, switching course rewrites it."""
    journey, repo, engine = stores
    learner = repo.get_or_create("telegram", "8", name="Ravi")
    enrollments = journey.records.enrollments
    assert active(enrollments, learner.id) == (None, None)
    assert active(enrollments, "nobody") == (None, None)
    assert names(journey.resume(learner))[0] == "utter_no_active_course"
    journey.enroll(learner, "demo")
    course, enrollment = active(enrollments, learner.id)
    assert course == "demo" and enrollment is not None
    assert (enrollment.course_id, enrollment.lesson_id, enrollment.part) == ("demo", "l1", 0)

    def learner_updated() -> object:
        with engine.connect() as conn:
            query = sa.text("SELECT updated_at FROM learners WHERE id = :id")
            return conn.execute(query, {"id": learner.id}).scalar_one()

    before = learner_updated()
    statements: list[str] = []

    def record(*args: object) -> None:
        statements.append(str(args[2]))

    sa.event.listen(engine, "before_cursor_execute", record)
    journey.next_step(learner)  # part two of lesson 1: same course
    sa.event.remove(engine, "before_cursor_execute", record)
    assert learner_updated() == before
    assert [x for x in statements if x.lstrip().upper().startswith("UPDATE LEARNERS")] == []
    assert any(x.lstrip().upper().startswith("UPDATE ENROLLMENTS") for x in statements)
    assert active(enrollments, learner.id)[1].part == 1  # type: ignore[union-attr]
    enrollments.enroll(learner.id, "other", 1)  # a course this library does not have
    assert learner_updated() != before
    course, enrollment = active(enrollments, learner.id)
    assert course == "other" and enrollment is not None and enrollment.course_id == "other"
    assert names(journey.resume(learner))[0] == "utter_no_active_course"  # not offered here
    enrollments.move_to(learner.id, "demo", "l1", 1, activate=False)
    assert active(enrollments, learner.id)[0] == "other"  # moved, not activated
    enrollments.move_to(learner.id, "demo", "l1", 1)  # working on demo makes it active again
    assert active(enrollments, learner.id)[0] == "demo"
    assert journey.resume(learner)[0].args["body"].endswith("Lesson 1, part two.")
    with engine.begin() as conn:  # an active course without an enrollment: no place in it
        conn.execute(sa.text("UPDATE learners SET active_course_id = 'ghost'"))
    assert active(enrollments, learner.id) == ("ghost", None)
    assert names(journey.resume(learner))[0] == "utter_no_active_course"
    engine.dispose()


def test_enrolling_activates_once_and_a_move_in_the_active_course_is_one_statement(
    stores: tuple[Journey, SqlLearnerRepository, sa.Engine],
) -> None:
    """Enrolling makes the course active with it (one statement on PostgreSQL); showing its
    first lesson finds the course active (one read of the active course and the named
    enrollment) and moves without activating it again; on PostgreSQL a move is one statement,
    no BEGIN or COMMIT."""
    journey, repo, engine = stores
    learner = repo.get_or_create("telegram", "9", name="Asha")
    enrollments = journey.records.enrollments
    statements: list[str] = []

    def record(*args: object) -> None:
        statements.append(" ".join(str(args[2]).split()).upper())

    sa.event.listen(engine, "before_cursor_execute", record)
    replies = journey.enroll(learner, "demo")
    sa.event.remove(engine, "before_cursor_execute", record)
    assert names(replies) == ["utter_enrolled", "utter_lesson_part"]
    assert len([x for x in statements if "UPDATE LEARNERS" in x]) == 1
    if engine.dialect.name == "postgresql":  # insert, activate and read back: one statement
        enrolling = [x for x in statements if "INSERT INTO ENROLLMENTS" in x]
        assert len(enrolling) == 1 and "UPDATE LEARNERS" in enrolling[0]
    assert len([x for x in statements if x.startswith("UPDATE ENROLLMENTS")]) == 1
    assert active(enrollments, learner.id, "demo")[1].lesson_id == "l1"  # type: ignore[union-attr]
    enrollments.enroll(learner.id, "other", 1)
    current, enrollment = active(enrollments, learner.id, "demo")  # another course's enrollment
    assert current == "other" and enrollment is not None and enrollment.course_id == "demo"
    assert active(enrollments, learner.id, "nowhere") == ("other", None)
    journey.enroll(learner, "demo")  # back to demo: active again, where the learner was
    assert active(enrollments, learner.id)[0] == "demo"
    statements.clear()
    autocommit: list[object] = []

    def record_move(_: object, cursor: object, statement: str, *args: object) -> None:
        record(None, None, statement)
        if statement.lstrip().upper().startswith("UPDATE ENROLLMENTS"):
            autocommit.append(getattr(getattr(cursor, "connection", None), "autocommit", None))

    sa.event.listen(engine, "before_cursor_execute", record_move)
    journey.next_step(learner)
    sa.event.remove(engine, "before_cursor_execute", record_move)
    moves = [x for x in statements if x.startswith("UPDATE ENROLLMENTS")]
    assert len(moves) == 1 and not any(x.startswith("UPDATE LEARNERS") for x in statements)
    if engine.dialect.name == "postgresql":  # sent on its own: psycopg sends no BEGIN first
        assert autocommit == [True]
    engine.dispose()


def test_with_no_active_course_the_latest_unfinished_one_is_taken_up_and_made_active(
    stores: tuple[Journey, SqlLearnerRepository, sa.Engine],
) -> None:
    journey, repo, engine = stores
    learner = repo.get_or_create("telegram", "10", name="Meena")
    enrollments = journey.records.enrollments
    enrollments.enroll(learner.id, "other", 1)  # older, unfinished, not in this library
    journey.enroll(learner, "demo")
    journey.next_step(learner)  # part two of lesson 1
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE learners SET active_course_id = NULL"))
    assert active(enrollments, learner.id)[0] is None
    assert active(enrollments, learner.id)[1].course_id == "demo"  # type: ignore[union-attr]
    replies = journey.resume(learner)
    assert replies[0].args["body"].endswith("Lesson 1, part two.")
    assert active(enrollments, learner.id)[0] == "demo"  # moving there made it active
    with engine.begin() as conn:  # demo finished and none active: "other" is the unfinished one
        conn.execute(sa.text("UPDATE learners SET active_course_id = NULL"))
        conn.execute(
            sa.text("UPDATE enrollments SET completed_at = updated_at WHERE course_id = 'demo'")
        )
    assert active(enrollments, learner.id) == (None, enrollments.get(learner.id, "other"))
    assert names(journey.resume(learner))[0] == "utter_no_active_course"  # not offered here
    engine.dispose()


def test_a_place_comes_with_its_open_quiz_and_lesson_state_in_the_same_read(
    stores: tuple[Journey, SqlLearnerRepository, sa.Engine],
) -> None:
    """`Enrollments.standing` says whether a quiz is open and the current lesson done, so a
    lesson turn reads neither the quiz attempts nor the completed lessons on their own."""
    journey, repo, engine = stores
    learner = repo.get_or_create("telegram", "11", name="Divya")
    enrollments = journey.records.enrollments
    journey.enroll(learner, "demo")
    standing = enrollments.standing(learner.id)
    assert (standing.open_quiz_course, standing.lesson_done) == (None, False)
    statements: list[str] = []

    def record(*args: object) -> None:
        statements.append(" ".join(str(args[2]).split()).upper())

    sa.event.listen(engine, "before_cursor_execute", record)
    assert journey.next_step(learner)[0].args["body"].endswith("Lesson 1, part two.")
    sa.event.remove(engine, "before_cursor_execute", record)
    sent = [x for x in statements if not x.startswith("BEGIN")]  # SQLite's own BEGINs
    assert len(sent) == 2 and sent[1].startswith("UPDATE ENROLLMENTS")  # the standing, the move
    assert not any(x.startswith("SELECT QUIZ_ATTEMPTS") for x in statements)
    assert not any(x.startswith("SELECT LESSON_COMPLETIONS") for x in statements)
    statements.clear()
    sa.event.listen(engine, "before_cursor_execute", record)
    finished = journey.next_step(learner)  # lesson 1 done, on to lesson 2
    sa.event.remove(engine, "before_cursor_execute", record)
    assert names(finished) == ["utter_lesson_done", "utter_lesson_part"]
    assert finished[0].args["points"] > 0
    # What the learner has done is read once, lessons and quiz results in one statement, for
    # both the progress event and what comes next.
    done_reads = [x for x in statements if "FROM LESSON_COMPLETIONS" in x and "EXISTS" not in x]
    assert len(done_reads) == 1 and "FROM QUIZ_ATTEMPTS" in done_reads[0]
    journey.next_step(learner)
    with engine.begin() as conn:  # back on lesson 2's first part, as a stale place would be
        conn.execute(sa.text("UPDATE enrollments SET lesson_id = 'l1', part = 1"))
    assert enrollments.standing(learner.id).lesson_done is True
    assert names(journey.next_step(learner))[0] == "utter_lesson_part"  # l1 is done: next one
    journey.next_step(learner)
    to_quiz = journey.next_step(learner)
    assert names(to_quiz)[-2:] == ["utter_quiz_intro", "utter_quiz_question"]
    assert enrollments.standing(learner.id).open_quiz_course == "demo"
    again = journey.resume(learner)  # the open quiz's question, read because it is open
    assert names(again) == ["utter_quiz_question"]
    assert again[0].args["question"] == to_quiz[-1].args["question"]
    engine.dispose()


def test_enrolling_twice_or_at_once_creates_one_enrollment_and_says_which_call_did(
    stores: tuple[Journey, SqlLearnerRepository, sa.Engine],
) -> None:
    """`Enrollments.enroll` returns the enrollment and whether this call created it; eight
    calls at once create it once, and every call gets the same enrollment back, active."""
    journey, repo, engine = stores
    enrollments = journey.records.enrollments
    first = repo.get_or_create("telegram", "21")
    enrollment, created = enrollments.enroll(first.id, "demo", 1)
    assert created and (enrollment.course_id, enrollment.part, enrollment.lesson_id) == (
        "demo",
        0,
        None,
    )
    enrollments.move_to(first.id, "demo", "l1", 1)
    again, created_again = enrollments.enroll(first.id, "demo", 1)
    assert not created_again and again.id == enrollment.id and again.lesson_id == "l1"
    other = repo.get_or_create("telegram", "22")
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: enrollments.enroll(other.id, "demo", 1), range(8)))
    assert sum(created for _, created in results) == 1
    assert len({e.id for e, _ in results}) == 1
    assert enrollments.standing(other.id).active_course == "demo"
    engine.dispose()


def test_an_enroll_whose_statement_saw_no_row_reads_the_enrollment_after_it(
    stores: tuple[Journey, SqlLearnerRepository, sa.Engine], monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL the enrolling statement returns no row when a concurrent enroll committed
    the enrollment after the statement's snapshot (its insert waited, then skipped): the
    enrollment is then read on its own, not created again and not reported as created."""
    journey, repo, engine = stores
    if engine.dialect.name != "postgresql":
        pytest.skip("one statement on PostgreSQL only; SQLite enrolls in a transaction")
    enrollments = journey.records.enrollments
    learner = repo.get_or_create("telegram", "31")
    first, created = enrollments.enroll(learner.id, "demo", 1)
    assert created
    monkeypatch.setattr("learning.enrollments.write_one", lambda *args, **values: [])
    again, created_again = enrollments.enroll(learner.id, "demo", 1)
    assert (again, created_again) == (first, False)
    monkeypatch.setattr(Enrollments, "get", lambda *args: None)
    with pytest.raises(LookupError):
        enrollments.enroll(learner.id, "demo", 1)
    engine.dispose()
