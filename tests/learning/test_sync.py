"""Sync to fake LRS and Sunbird servers: nothing lost while down, nothing duplicated on resend,
statements valid under xAPI rules, content state never backwards (SQLite and PostgreSQL)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from learning.content_loader import load
from learning.events import EventKind, LearningEvent
from learning.journey import Journey
from learning.outbox import SqlOutbox
from learning.records import RecordStore
from learning.repository import Learner
from learning.sync import LrsSink, Sink, SunbirdSink, SyncJob
from learning.xapi import statement_for, validate_statement
from tests.fakes.lrs import FakeLrs
from tests.fakes.sunbird import FakeSunbird
from tests.learning.sync_support import (
    BASE,
    CONTENT,
    HOME,
    Clock,
    set_identity,
)  # fmt: skip


def take_course(
    sessions: sa.orm.sessionmaker[sa.orm.Session], learner: Learner, clock: Clock
) -> Journey:
    """Enroll and take the fixture course to the end, answering right."""
    records = RecordStore(sessions, sinks=("lrs", "sunbird"), clock=clock)
    journey = Journey(load(CONTENT), records, clock=clock, rng=random.Random(3))
    replies = journey.enroll(learner, "demo")
    for _ in range(40):
        if any(r.custom for r in replies):
            return journey
        question = next((r for r in replies if r.response == "utter_quiz_question"), None)
        if question is None:
            replies = journey.next_step(learner)
            continue
        course = journey.library.get("demo")
        assert course is not None
        wanted = {q.id: q.answer for m in course.modules for q in m.quiz.questions}
        pick = next(
            b
            for b in question.buttons
            if b["payload"].split('"option":"')[1][0]
            == wanted[b["payload"].split("/")[-1].split('"')[0]]
        )
        step = pick["payload"].split('"step":"')[1].split('"')[0]
        option = pick["payload"].split('"option":"')[1].split('"')[0]
        replies = journey.answer(learner, "", option, step)
    raise AssertionError("course not completed")


def job(
    sessions: sa.orm.sessionmaker[sa.orm.Session],
    lrs_url: str,
    sunbird_url: str,
    clock: Clock,
    batch: int = 100,
) -> SyncJob:
    sinks: list[Sink] = [
        LrsSink(lrs_url, "karmabot", "secret", home_page=HOME, activity_base=BASE),
        SunbirdSink(sunbird_url, sessions=sessions, batch_id="b-2026", api_key="sunbird-key"),
    ]
    return SyncJob(SqlOutbox(sessions), sinks, clock=clock, batch_size=batch)


def test_statements_for_every_event_kind_follow_the_xapi_rules() -> None:
    for kind in EventKind:
        event = LearningEvent(
            kind=kind,
            key=f"k:{kind}",
            learner_id="l1",
            course_id="demo",
            course_version=1,
            registration="0b8e4bb0-5a3b-4c9c-8f8e-2d1f8b0c1a2b",
            language="hi-Latn",
            timestamp=datetime.now(UTC),
            lesson_id="l1",
            quiz_id="q1",
            question_id="q1a",
            response="b",
            success=True,
            score_raw=3,
            score_max=4,
            progress=40,
            title="Lesson 1",
        )
        statement = statement_for(event, home_page=HOME, activity_base=BASE)
        assert validate_statement(statement) == [], kind
        assert statement["id"] == event.id


def test_broken_statements_are_caught() -> None:
    event = LearningEvent(
        kind=EventKind.QUIZ_PASSED,
        key="k",
        learner_id="l1",
        course_id="c",
        course_version=1,
        registration="0b8e4bb0-5a3b-4c9c-8f8e-2d1f8b0c1a2b",
        language="en",
        timestamp=datetime.now(UTC),
        quiz_id="q1",
        score_raw=3,
        score_max=4,
    )
    good = statement_for(event, home_page=HOME, activity_base=BASE)
    broken = {
        **good,
        "id": "42",
        "timestamp": "2026-11-02T10:00:00",
        "colour": "red",
        "actor": {"mbox": "mailto:a@b.c", "account": good["actor"]["account"]},
    }
    assert len(validate_statement(broken)) == 4


async def test_a_remote_down_for_a_while_loses_nothing_and_a_resend_duplicates_nothing(
    store: tuple[sa.orm.sessionmaker[sa.orm.Session], Learner],
    fakes: tuple[FakeLrs, str, FakeSunbird, str],
) -> None:
    sessions, learner = store
    lrs, lrs_url, sunbird, sunbird_url = fakes
    clock = Clock()
    take_course(sessions, learner, clock)
    set_identity(sessions, learner.id, "igot-user-1")
    outbox = SqlOutbox(sessions)
    expected = outbox.pending("lrs")
    assert expected >= 12  # 3 lessons, 3 answers, 2 quizzes, course: with progress events
    lrs.down = sunbird.down = True
    sync = job(sessions, lrs_url, sunbird_url, clock, batch=5)
    report = await sync.run_once()
    assert report.sent == {"lrs": 0, "sunbird": 0} and report.failed["lrs"] == 5
    assert (await sync.run_once()).failed == {"lrs": 0, "sunbird": 0}  # resting, not hammering
    clock.now += timedelta(seconds=3)  # still down at the first retry: backoff grows
    assert (await sync.run_once()).failed == {"lrs": 5, "sunbird": 5}
    failed = {s.sink: s.failed for s in outbox.status()}
    assert failed == {"lrs": 5, "sunbird": 5}  # the head of the queue again, nothing else
    lrs.down = sunbird.down = False
    assert (await sync.run_once()).sent == {"lrs": 0, "sunbird": 0}  # until the retry time
    clock.now += timedelta(seconds=4)  # the second retry is at most 4 s later
    assert (await sync.run_once()).sent["lrs"] == expected
    assert outbox.pending() == 0
    assert len(lrs.stored) == expected and lrs.problems == []
    verbs = sorted({s["verb"]["display"]["en-US"] for s in lrs.stored.values()})
    assert verbs == ["answered", "completed", "passed", "progressed"]
    assert sunbird.never_went_backwards()
    assert sunbird.history[("igot-user-1", "demo", "demo")][-1] == (2, 100)
    assert {c["batchId"] for c in sunbird.contents} == {"b-2026"}
    # A lost reply makes the worker send everything again: the LRS still has each statement once.
    with sessions.begin() as session:
        session.execute(sa.text("UPDATE outbox SET sent_at = NULL, next_attempt_at = created_at"))
    received = lrs.received
    await sync.run_once()
    assert len(lrs.stored) == expected and lrs.received == received + expected
    assert sunbird.never_went_backwards()


async def test_content_state_never_moves_backwards_whatever_the_order(
    store: tuple[sa.orm.sessionmaker[sa.orm.Session], Learner],
    fakes: tuple[FakeLrs, str, FakeSunbird, str],
) -> None:
    sessions, learner = store
    _, _, sunbird, sunbird_url = fakes
    set_identity(sessions, learner.id, "igot-user-1")
    sink = SunbirdSink(sunbird_url, sessions=sessions, batch_id="b", api_key="sunbird-key")

    def progressed(percent: int) -> LearningEvent:
        return LearningEvent(
            kind=EventKind.COURSE_PROGRESSED,
            key=f"p{percent}",
            learner_id=learner.id,
            course_id="demo",
            course_version=1,
            registration="0b8e4bb0-5a3b-4c9c-8f8e-2d1f8b0c1a2b",
            language="en",
            timestamp=datetime.now(UTC),
            progress=percent,
        )

    await sink.send([progressed(40), progressed(20)])  # one batch: only the newest goes
    await sink.send([progressed(20)])  # a late retry of an older state: dropped
    await sink.send([progressed(40)])  # a resend of what the platform has: dropped too
    await sink.send([progressed(60)])
    assert sunbird.history == {("igot-user-1", "demo", "demo"): [(1, 40), (1, 60)]}
