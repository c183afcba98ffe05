"""The delivery worker against the fake Telegram Bot API, with PTB's real `Bot`: each learner
gets one message in their language with a Continue button; opt-out, quiet hours, blocked
users, 429s and pauses do what they should."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from connectors.nudge_render import Renderer
from connectors.outbound import TelegramOutbound
from connectors.pacing import LocalPacer
from connectors.worker import Worker
from core.i18n import get_catalog
from learning.buttons import ButtonKeys
from learning.campaign_message import Message
from learning.campaign_models import SendRow
from learning.campaigns import Actor, Campaigns
from learning.channel_models import OutboundMessageRow
from learning.cohort import Cohort
from learning.content_loader import load
from learning.deliveries import Deliveries
from learning.delivery_rules import DeliveryPolicy
from learning.models import ChannelLinkRow, LearnerRow
from learning.records import RecordStore
from learning.sends import SendQueue
from tests.fakes.server import serve
from tests.fakes.telegram import FakeTelegram

CONTENT = Path(__file__).resolve().parents[2] / "content"
NOON_IST = datetime(2026, 12, 3, 6, 30, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def fake() -> Iterator[tuple[FakeTelegram, str]]:
    telegram = FakeTelegram()
    with serve(telegram.app()) as url:
        yield telegram, url


def add(sessions: sessionmaker[Session], chat: int, language: str = "en", **extra: object) -> str:
    lid = f"learner-{chat}"
    with sessions.begin() as session:
        values = {"name": f"Asha {chat}", "language": language, "script": "native",
                  "language_chosen": True, "reminders_enabled": True} | extra  # fmt: skip
        session.add(LearnerRow(id=lid, **values))
        session.add(ChannelLinkRow(learner_id=lid, channel="telegram", channel_user_id=str(chat)))
    return lid


def build(
    sessions: sessionmaker[Session], url: str, token: str, clock: Clock, rate: float = 0
) -> Worker:
    queue = SendQueue(sessions, clock, worker="test-worker")
    campaigns = Campaigns(sessions, queue, clock)
    library = load(CONTENT)
    outbound = TelegramOutbound(
        token, f"{url}/bot", f"{url}/file/bot", buttons=ButtonKeys(sessions),
        deliveries=Deliveries(sessions), records=RecordStore(sessions), concurrency=8,
    )  # fmt: skip
    return Worker(
        queue=queue, campaigns=campaigns, outbound={"telegram": outbound},
        renderer=Renderer(get_catalog(), library, campaigns.find),
        pacer=LocalPacer({"telegram": rate}), policy=DeliveryPolicy(), clock=clock,
        concurrency=8, idle=0.05,
    )  # fmt: skip


def statuses(sessions: sessionmaker[Session]) -> dict[str, tuple[str, str | None]]:
    with sessions() as session:
        return {r.learner_id: (r.status, r.reason) for r in session.scalars(select(SendRow))}


def start_campaign(worker: Worker, message: Message, cohort: Cohort | None = None) -> str:
    admin = Actor.operator()
    campaign = worker.campaigns.create(admin, "Finish RTI", cohort or Cohort(), message)
    worker.campaigns.send(admin, campaign.id)
    return campaign.id


RTI = "rti-for-officials"


def test_each_learner_gets_one_message_in_their_language(
    sessions: sessionmaker[Session], fake: tuple[FakeTelegram, str]
) -> None:
    telegram, url = fake
    en, hi = add(sessions, 1001), add(sessions, 1002, "hi")
    add(sessions, 1003, reminders_enabled=False)
    add(sessions, 1004, timezone="America/New_York")  # 01:30 there: quiet hours
    telegram.blocked.add(1005)
    add(sessions, 1005)
    clock = Clock(NOON_IST)
    worker = build(sessions, url, telegram.token, clock)
    cid = start_campaign(worker, Message("reminder", course=RTI, sender="The Collector"))

    async def go() -> None:
        await worker.outbound["telegram"].start()
        await worker.plan()
        while await worker.drain_once():
            pass
        await worker.outbound["telegram"].stop()

    asyncio.run(go())
    sent = {call.params["chat_id"]: call.params for call in telegram.called("sendMessage")}
    assert set(sent) == {1001, 1002}
    assert "The Collector reminds you to continue" in sent[1001]["text"]
    assert "Asha" in sent[1001]["text"]
    assert "नमस्ते" in sent[1002]["text"]
    buttons = sent[1001]["reply_markup"]["inline_keyboard"]
    assert buttons[0][0]["callback_data"] == f'/start_lesson{{"course":"{RTI}"}}'
    result = statuses(sessions)
    assert result[en] == ("sent", None) and result[hi] == ("sent", None)
    assert result["learner-1003"] == ("skipped", "opt_out")
    assert result["learner-1004"] == ("queued", "quiet_hours")
    assert result["learner-1005"] == ("failed", "blocked")
    with sessions() as session:
        deferred = session.scalars(select(SendRow).filter_by(learner_id="learner-1004")).one()
        # 08:00 in New York on 3 December is 13:00 UTC.
        assert deferred.not_before.replace(tzinfo=UTC) == datetime(2026, 12, 3, 13, 0, tzinfo=UTC)
    with sessions() as session:  # logged with the results, for the campaign's report
        logged = session.scalars(select(OutboundMessageRow).filter_by(campaign_id=cid)).all()
        assert sorted(r.learner_id for r in logged) == [en, hi]
    worker.campaigns.settle()
    assert worker.campaigns.find(cid).status == "sending"  # the deferred one is still to go  # type: ignore[union-attr]


def test_a_429_is_retried_after_retry_after_and_never_sent_twice(
    sessions: sessionmaker[Session], fake: tuple[FakeTelegram, str]
) -> None:
    telegram, url = fake
    lid = add(sessions, 2001)
    clock = Clock(NOON_IST)
    worker = build(sessions, url, telegram.token, clock)
    start_campaign(worker, Message("reminder", course=RTI))
    telegram.throttle("sendMessage", retry_after=7)

    async def drain() -> None:
        await worker.outbound["telegram"].start()
        await worker.plan()
        while await worker.drain_once():
            pass
        await worker.outbound["telegram"].stop()

    asyncio.run(drain())
    assert telegram.called("sendMessage") == []
    with sessions() as session:
        row = session.scalars(select(SendRow).filter_by(learner_id=lid)).one()
        assert (row.status, row.reason, row.attempts) == ("queued", "rate_limited", 1)
        assert row.not_before.replace(tzinfo=UTC) == NOON_IST + timedelta(seconds=7)
    clock.now = NOON_IST + timedelta(seconds=8)
    asyncio.run(drain())
    assert [c.params["chat_id"] for c in telegram.called("sendMessage")] == [2001]
    assert (
        statuses(sessions)[lid] == ("sent", "rate_limited") or statuses(sessions)[lid][0] == "sent"
    )


def test_a_paused_campaign_stops_and_resumes_where_it_stopped(
    sessions: sessionmaker[Session], fake: tuple[FakeTelegram, str]
) -> None:
    telegram, url = fake
    for chat in range(3001, 3041):
        add(sessions, chat)
    clock = Clock(NOON_IST)
    worker = build(sessions, url, telegram.token, clock, rate=20)
    cid = start_campaign(worker, Message("reminder", course=RTI))
    admin = Actor.operator()

    async def run_until_paused() -> tuple[int, int]:
        stop = asyncio.Event()
        task = asyncio.create_task(worker.run(stop))
        await telegram.wait_for("sendMessage", 5)
        await asyncio.to_thread(worker.campaigns.pause, admin, cid)
        await asyncio.sleep(1.0)  # the pause takes effect within a second…
        settled = len(telegram.called("sendMessage"))
        await asyncio.sleep(1.5)  # …and holds
        stop.set()
        await task
        return settled, len(telegram.called("sendMessage"))

    settled, later = asyncio.run(run_until_paused())
    assert settled == later < 40
    worker.campaigns.resume(admin, cid)

    async def finish() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(worker.run(stop))
        await telegram.wait_for("sendMessage", 40, timeout=20)
        stop.set()
        await task

    asyncio.run(finish())
    chats = [c.params["chat_id"] for c in telegram.called("sendMessage")]
    assert sorted(chats) == list(range(3001, 3041))  # everyone once, nobody twice
