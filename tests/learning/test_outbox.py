"""The outbox keeps every event until a sink takes it, retries failures later with jittered
backoff, parks what the remote refuses, and tells an operator where everything stands."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from learning.db import make_engine, session_factory, upgrade
from learning.events import EventKind, LearningEvent
from learning.outbox import HELD, SinkStatus, SqlOutbox, config_error, retry_delay
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
    retry_at = T0 + timedelta(seconds=2)
    outbox.mark_failed([i.id for i in batch], "503 Service Unavailable", retry_at)
    assert outbox.due("lrs", 10, T0 + timedelta(seconds=1)) == []
    again = outbox.due("lrs", 10, retry_at)
    assert [i.attempts for i in again] == [1, 1, 1]
    # Claimed rows are leased: a second worker does not get them meanwhile.
    assert outbox.due("lrs", 10, retry_at) == []
    outbox.mark_sent([again[0].id], T0 + timedelta(minutes=1))
    assert outbox.pending("lrs") == 2 and outbox.due("sunbird", 10, T0 + timedelta(days=1)) == []
    engine.dispose()


def test_backoff_grows_with_jitter_and_is_capped() -> None:
    rng = random.Random(7)
    for attempts in range(1, 12):
        full = min(900, 2**attempts)
        delays = [retry_delay(attempts, rng=rng).total_seconds() for _ in range(50)]
        assert all(full / 2 <= d <= full for d in delays), attempts
        assert len(set(delays)) == 50  # two workers that failed together retry apart
    assert retry_delay(50, rng=rng) <= timedelta(minutes=15)


def test_each_state_is_counted_and_parked_events_are_never_due(
    db_url: str,
) -> None:
    engine = make_engine(db_url)
    upgrade(db_url, engine)
    sessions = session_factory(engine)
    learner = SqlLearnerRepository(sessions).get_or_create("web", "o")
    records = RecordStore(sessions, sinks=("lrs", "sunbird"), clock=lambda: T0)
    outbox = SqlOutbox(sessions)
    for lesson in ("l1", "l2", "l3", "l4", "l5"):
        records.lessons.complete(lesson_event(learner.id, lesson), None)
    ids = [i.id for i in outbox.due("sunbird", 10, T0)]
    later = T0 + timedelta(hours=1)
    outbox.mark_sent(ids[:1], T0)
    outbox.mark_failed(ids[1:2], "Sunbird: HTTP 503", later)
    outbox.mark_failed(ids[2:3], f"{HELD}: learner x has no platform user id", later)
    outbox.park(ids[3:4], "rejected: Sunbird: HTTP 400 bad content", T0)
    # ids[4] is still leased by the worker that claimed it
    assert outbox.status() == [
        SinkStatus("lrs", 5, 0, 0, 0, None, None),
        SinkStatus(
            "sunbird", 3, 1, 1, 1,
            f"{HELD}: learner x has no platform user id",
            "rejected: Sunbird: HTTP 400 bad content",
        ),
    ]  # fmt: skip
    assert outbox.pending("sunbird") == 3  # the parked event is not pending
    due = outbox.due("sunbird", 10, T0 + timedelta(days=1))
    assert [i.id for i in due] == [ids[1], ids[2], ids[4]]  # never the parked one
    engine.dispose()


def test_retry_makes_failed_and_held_events_due_now_and_parked_ones_on_request(
    db_url: str,
) -> None:
    engine = make_engine(db_url)
    upgrade(db_url, engine)
    sessions = session_factory(engine)
    learner = SqlLearnerRepository(sessions).get_or_create("web", "o")
    records = RecordStore(sessions, sinks=("sunbird",), clock=lambda: T0)
    outbox = SqlOutbox(sessions)
    for lesson in ("l1", "l2", "l3", "l4"):
        records.lessons.complete(lesson_event(learner.id, lesson), None)
    ids = [i.id for i in outbox.due("sunbird", 10, T0)]
    later, now = T0 + timedelta(hours=1), T0 + timedelta(minutes=1)
    outbox.mark_failed(ids[:1], "Sunbird: HTTP 503", later)
    outbox.mark_failed(ids[1:2], f"{HELD}: no Sunbird batch for course demo", later)
    outbox.park(ids[2:3], "rejected: Sunbird: HTTP 400", T0)
    assert outbox.due("sunbird", 10, now) == []  # ids[3] is leased, the rest wait
    assert outbox.retry(now, "lrs") == 0
    assert outbox.retry(now) == 2
    assert sorted(i.id for i in outbox.due("sunbird", 10, now)) == ids[:2]
    assert outbox.retry(now, "sunbird", parked=True) == 3
    assert [i.id for i in outbox.due("sunbird", 10, now)] == ids[:3]
    assert outbox.status()[0].parked == 0
    engine.dispose()


def test_configuration_errors_come_due_at_once_when_the_configuration_changes(
    db_url: str,
) -> None:
    engine = make_engine(db_url)
    upgrade(db_url, engine)
    sessions = session_factory(engine)
    learner = SqlLearnerRepository(sessions).get_or_create("web", "o")
    records = RecordStore(sessions, sinks=("lrs",), clock=lambda: T0)
    outbox = SqlOutbox(sessions)
    for lesson in ("l1", "l2"):
        records.lessons.complete(lesson_event(learner.id, lesson), None)
    ids = [i.id for i in outbox.due("lrs", 10, T0)]
    later = T0 + timedelta(minutes=5)
    outbox.mark_failed(ids[:1], config_error("fp-old", "LRS: HTTP 401"), later)
    outbox.mark_failed(ids[1:], "LRS: HTTP 503", later)
    assert outbox.reconfigured("lrs", "fp-old", T0) == 0  # same configuration: wait
    assert outbox.reconfigured("sunbird", "fp-new", T0) == 0
    assert outbox.reconfigured("lrs", "fp-new", T0) == 1
    assert [i.id for i in outbox.due("lrs", 10, T0)] == ids[:1]
    assert outbox.reconfigured("lrs", "fp-new", T0) == 0  # once
    engine.dispose()
