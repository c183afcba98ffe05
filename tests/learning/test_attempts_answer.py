"""Answering a quiz question: the first answer to the current question counts, once, with its
event queued for every sink; on PostgreSQL all of it in one statement (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest
import sqlalchemy as sa

from learning.attempts import Attempt
from learning.db import make_engine, session_factory, upgrade
from learning.events import EventKind, LearningEvent
from learning.records import RecordStore
from learning.repository import SqlLearnerRepository
from tests.learning.test_outbox import lesson_event

LAYOUT = [("q1", ["a", "b"]), ("q2", ["c", "d"])]


def _event(learner: str, question: str, option: str, correct: bool) -> LearningEvent:
    """The question_answered event of an answer (as the quiz flow builds it)."""
    return replace(
        lesson_event(learner, question),
        kind=EventKind.QUESTION_ANSWERED,
        key=f"{learner}:{question}:{option}",
        quiz_id="m1",
        question_id=question,
        response=option,
        success=correct,
    )


@pytest.fixture
def quiz(db_url: str) -> Iterator[tuple[sa.Engine, RecordStore, str, Attempt]]:
    """A store with two sinks, a learner and their open attempt at a two-question quiz."""
    engine = make_engine(db_url)
    upgrade(db_url, engine)
    sessions = session_factory(engine)
    records = RecordStore(sessions, sinks=("lrs", "sunbird"))
    learner = SqlLearnerRepository(sessions).get_or_create("web", "a").id
    yield engine, records, learner, records.attempts.start(learner, "rti", "m1", LAYOUT, "hi")


def _queued(engine: sa.Engine) -> list[tuple[str, str, str]]:
    """(sink, event kind, question) of every outbox row, sorted."""
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT sink, payload FROM outbox")).all()
    found = [(sink, json.loads(p)["kind"], json.loads(p)["question_id"]) for sink, p in rows]
    return sorted(found)


def test_the_first_answer_to_the_current_question_counts_once_with_its_events(
    quiz: tuple[sa.Engine, RecordStore, str, Attempt],
) -> None:
    engine, records, learner, attempt = quiz
    statements: list[str] = []

    def record(*args: object) -> None:
        statements.append(" ".join(str(args[2]).split()).upper())

    sa.event.listen(engine, "before_cursor_execute", record)
    after, recorded = records.attempts.answer(
        attempt.id, "q1", "b", True, _event(learner, "q1", "b", True)
    )
    sa.event.remove(engine, "before_cursor_execute", record)
    assert recorded and (after.position, after.score) == (1, 1)
    assert after.current == ("q2", ("c", "d"))
    if engine.dialect.name == "postgresql":  # lock, insert, move on, queue: one statement
        assert len(statements) == 1 and statements[0].startswith("WITH LOCKED AS")
    assert _queued(engine) == [("lrs", "question_answered", "q1"),
                               ("sunbird", "question_answered", "q1")]  # fmt: skip
    # The same question again, a question that is not the current one: nothing recorded.
    again = records.attempts.answer(attempt.id, "q1", "a", False, _event(learner, "q1", "a", False))
    assert again == (after, False)
    ahead = records.attempts.answer(attempt.id, "q9", "c", True, _event(learner, "q9", "c", True))
    assert ahead == (after, False)
    last, recorded = records.attempts.answer(
        attempt.id, "q2", "c", False, _event(learner, "q2", "c", False)
    )
    assert recorded and (last.position, last.score, last.current) == (2, 1, None)
    records.attempts.finish(attempt.id, False, [])
    finished = records.attempts.get(attempt.id)
    assert finished is not None and finished.finished
    # A finished attempt takes no answer (its position is past the end anyway).
    assert records.attempts.answer(
        attempt.id, "q2", "d", True, _event(learner, "q2", "d", True)
    ) == (finished, False)
    assert [q for sink, _, q in _queued(engine) if sink == "lrs"] == ["q1", "q2"]
    with engine.connect() as conn:
        answers = conn.execute(
            sa.text("SELECT question_id, option_id, correct FROM quiz_answers ORDER BY id")
        ).all()
    assert [tuple(a) for a in answers] == [("q1", "b", True), ("q2", "c", False)]


def test_answers_to_one_question_at_once_record_one(
    quiz: tuple[sa.Engine, RecordStore, str, Attempt],
) -> None:
    """Eight taps on the same question at once: one answer, one step, one event per sink."""
    engine, records, learner, attempt = quiz

    def tap(option: str) -> bool:
        event = _event(learner, "q1", option, option == "a")
        return records.attempts.answer(attempt.id, "q1", option, option == "a", event)[1]

    with ThreadPoolExecutor(8) as pool:
        recorded = list(pool.map(tap, ["a", "b"] * 4))
    assert sum(recorded) == 1
    with engine.connect() as conn:
        (option,) = conn.execute(sa.text("SELECT option_id FROM quiz_answers")).scalars()
    now = records.attempts.get(attempt.id)
    assert now is not None and (now.position, now.score) == (1, int(option == "a"))
    assert [sink for sink, _, _ in _queued(engine)] == ["lrs", "sunbird"]
