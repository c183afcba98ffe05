"""The outbox keeps every event until a sink takes it, and retries failures later."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from learning.db import make_engine, session_factory, upgrade
from learning.events import EventKind, LearningEvent
from learning.outbox import SqlOutbox, retry_delay
from learning.records import RecordStore
from learning.repository import SqlLearnerRepository

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def lesson_event(learner_id: str, lesson: str) -> LearningEvent:
    return LearningEvent(
        kind=EventKind.LESSON_COMPLETED,
        key=f"{learner_id}:demo:{lesson}",
        learner_id=learner_id,
        course_id="demo",
        course_version=1,
        registration="8f0e2b9e-7f38-4c55-b8a1-9f7a2d3c4b5a",
        language="en",
        timestamp=T0,
        lesson_id=lesson,
        title=lesson,
    )


def test_failed_events_wait_for_their_retry_and_nothing_is_lost(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(db_url, engine)
    sessions = session_factory(engine)
    learner = SqlLearnerRepository(sessions).get_or_create("web", "o")
    records = RecordStore(sessions, sinks=("lrs",), clock=lambda: T0)
    outbox = SqlOutbox(sessions)
    for lesson in ("l1", "l2", "l3"):
        records.lessons.complete(lesson_event(learner.id, lesson), None)
    records.lessons.complete(lesson_event(learner.id, "l1"), None)  # a retried request
    batch = outbox.due("lrs", 10, T0)
    assert [i.event.lesson_id for i in batch] == ["l1", "l2", "l3"]
    assert batch[0].event == lesson_event(learner.id, "l1")  # round-trips intact
    # The remote is down: the batch is marked failed and waits for its retry time.
    outbox.mark_failed([i.id for i in batch], "503 Service Unavailable", T0 + retry_delay(1))
    assert outbox.due("lrs", 10, T0 + timedelta(seconds=1)) == []
    again = outbox.due("lrs", 10, T0 + retry_delay(1))
    assert [i.attempts for i in again] == [1, 1, 1]
    # Claimed rows are leased: a second worker does not get them meanwhile.
    assert outbox.due("lrs", 10, T0 + retry_delay(1)) == []
    outbox.mark_sent([again[0].id], T0 + timedelta(minutes=1))
    assert outbox.pending("lrs") == 2 and outbox.due("sunbird", 10, T0 + timedelta(days=1)) == []
    engine.dispose()


def test_backoff_grows_and_is_capped() -> None:
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3)] == [2, 4, 8]
    assert retry_delay(50) == timedelta(minutes=15)
