"""Failures do not stall the queue: a rejected batch is split until the bad events are alone and
parked, the rest goes; a misconfigured sink is an ERROR, retried within minutes and at once when
its configuration changes (SQLite and PostgreSQL)."""

from __future__ import annotations

import logging
from datetime import timedelta

import httpx
import pytest
import sqlalchemy as sa

from learning.events import EventKind, LearningEvent
from learning.models import OutboxRow
from learning.outbox import SqlOutbox
from learning.records import RecordStore
from learning.repository import SqlLearnerRepository
from learning.sinks import SinkError, SinkMisconfigured, SinkRejected, raise_for
from learning.sync import LrsSink, SunbirdSink, SyncJob
from learning.xapi import activity_iri
from tests.learning.sync_support import (
    BASE,
    HOME,
    Clock,
    Fakes,
    Store,
    set_identity,
)

Sessions = sa.orm.sessionmaker[sa.orm.Session]


def record_lessons(sessions: Sessions, learner_id: str, clock: Clock, count: int) -> None:
    """Enroll in "demo" and complete lessons l1 … l<count> (one event each, for both sinks)."""
    records = RecordStore(sessions, sinks=("lrs", "sunbird"), clock=clock)
    enrollment, _ = records.enrollments.enroll(learner_id, "demo", 1)
    for n in range(1, count + 1):
        event = LearningEvent(
            kind=EventKind.LESSON_COMPLETED, key=f"{learner_id}:demo:l{n}",
            learner_id=learner_id, course_id="demo", course_version=1,
            registration=enrollment.id, language="en", timestamp=clock(), lesson_id=f"l{n}",
            title=f"Lesson {n}",
        )  # fmt: skip
        records.lessons.complete(event, None)


def lrs(url: str, password: str = "secret") -> LrsSink:
    return LrsSink(url, "karmabot", password, home_page=HOME, activity_base=BASE)


def sunbird(url: str, sessions: Sessions, key: str = "sunbird-key") -> SunbirdSink:
    return SunbirdSink(url, sessions=sessions, batch_id="b-1", api_key=key)


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, SinkRejected), (422, SinkRejected), (413, SinkRejected),
        (401, SinkMisconfigured), (403, SinkMisconfigured), (404, SinkMisconfigured),
        (408, SinkError), (429, SinkError), (500, SinkError), (503, SinkError),
    ],
)  # fmt: skip
def test_each_http_error_is_the_failure_it_is(status: int, error: type[SinkError]) -> None:
    with pytest.raises(SinkError) as raised:
        raise_for(httpx.Response(status, text="no"), "LRS")
    assert type(raised.value) is error and f"HTTP {status}" in str(raised.value)


async def test_a_rejected_batch_is_split_the_bad_events_parked_and_the_rest_sent(
    store: Store, fakes: Fakes
) -> None:
    sessions, learner = store
    fake_lrs, lrs_url, fake_sunbird, sunbird_url = fakes
    clock = Clock()
    record_lessons(sessions, learner.id, clock, 10)
    set_identity(sessions, learner.id, "igot-1")
    bad = activity_iri(BASE, lesson_event_of(learner.id, "l7"), "lesson")
    fake_lrs.reject, fake_sunbird.reject = {bad}, {"l3"}
    job = SyncJob(SqlOutbox(sessions), [lrs(lrs_url), sunbird(sunbird_url, sessions)], clock=clock)
    report = await job.run_once()
    assert report.sent == {"lrs": 9, "sunbird": 9} and report.parked == {"lrs": 1, "sunbird": 1}
    assert fake_lrs.posts <= 1 + 2 * 4  # bisecting 10 events: a handful of requests, not 10
    assert len(fake_lrs.stored) == 9 and bad not in {
        s["object"]["id"] for s in fake_lrs.stored.values()
    }
    assert sorted(k[2] for k in fake_sunbird.history) == sorted(
        f"l{n}" for n in range(1, 11) if n != 3
    )
    status = {s.sink: s for s in job.outbox.status()}
    assert (status["lrs"].pending, status["lrs"].parked) == (0, 1)
    assert status["lrs"].last_parked and "rejected: LRS: HTTP 400" in status["lrs"].last_parked
    assert status["sunbird"].last_parked and "HTTP 400" in status["sunbird"].last_parked
    # Parked events are not retried by themselves, and later events are not held up by them.
    record_lessons(sessions, learner.id, clock, 12)
    clock.now += timedelta(days=1)
    report = await job.run_once()
    assert report.sent == {"lrs": 2, "sunbird": 2} and report.parked == {"lrs": 0, "sunbird": 0}
    # Once the cause is fixed, an operator sends them again (`karmabot sync retry --parked`).
    fake_lrs.reject, fake_sunbird.reject = set(), set()
    assert job.outbox.retry(clock(), parked=True) == 2
    assert (await job.run_once()).sent == {"lrs": 1, "sunbird": 1}
    assert job.outbox.pending() == 0 and all(s.parked == 0 for s in job.outbox.status())


