"""Two sync workers at once never send a content item's state backwards (SQLite and PostgreSQL).

Each worker has its own engine and runs in its own thread, as two gateways or `karmabot sync`
processes would; the fake Sunbird answers after a random delay, so their sends overlap.
"""

from __future__ import annotations

import asyncio
import random
import threading
import uuid
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from learning.db import make_engine, session_factory
from learning.events import EventKind, LearningEvent
from learning.models import LearnerRow
from learning.outbox import SqlOutbox
from learning.store import OutboxWriter
from learning.sync import SunbirdSink, SyncJob
from tests.fakes.server import serve
from tests.fakes.sunbird import FakeSunbird
from tests.learning.store import add_learner, migrated

LEARNERS = ("a", "b", "c")


def interleaved_events(rng: random.Random) -> list[LearningEvent]:
    """Per learner: 40 course-progress events, rising but with neighbours swapped at random
    (retries and slow requests reorder them), then three lesson completions; the learners'
    events interleaved."""
    when = datetime.now(UTC) - timedelta(minutes=1)
    per_learner = []
    for learner in LEARNERS:
        percents = sorted(rng.sample(range(1, 100), 40))
        for i in range(0, len(percents) - 1):
            if rng.random() < 0.4:
                percents[i], percents[i + 1] = percents[i + 1], percents[i]
        events = [
            LearningEvent(
                kind=EventKind.COURSE_PROGRESSED, key=f"{learner}:p{i}", learner_id=learner,
                course_id="demo", course_version=1, registration=str(uuid.uuid4()),
                language="en", timestamp=when, progress=percent,
            )
            for i, percent in enumerate(percents)
        ] + [
            LearningEvent(
                kind=EventKind.LESSON_COMPLETED, key=f"{learner}:{lesson}", learner_id=learner,
                course_id="demo", course_version=1, registration=str(uuid.uuid4()),
                language="en", timestamp=when, lesson_id=lesson,
            )
            for lesson in ("l1", "l2", "l3")
        ]  # fmt: skip
        per_learner.append(events)
    return [e for group in zip(*per_learner, strict=True) for e in group]


def worker(url: str, sunbird_url: str, sent: list[int], errors: list[BaseException]) -> None:
    """One sync worker with an engine of its own, syncing until nothing is left."""
    engine = make_engine(url)
    sessions = session_factory(engine)
    sink = SunbirdSink(sunbird_url, sessions=sessions, batch_id="b-1", api_key="sunbird-key")
    job = SyncJob(SqlOutbox(sessions), [sink], batch_size=2)

    async def drain() -> None:
        while (report := await job.run_once()).sent["sunbird"] or job.outbox.pending():
            sent.append(report.sent["sunbird"])
            if not report.sent["sunbird"]:  # the other worker holds the rest
                await asyncio.sleep(0.01)

    try:
        asyncio.run(drain())
    except BaseException as exc:  # reported by the test
        errors.append(exc)
    finally:
        engine.dispose()


def test_two_workers_never_send_a_content_state_backwards(db_url: str) -> None:
    sessions = migrated(db_url)
    rng = random.Random(11)
    with sessions.begin() as session:
        for learner in LEARNERS:
            session.add(LearnerRow(id=learner, name=learner, platform_user_id=f"igot-{learner}"))
    add_learner(sessions, "no-events")
    events = interleaved_events(rng)
    with sessions.begin() as session:
        OutboxWriter(("sunbird",)).emit(session, *events)
    fake = FakeSunbird(delay=0.004)
    sent: list[list[int]] = [[], []]
    errors: list[BaseException] = []
    with serve(fake.app()) as url:
        threads = [
            threading.Thread(target=worker, args=(db_url, url, sent[i], errors)) for i in (0, 1)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    assert errors == [] and not any(t.is_alive() for t in threads)
    assert all(sum(s) > 0 for s in sent)  # both workers took part
    assert sum(map(sum, sent)) == len(events)
    assert fake.history, "nothing reached the fake"
    for key, states in fake.history.items():
        assert states == sorted(states), (key, states)  # never backwards, per content item
    highest = {
        learner: max(e.progress or 0 for e in events if e.learner_id == learner and e.progress)
        for learner in LEARNERS
    }
    for learner in LEARNERS:
        assert fake.history[(f"igot-{learner}", "demo", "demo")][-1] == (1, highest[learner])
        for lesson in ("l1", "l2", "l3"):
            assert fake.history[(f"igot-{learner}", "demo", lesson)] == [(2, 100)]
    with sessions() as session:
        pending = session.scalar(sa.text("SELECT count(*) FROM outbox WHERE sent_at IS NULL"))
    assert pending == 0
    sessions.kw["bind"].dispose()
