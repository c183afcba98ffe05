"""Sunbird hears of learners by their own platform user id and the enrollment's batch, never by
Karmabot's learner id; the LRS keeps Karmabot's account identity (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta

from core.settings import Settings
from learning.outbox import HELD, SqlOutbox
from learning.sunbird import PlatformIdentities
from learning.sync import LrsSink, Sink, SunbirdSink, SyncJob
from tests.learning.sync_support import (
    BASE,
    HOME,
    Clock,
    Fakes,
    Store,
    set_identity,
)
from tests.learning.test_sync_failures import record_lessons


async def test_events_wait_for_the_platform_user_id_and_go_once_it_arrives(
    store: Store, fakes: Fakes
) -> None:
    sessions, learner = store
    fake_lrs, lrs_url, fake_sunbird, sunbird_url = fakes
    clock = Clock()
    record_lessons(sessions, learner.id, clock, 3)
    sinks: list[Sink] = [
        LrsSink(lrs_url, "karmabot", "secret", home_page=HOME, activity_base=BASE),
        SunbirdSink(sunbird_url, sessions=sessions, batch_id="b-1", api_key="sunbird-key"),
    ]
    job = SyncJob(SqlOutbox(sessions), sinks, clock=clock)
    report = await job.run_once()
    assert report.sent == {"lrs": 3, "sunbird": 0} and report.held == {"lrs": 0, "sunbird": 3}
    assert fake_sunbird.requests == 0  # never under Karmabot's own learner id
    accounts = {s["actor"]["account"]["name"] for s in fake_lrs.stored.values()}
    assert accounts == {learner.id}  # the LRS keeps Karmabot's account identity
    status = {s.sink: s for s in job.outbox.status()}["sunbird"]
    assert (status.pending, status.held, status.failed, status.parked) == (3, 3, 0, 0)
    assert status.last_error == f"{HELD}: learner {learner.id} has no platform user id"
    # The roster brings the id: the held events go at their next look (seconds, at most hourly).
    set_identity(sessions, learner.id, "igot-asha")
    assert (await job.run_once()).sent["sunbird"] == 0  # not looked at again yet
    clock.now += timedelta(seconds=2)
    assert (await job.run_once()).sent["sunbird"] == 3
    assert {c["userId"] for c in fake_sunbird.contents} == {"igot-asha"}
    assert job.outbox.pending() == 0


async def test_the_batch_is_the_enrollments_then_the_courses_then_the_default(
    store: Store, fakes: Fakes
) -> None:
    sessions, learner = store
    _, _, fake_sunbird, sunbird_url = fakes
    clock = Clock()
    record_lessons(sessions, learner.id, clock, 1)
    set_identity(sessions, learner.id, "igot-asha")
    identities = PlatformIdentities(sessions, {"demo": "course-batch"}, "default-batch")
    pairs = {(learner.id, "demo"), (learner.id, "other"), ("nobody", "demo")}
    found = identities.lookup(pairs)
    assert found[(learner.id, "demo")].batch_id == "course-batch"
    assert found[(learner.id, "other")].batch_id == "default-batch"
    assert found[("nobody", "demo")].user_id is None
    set_identity(sessions, learner.id, "igot-asha", {"demo": "enrolled-batch"})
    assert identities.lookup(pairs)[(learner.id, "demo")].batch_id == "enrolled-batch"
    # No batch anywhere: held with the reason, not sent with an empty batch id.
    set_identity(sessions, learner.id, "igot-asha", {"demo": ""})
    sink = SunbirdSink(sunbird_url, sessions=sessions, api_key="sunbird-key")
    job = SyncJob(SqlOutbox(sessions), [sink], clock=clock)
    assert (await job.run_once()).held == {"sunbird": 1}
    status = {s.sink: s for s in job.outbox.status()}["sunbird"]
    assert status.last_error == f"{HELD}: no Sunbird batch for course demo"
    set_identity(sessions, learner.id, "igot-asha", {"demo": "enrolled-batch"})
    assert job.outbox.retry(clock()) == 1  # `karmabot sync retry`: no need to wait
    assert (await job.run_once()).sent == {"sunbird": 1}
    assert [c["batchId"] for c in fake_sunbird.contents] == ["enrolled-batch"]


def test_course_batches_are_read_from_settings() -> None:
    batches = " course-a:b1, course-b : b2 ,broken,:x,"
    settings = Settings(KARMABOT_SUNBIRD_BATCHES=batches)
    assert settings.sunbird_batch_map == {"course-a": "b1", "course-b": "b2"}