def lesson_event_of(learner_id: str, lesson: str) -> LearningEvent:
    """Enough of a lesson event to name its activity."""
    return LearningEvent(
        kind=EventKind.LESSON_COMPLETED, key="k", learner_id=learner_id, course_id="demo",
        course_version=1, registration="", language="en", timestamp=Clock()(), lesson_id=lesson,
    )  # fmt: skip


async def test_a_misconfigured_sink_is_an_error_retried_in_minutes_and_at_once_when_fixed(
    store: Store, fakes: Fakes, caplog: pytest.LogCaptureFixture
) -> None:
    sessions, learner = store
    fake_lrs, lrs_url, fake_sunbird, sunbird_url = fakes
    clock = Clock()
    record_lessons(sessions, learner.id, clock, 3)
    set_identity(sessions, learner.id, "igot-1")
    wrong = SyncJob(
        SqlOutbox(sessions),
        [lrs(lrs_url, password="old"), sunbird(sunbird_url + "/wrong-path", sessions)],
        clock=clock,
    )
    with caplog.at_level(logging.ERROR, logger="learning.sync"):
        report = await wrong.run_once()
    assert report.failed == {"lrs": 3, "sunbird": 3}
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 2 and "configuration error" in errors[0].getMessage()
    assert "HTTP 401" in errors[0].getMessage() and "HTTP 404" in errors[1].getMessage()
    with sessions() as session:
        retry_at = session.scalars(sa.select(OutboxRow.next_attempt_at)).all()
    waits = {(t.replace(tzinfo=clock.now.tzinfo) - clock.now) for t in retry_at}
    assert all(timedelta(minutes=2) <= w <= timedelta(minutes=5) for w in waits)  # not hours
    status = {s.sink: s for s in wrong.outbox.status()}
    assert status["lrs"].failed == 3 and "configuration error" in (status["lrs"].last_error or "")
    # The same configuration after a restart: still waiting for its retry time.
    same = SyncJob(
        SqlOutbox(sessions),
        [lrs(lrs_url, password="old"), sunbird(sunbird_url + "/wrong-path", sessions)],
        clock=clock,
    )
    assert (await same.run_once()).failed == {"lrs": 0, "sunbird": 0}
    # Fixed credentials and URL: sent in the first round, without waiting for the retry time.
    fixed = SyncJob(
        SqlOutbox(sessions), [lrs(lrs_url), sunbird(sunbird_url, sessions)], clock=clock
    )
    assert (await fixed.run_once()).sent == {"lrs": 3, "sunbird": 3}
    assert len(fake_lrs.stored) == 3 and len(fake_sunbird.history) == 3


async def test_users_sent_side_by_side_one_rejected_content_parks_only_its_events(
    store: Store, fakes: Fakes
) -> None:
    sessions, _ = store
    _, _, fake_sunbird, sunbird_url = fakes
    clock = Clock()
    for n in range(6):
        learner = SqlLearnerRepository(sessions).get_or_create("web", f"u{n}", name=f"L{n}")
        record_lessons(sessions, learner.id, clock, 3)
        set_identity(sessions, learner.id, f"igot-{n}")
    fake_sunbird.reject, fake_sunbird.delay = {"l2"}, 0.01
    job = SyncJob(SqlOutbox(sessions), [sunbird(sunbird_url, sessions)], clock=clock)
    report = await job.run_once()
    assert report.sent == {"sunbird": 12} and report.parked == {"sunbird": 6}
    assert sorted(fake_sunbird.history) == sorted(
        (f"igot-{n}", "demo", lesson) for n in range(6) for lesson in ("l1", "l3")
    )
    assert all(states == [(2, 100)] for states in fake_sunbird.history.values())  # sent once
