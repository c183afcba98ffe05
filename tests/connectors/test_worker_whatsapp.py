"""The worker on WhatsApp (the fake Graph API) and the nudge path: free-form with buttons inside
the 24-hour window, the approved template outside it, and automatic nudges and spaced-review
questions rendered in the learner's language."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from connectors.nudge_render import Renderer
from connectors.outbound import WhatsAppOutbound
from connectors.pacing import LocalPacer
from connectors.whatsapp import parse_template_languages
from connectors.whatsapp_api import GraphClient
from connectors.whatsapp_sender import WhatsAppSender
from connectors.worker import Worker
from core.i18n import get_catalog
from learning.buttons import ButtonKeys
from learning.campaign_message import Message
from learning.campaign_models import SendRow
from learning.campaigns import Actor, Campaigns
from learning.cohort import Cohort
from learning.content_loader import load
from learning.deliveries import Deliveries
from learning.delivery_rules import DeliveryPolicy
from learning.inbox import Inbox
from learning.models import ChannelLinkRow, LearnerRow
from learning.records import RecordStore
from learning.repository import SqlLearnerRepository
from learning.sends import SendQueue
from tests.fakes.server import serve
from tests.fakes.whatsapp import FakeGraph
from tests.learning.store import Clock

CONTENT = Path(__file__).resolve().parents[2] / "content"
RTI = "rti-for-officials"


@pytest.fixture
def graph() -> Iterator[tuple[FakeGraph, str]]:
    fake = FakeGraph()
    with serve(fake.app()) as url:
        yield fake, url


def learner(sessions: sessionmaker[Session], wa_id: str, language: str = "en") -> str:
    lid = f"wa-{wa_id}"
    with sessions.begin() as session:
        session.add(LearnerRow(id=lid, name="Asha Verma", language=language, script="native",
                               language_chosen=True, reminders_enabled=True))  # fmt: skip
        session.add(ChannelLinkRow(learner_id=lid, channel="whatsapp", channel_user_id=wa_id))
    return lid


def build(sessions: sessionmaker[Session], fake: FakeGraph, url: str, clock: Clock) -> Worker:
    queue = SendQueue(sessions, clock, worker="wa-worker")
    campaigns = Campaigns(sessions, queue, clock)
    client = GraphClient(f"{url}/{fake.version}", fake.phone_number_id, fake.token)
    sender = WhatsAppSender(
        client, learners=SqlLearnerRepository(sessions), inbox=Inbox(sessions, clock),
        deliveries=Deliveries(sessions, clock), records=RecordStore(sessions),
        button_keys=ButtonKeys(sessions), template="karmabot_update",
        template_languages=parse_template_languages("en:en_US,hi:hi"), clock=clock,
    )  # fmt: skip
    return Worker(
        queue=queue, campaigns=campaigns, outbound={"whatsapp": WhatsAppOutbound(sender)},
        renderer=Renderer(get_catalog(), load(CONTENT), campaigns.find),
        pacer=LocalPacer({}), policy=DeliveryPolicy(), clock=clock, idle=0.05,
    )  # fmt: skip


def drain(worker: Worker) -> None:
    async def go() -> None:
        await worker.plan()
        while await worker.drain_once():
            pass
        await worker.outbound["whatsapp"].stop()

    asyncio.run(go())


def test_inside_the_window_buttons_outside_it_the_template(
    sessions: sessionmaker[Session], graph: tuple[FakeGraph, str]
) -> None:
    fake, url = graph
    clock = Clock()
    recent, silent = learner(sessions, "919800000001", "hi"), learner(sessions, "919800000002")
    Inbox(sessions, clock).touch("whatsapp", "919800000001", clock.now - timedelta(hours=2))
    worker = build(sessions, fake, url, clock)
    admin = Actor.operator()
    campaign = worker.campaigns.create(admin, "RTI", Cohort(), Message("reminder", course=RTI))
    worker.campaigns.send(admin, campaign.id)
    drain(worker)
    [free] = fake.to("919800000001")
    assert free["type"] == "interactive"
    assert "नमस्ते Asha" in free["interactive"]["body"]["text"]
    titles = [b["reply"]["title"] for b in free["interactive"]["action"]["buttons"]]
    assert titles == ["आगे ▶", "रिमाइंडर बंद करें"]
    [template] = fake.to("919800000002")
    assert template["type"] == "template"
    assert template["template"]["name"] == "karmabot_update"
    assert template["template"]["language"]["code"] == "en_US"
    params = template["template"]["components"][0]["parameters"]
    assert params[0]["text"] == "Asha Verma"
    with sessions() as session:
        rows = {r.learner_id: r.status for r in session.scalars(select(SendRow))}
    assert rows == {recent: "sent", silent: "sent"}


def test_a_nudge_and_a_review_question_are_rendered_from_their_payloads(
    sessions: sessionmaker[Session], graph: tuple[FakeGraph, str]
) -> None:
    fake, url = graph
    clock = Clock()
    lid = learner(sessions, "919800000003")
    Inbox(sessions, clock).touch("whatsapp", "919800000003", clock.now - timedelta(hours=1))
    worker = build(sessions, fake, url, clock)
    args = {"name": "", "days": 4, "course": "The RTI Act", "lesson": "Filing", "course_id": RTI}
    worker.queue.enqueue("inactive:x", "inactive", lid, "whatsapp",
                         {"response": "nudge_inactive", "args": args})  # fmt: skip
    drain(worker)
    [nudge] = fake.to("919800000003")
    body = nudge["interactive"]["body"]["text"]
    assert body.startswith("Namaste Karmayogi! It's been 4 days since you last opened The RTI Act")
    ids = [b["reply"]["id"] for b in nudge["interactive"]["action"]["buttons"]]
    assert json.loads(ids[0].split("start_lesson", 1)[1]) == {"course": RTI}
    # The daily cap: a second automatic nudge the same day is skipped, not sent.
    worker.queue.enqueue("inactive:y", "inactive", lid, "whatsapp",
                         {"response": "nudge_inactive", "args": args})  # fmt: skip
    drain(worker)
    with sessions() as session:
        second = session.scalars(select(SendRow).filter_by(key="inactive:y")).one()
    assert (second.status, second.reason) == ("skipped", "daily_cap")
    assert len(fake.to("919800000003")) == 1
