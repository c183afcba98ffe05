"""Starting a quiz attempt: the open one comes back, the next one is numbered on, once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa

from learning.db import make_engine, session_factory, upgrade
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
