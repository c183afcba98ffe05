"""Starting a quiz attempt: the open one comes back, the next one is numbered on, once."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from learning.db import make_engine, session_factory, upgrade
from learning.models import QuizAttemptRow
from learning.records import RecordStore
from learning.repository import SqlLearnerRepository

LAYOUT = [("q1", ["a", "b"]), ("q2", ["c", "d"])]


def test_a_start_reads_the_latest_attempt_and_inserts_returning_the_row(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(db_url, engine)
    sessions = session_factory(engine)
    records = RecordStore(sessions)
    learner = SqlLearnerRepository(sessions).get_or_create("web", "a").id
    statements: list[str] = []

    def record(*args: object) -> None:
        statements.append(" ".join(str(args[2]).split()).upper())

    sa.event.listen(engine, "before_cursor_execute", record)
    first = records.attempts.start(learner, "rti", "m1", LAYOUT, "hi")
    sa.event.remove(engine, "before_cursor_execute", record)
    assert (first.number, first.total, first.position, first.language) == (1, 2, 0, "hi")
    assert not first.finished and first.layout == (("q1", ("a", "b")), ("q2", ("c", "d")))
    if engine.dialect.name == "postgresql":  # read, insert and rollups: one statement
        assert len(statements) == 1 and statements[0].startswith("WITH LATEST AS")
        for table in ("QUIZ_ATTEMPTS", "LEARNER_STATS", "LEARNER_COURSE_STATS"):
            assert f"INSERT INTO {table} " in statements[0]
    else:
        reads = [x for x in statements if x.startswith("SELECT")]
        assert len(reads) == 1 and "FROM QUIZ_ATTEMPTS" in reads[0]  # no read-back after insert
        assert len([x for x in statements if x.startswith("INSERT INTO QUIZ_ATTEMPTS")]) == 1
    assert records.attempts.start(learner, "rti", "m1", LAYOUT, "hi") == first  # still open
    assert records.attempts.open(learner) == first
    records.attempts.finish(first.id, False, [])
    second = records.attempts.start(learner, "rti", "m1", LAYOUT, "hi")
    assert second.number == 2 and second.id != first.id and not second.finished
    other_quiz = records.attempts.start(learner, "rti", "m2", LAYOUT, "hi")
    assert other_quiz.number == 1
    with ThreadPoolExecutor(8) as pool:  # eight taps at once on a new quiz: one attempt
        started = list(
            pool.map(lambda _: records.attempts.start(learner, "rti", "m3", LAYOUT, "hi"), range(8))
        )
    assert len({a.id for a in started}) == 1 and started[0].number == 1
    with engine.connect() as conn:
        count = "SELECT count(*) FROM quiz_attempts WHERE quiz_id = 'm3'"
        assert conn.execute(sa.text(count)).scalar_one() == 1
    engine.dispose()


def test_a_start_that_meets_another_calls_new_attempt_returns_it_and_counts_no_step(
    db_url: str,
) -> None:
    """Another call's attempt of the same number, not yet committed when a start runs: the start
    waits for it, returns that attempt, and adds no second step to the rollups. On PostgreSQL
    this is the one-statement start seeing no row (its snapshot is older than the other row)."""
    engine = make_engine(db_url)
    upgrade(db_url, engine)
    if engine.dialect.name != "postgresql":
        engine.dispose()
        pytest.skip("SQLite's writers queue for one lock: a start never meets an uncommitted row")
    sessions = session_factory(engine)
    records = RecordStore(sessions)
    learner = SqlLearnerRepository(sessions).get_or_create("web", "b").id
    theirs = {"id": "theirs", "learner_id": learner, "course_id": "rti", "quiz_id": "m1",
              "number": 1, "layout": '[["q1", ["a", "b"]]]', "position": 0, "score": 0,
              "total": 1, "language": "en", "started_at": datetime.now(UTC)}  # fmt: skip
    other = engine.connect()
    transaction = other.begin()
    other.execute(sa.insert(QuizAttemptRow.__table__), theirs)
    with ThreadPoolExecutor(1) as pool:
        started = pool.submit(records.attempts.start, learner, "rti", "m1", LAYOUT, "hi")
        waiting = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
        with engine.connect() as conn:
            for _ in range(200):  # until the start waits for the other transaction's row
                if conn.execute(sa.text(waiting)).scalar_one():
                    break
                time.sleep(0.01)
            else:
                pytest.fail("the start never waited for the other insert")
        transaction.commit()
        attempt = started.result(timeout=10)
    other.close()
    assert (attempt.id, attempt.number, attempt.language, attempt.total) == ("theirs", 1, "en", 1)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM quiz_attempts")).scalar_one() == 1
        for table in ("learner_stats", "learner_course_stats"):  # the skipped start added nothing
            assert conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one() == 0
    engine.dispose()
