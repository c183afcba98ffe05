"""The WhatsApp channel against a fake Graph API on loopback, with signed webhooks as Meta
sends them, a fake Rasa and a real SQLite learner store; the clock is injected."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from connectors.conversation import Conversation
from connectors.messages import BotMessage, Button
from connectors.whatsapp import WhatsAppChannel, WhatsAppConfig, parse_template_languages
from connectors.whatsapp_api import ErrorKind, RetryPolicy, classify
from connectors.whatsapp_render import page_count, shorten, split_text
from core.i18n import get_catalog
from learning.buttons import ButtonKeys
from learning.db import Sessions
from learning.deliveries import Deliveries
from learning.inbox import Inbox
from learning.models import CertificateRow
from learning.records import RecordStore
from learning.repository import SqlLearnerRepository
from tests.fakes.server import serve
from tests.fakes.whatsapp import FakeGraph, Meta, media, status, tap, text

WA = "919876543210"
SECRET = "app-secret"
HOOK = "/whatsapp/webhook"


class FakeRasa:
    """Answers each text with the replies set for it, else an echo; records what it got."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, dict[str, Any]]] = []
        self.replies: dict[str, list[BotMessage]] = {}
        self.down = False

    async def send(self, sender: str, text: str, metadata: dict[str, Any]) -> list[BotMessage]:
        from connectors.rasa_client import RasaUnavailable

        if self.down:
            raise RasaUnavailable("down")
        self.sent.append((sender, text, metadata))
        return list(self.replies.get(text, [BotMessage(text=f"echo: {text}")]))

    async def ready(self) -> bool:
        return True

    async def aclose(self) -> None:
        return None


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def stamp(self, delta: timedelta = timedelta()) -> int:
        return int((self.now + delta).timestamp())


@dataclass
class World:
    channel: WhatsAppChannel
    graph: FakeGraph
    meta: Meta
    rasa: FakeRasa
    learners: SqlLearnerRepository
    deliveries: Deliveries
    inbox: Inbox
    clock: Clock
    sleeps: list[float]

    async def say(self, *items: dict[str, Any], **kw: Any) -> httpx.Response:
        """Post a signed webhook and wait until it is processed."""
        response = await self.meta.post(HOOK, list(items), **kw)
        await self.channel.drain()
        return response

    def bodies(self, kind: str | None = None) -> list[dict[str, Any]]:
        return [m for m in self.graph.to(WA) if kind is None or m["type"] == kind]


@pytest.fixture(scope="module")
def graph_server() -> Iterator[tuple[str, list[FakeGraph]]]:
    """One loopback server for the module; each test puts its own fake behind it."""
    current = [FakeGraph()]

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await current[0].app()(scope, receive, send)

    with serve(app) as url:
        yield url, current


def build(
    sessions: Sessions, url: str, graph: FakeGraph, clock: Clock, sleeps: list[float], **config: Any
) -> tuple[WhatsAppChannel, FakeRasa, SqlLearnerRepository, Deliveries, Inbox]:
    settings: dict[str, Any] = {
        "access_token": graph.token, "phone_number_id": graph.phone_number_id,
        "app_secret": SECRET, "verify_token": "verify-me", "api_url": f"{url}/{graph.version}",
        "template": "karmabot_update",
        "template_languages": parse_template_languages("en:en_US,hi:hi,ta:ta"),
        "retry": RetryPolicy(attempts=3, base_s=0.01, max_s=0.05),
    } | config  # fmt: skip
    rasa, learners = FakeRasa(), SqlLearnerRepository(sessions)
    conversation = Conversation(rasa, learners, get_catalog())  # type: ignore[arg-type]
    inbox, deliveries = Inbox(sessions, clock), Deliveries(sessions, clock)

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    channel = WhatsAppChannel(
        WhatsAppConfig(**settings), conversation, inbox=inbox, deliveries=deliveries,
        records=RecordStore(sessions), button_keys=ButtonKeys(sessions), clock=clock, sleep=sleep,
    )  # fmt: skip
    return channel, rasa, learners, deliveries, inbox


@pytest.fixture
async def world(
    sessions: Sessions, graph_server: tuple[str, list[FakeGraph]]
) -> AsyncIterator[World]:
    url, current = graph_server
    graph, clock, sleeps = FakeGraph(), Clock(), list[float]()
    current[0] = graph
    channel, rasa, learners, deliveries, inbox = build(sessions, url, graph, clock, sleeps)
    app = Starlette(routes=channel.routes())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        await channel.start()
        meta = Meta(SECRET, graph.phone_number_id, client)
        yield World(channel, graph, meta, rasa, learners, deliveries, inbox, clock, sleeps)
        await channel.stop()


# --- the door --------------------------------------------------------------------------------


async def test_verification_handshake_echoes_the_challenge_for_the_right_token(
    world: World,
) -> None:
    client = world.meta.client
    assert client is not None
    good = {"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "1158201444"}
    answer = await client.get(HOOK, params=good)
    assert answer.status_code == 200 and answer.text == "1158201444"
    assert answer.headers["content-type"].startswith("text/plain")
    for bad in ({"hub.verify_token": "guess"}, {"hub.mode": "unsubscribe"}, {"hub.mode": ""}):
        assert (await client.get(HOOK, params=good | bad)).status_code == 403


async def test_signed_message_is_accepted_and_answered_from_the_learner_behind_the_number(
    world: World,
) -> None:
    answer = await world.say(text(WA, "hello"), names={WA: "Asha Verma"})
    assert answer.status_code == 200
    learner = world.learners.get_by_channel("whatsapp", WA)
    assert learner is not None and learner.name == "Asha Verma"
    assert world.rasa.sent == [
        (learner.id, "hello", {"channel": "whatsapp", "channel_user_id": WA})
    ]
    [reply] = world.bodies()
    assert reply["text"] == {"body": "echo: hello", "preview_url": False}
    delivery = world.deliveries.get("whatsapp", reply["id"])
    assert delivery is not None and delivery.learner_id == learner.id and delivery.kind == "reply"
    assert world.inbox.last_inbound("whatsapp", WA) == world.clock.now


@pytest.mark.parametrize("signature", [None, "sha256=" + "0" * 64, "sha1=abc", "sha256=zz"])
async def test_unsigned_or_badly_signed_webhooks_are_refused_and_change_nothing(
    world: World, signature: str | None
) -> None:
    message = text(WA, "hello", message_id="wamid.forged")
    answer = await world.say(message, signature=signature)
    assert answer.status_code == (401 if signature is None else 403)
    assert world.learners.count() == 0 and world.rasa.sent == [] and world.graph.calls == []
    assert world.inbox.first_delivery("whatsapp", "wamid.forged")  # the id was not used up


async def test_a_webhook_over_the_size_cap_is_refused(world: World) -> None:
    answer = await world.say(text(WA, "x" * 1_100_000))
    assert answer.status_code == 413 and world.rasa.sent == []


async def test_a_signed_body_that_is_not_json_is_refused(world: World) -> None:
    client, body = world.meta.client, b"{not json"
    assert client is not None
    headers = {"x-hub-signature-256": world.meta.sign(body)}
    assert (await client.post(HOOK, content=body, headers=headers)).status_code == 400


async def test_a_message_delivered_twice_is_handled_once(world: World) -> None:
    message = text(WA, "hello", message_id="wamid.once")
    await world.say(message)
    await world.say(message)
    assert len(world.rasa.sent) == 1 and len(world.bodies()) == 1


async def test_one_users_messages_are_answered_in_order(world: World) -> None:
    await world.say(*(text(WA, f"m{i}") for i in range(5)))
    assert [m["text"]["body"] for m in world.bodies()] == [f"echo: m{i}" for i in range(5)]


async def test_a_bad_entry_is_skipped_and_the_rest_handled(world: World) -> None:
    broken = {"id": "wamid.broken", "type": "text"}  # no sender
    other_number = replace(world.meta, phone_number_id="999")
    assert (await other_number.post(HOOK, [text(WA, "not ours")])).status_code == 200
    await world.say(broken, text(WA, "fine"), status("wamid.x", "exploded", WA))
    assert [t for _, t, _ in world.rasa.sent] == ["fine"]


async def test_stickers_get_the_unsupported_reply_and_reactions_nothing(world: World) -> None:
    await world.say(media(WA, "sticker"), media(WA, "reaction"))
    expected = get_catalog().render("utter_unsupported_message", "en")["text"]
    assert [m["text"]["body"] for m in world.bodies()] == [expected]
    assert world.rasa.sent == []


async def test_when_rasa_is_down_the_learner_is_told(world: World) -> None:
    world.rasa.down = True
    await world.say(text(WA, "hello"))
    expected = get_catalog().render("utter_error", "en")["text"]
    assert [m["text"]["body"] for m in world.bodies()] == [expected]


# --- widgets ---------------------------------------------------------------------------------


def buttons(*titles: str) -> tuple[Button, ...]:
    return tuple(Button(t, f'/pick{{"n":"{i}"}}') for i, t in enumerate(titles))


async def test_three_buttons_become_reply_buttons_with_titles_shortened_at_a_word(
    world: World,
) -> None:
    titles = ("Prevention of Sexual Harassment", "My progress", "पाठ्यक्रम देखें और सीखें आज")
    world.rasa.replies["hi"] = [BotMessage("Pick one", buttons(*titles))]
    await world.say(text(WA, "hi"))
    [message] = world.bodies("interactive")
    action = message["interactive"]["action"]["buttons"]
    assert [b["reply"]["title"] for b in action] == [
        "Prevention of…", "My progress", "पाठ्यक्रम देखें और…"
    ]  # fmt: skip
    assert [b["reply"]["id"] for b in action] == [b.payload for b in buttons(*titles)]
    await world.say(tap(WA, action[1]["reply"]["id"]))
    assert world.rasa.sent[-1][1] == '/pick{"n":"1"}'


async def test_four_to_ten_buttons_become_a_list_carrying_long_titles_in_descriptions(
    world: World,
) -> None:
    titles = [f"Course {i}" for i in range(9)] + ["Right to Information Act, 2005: a primer"]
    world.rasa.replies["courses"] = [BotMessage("Courses", buttons(*titles))]
    await world.say(text(WA, "courses"))
    [message] = world.bodies("interactive")
    rows = message["interactive"]["action"]["sections"][0]["rows"]
    assert len(rows) == 10 and rows[0] == {"id": '/pick{"n":"0"}', "title": "Course 0"}
    assert rows[9]["title"] == "Right to Information…"
    assert rows[9]["description"] == titles[9]
    await world.say(tap(WA, rows[9]["id"], row=True))
    assert world.rasa.sent[-1][1] == '/pick{"n":"9"}'


async def test_more_than_ten_buttons_page_through_more_rows_without_rasa(world: World) -> None:
    world.rasa.replies["all"] = [BotMessage("All courses", buttons(*map(str, range(23))))]
    await world.say(text(WA, "all"))
    seen: list[str] = []
    for expected_rows in (10, 10, 5):
        rows = world.bodies("interactive")[-1]["interactive"]["action"]["sections"][0]["rows"]
        assert len(rows) == expected_rows
        seen += [r["title"] for r in rows if not r["id"].startswith("wa:more:")]
        if rows[-1]["id"].startswith("wa:more:"):
            await world.say(tap(WA, rows[-1]["id"], row=True))
    assert seen == [str(i) for i in range(23)]
    assert [t for _, t, _ in world.rasa.sent] == ["all"]


async def test_payloads_too_long_for_an_id_travel_as_stored_keys(world: World) -> None:
    payload = '/answer{"step":"' + "x" * 300 + '"}'
    world.rasa.replies["q"] = [BotMessage("Question", (Button("A", payload),))]
    await world.say(text(WA, "q"))
    [button] = world.bodies("interactive")[0]["interactive"]["action"]["buttons"]
    assert button["reply"]["id"].startswith("k:")
    await world.say(tap(WA, button["reply"]["id"]))
    assert world.rasa.sent[-1][1] == payload


async def test_long_text_is_split_at_sentences_and_the_buttons_ride_on_the_last_piece(
    world: World,
) -> None:
    sentence = "Officials learn in short lessons every day. "
    long_text = sentence * 150  # 6,600 characters
    world.rasa.replies["lesson"] = [BotMessage(long_text, buttons("Next", "Repeat"))]
    await world.say(text(WA, "lesson"))
    *texts, widget = world.bodies()
    assert all(m["type"] == "text" for m in texts) and widget["type"] == "interactive"
    pieces = [m["text"]["body"] for m in texts] + [widget["interactive"]["body"]["text"]]
    assert (
        all(p.endswith(".") for p in pieces) and len(widget["interactive"]["body"]["text"]) <= 1024
    )
    assert " ".join(pieces) == long_text.strip()


async def test_a_certificate_is_uploaded_and_sent_as_a_document(
    world: World, sessions: Sessions
) -> None:
    await world.say(text(WA, "hello"))
    learner = world.learners.get_by_channel("whatsapp", WA)
    assert learner is not None
    with sessions.begin() as session:
        row = CertificateRow(code="ABCD234567", learner_id=learner.id, course_id="rti",
                             learner_name="Asha Verma", course_title="RTI basics")  # fmt: skip
        session.add(row)
    document = {"kind": "certificate", "code": "ABCD234567",
                "filename": "karmabot-certificate-ABCD234567.pdf"}  # fmt: skip
    done = BotMessage("🏅 Congratulations!", buttons("My progress"), custom={"document": document})
    world.rasa.replies["finish"] = [done]
    await world.say(text(WA, "finish"))
    doc, congratulations = world.bodies()[1:]
    [(media_id, stored)] = world.graph.media.items()
    assert stored["data"].startswith(b"%PDF") and stored["type"] == "application/pdf"
    assert doc["document"] == {"id": media_id, "filename": "karmabot-certificate-ABCD234567.pdf"}
    assert congratulations["interactive"]["body"]["text"] == "🏅 Congratulations!"
    delivery = world.deliveries.get("whatsapp", doc["id"])
    assert delivery is not None and delivery.kind == "document"


# --- the 24-hour window ----------------------------------------------------------------------


async def test_a_message_answered_after_the_window_gets_the_template_in_its_language(
    world: World,
) -> None:
    await world.say(text(WA, "hello"), names={WA: "Asha"})
    learner = world.learners.get_by_channel("whatsapp", WA)
    assert learner is not None
    world.learners.set_language(learner.id, "hi")
    late = text(WA, "still there?", at=world.clock.stamp(-timedelta(hours=25)))
    world.rasa.replies["still there?"] = [BotMessage("Yes!\nHere is more.", buttons("Next"))]
    await world.say(late)
    template = world.bodies()[-1]["template"]
    assert template["name"] == "karmabot_update" and template["language"] == {"code": "hi"}
    params = template["components"][0]["parameters"]
    assert [p["text"] for p in params] == ["Asha", "Yes!"]


async def test_notify_is_free_form_inside_the_window_and_a_template_outside(
    world: World,
) -> None:
    await world.say(text(WA, "hello"))
    learner = world.learners.get_by_channel("whatsapp", WA)
    assert learner is not None
    nudge = [BotMessage("Your next lesson is ready.", buttons("Continue"))]
    inside = await world.channel.sender.notify(WA, learner, nudge, campaign_id="c1")
    world.clock.now += timedelta(hours=24, minutes=1)
    outside = await world.channel.sender.notify(WA, learner, nudge, campaign_id="c1")
    assert inside.status == outside.status == "sent"
    first, second = (world.deliveries.get("whatsapp", r.message_ids[0]) for r in (inside, outside))
    assert first is not None and (first.kind, first.campaign_id) == ("nudge", "c1")
    assert second is not None and (second.kind, second.campaign_id) == ("template", "c1")
    assert world.bodies()[-1]["template"]["language"] == {"code": "en_US"}


async def test_without_a_template_nothing_goes_outside_the_window(
    sessions: Sessions, graph_server: tuple[str, list[FakeGraph]]
) -> None:
    url, current = graph_server
    current[0] = graph = FakeGraph()
    channel, _, learners, _, _ = build(sessions, url, graph, Clock(), [], template=None)
    learner = learners.get_or_create("whatsapp", WA)
    result = await channel.sender.notify(WA, learner, [BotMessage("Hello")])
    await channel.stop()
    assert (result.status, result.reason) == ("skipped", "no template configured")
    assert graph.calls == []


# --- statuses and errors ---------------------------------------------------------------------


async def test_statuses_are_recorded_against_their_message(world: World) -> None:
    await world.say(text(WA, "hello"))
    wamid = world.bodies()[0]["id"]
    at = world.clock.stamp(timedelta(minutes=1))
    await world.say(status(wamid, "delivered", WA, at=at), status(wamid, "read", WA, at=at + 60))
    delivery = world.deliveries.get("whatsapp", wamid)
    assert delivery is not None and delivery.status == "read"
    assert delivery.delivered_at == datetime.fromtimestamp(at, UTC)
    await world.say(status("wamid.other", "failed", WA, code=131026))
    failed = world.deliveries.get("whatsapp", "wamid.other")
    assert failed is not None and failed.permanent and failed.error_code == "131026"


async def test_a_permanent_error_is_recorded_and_never_retried(world: World) -> None:
    await world.say(text(WA, "hello"))  # the learner exists, the window is open
    world.graph.fail_next(1, code=131026)
    await world.say(text(WA, "again"))
    assert len(world.graph.calls) == 2 and world.sleeps == []
    learner = world.learners.get_by_channel("whatsapp", WA)
    assert learner is not None and world.deliveries.undeliverable("whatsapp", learner.id)
    world.clock.now += timedelta(days=2)
    later = await world.channel.sender.notify(WA, learner, [BotMessage("Come back")])
    assert later.status == "skipped" and later.permanent and len(world.graph.calls) == 2


@pytest.mark.parametrize(("http", "code"), [(400, 130429), (400, 131056), (429, 4), (503, 1)])
async def test_rate_limits_back_off_and_retry(world: World, http: int, code: int) -> None:
    world.graph.fail_next(1, status=http, code=code)
    await world.say(text(WA, "hello"))
    assert len(world.graph.calls) == 2 and len(world.sleeps) == 1
    assert 0.01 <= world.sleeps[0] <= 0.05
    assert [m["text"]["body"] for m in world.bodies()] == ["echo: hello"]


async def test_a_closed_window_reported_by_whatsapp_falls_back_to_the_template(
    world: World,
) -> None:
    await world.say(text(WA, "hello"))
    world.graph.fail_next(1, code=131047)
    await world.say(text(WA, "anyone?"))
    assert world.bodies()[-1]["template"]["components"][0]["parameters"][1]["text"] == (
        "echo: anyone?"
    )


async def test_retries_are_bounded_and_the_failure_recorded(world: World) -> None:
    world.graph.fail_next(5, code=130429)
    await world.say(text(WA, "hello"))
    assert len(world.graph.calls) == 3 and len(world.sleeps) == 2 and world.graph.sent == []
    learner = world.learners.get_by_channel("whatsapp", WA)
    assert learner is not None and not world.deliveries.undeliverable("whatsapp", learner.id)


async def test_statuses_posted_by_the_fake_arrive_over_loopback(
    sessions: Sessions, graph_server: tuple[str, list[FakeGraph]]
) -> None:
    url, current = graph_server
    current[0] = graph = FakeGraph(app_secret=SECRET, auto_statuses=("sent", "delivered"))
    channel, _, _, deliveries, _ = build(sessions, url, graph, Clock(), [])
    with serve(Starlette(routes=channel.routes())) as gateway:
        graph.webhook_url = gateway + HOOK
        assert (await Meta(SECRET).post(gateway + HOOK, [text(WA, "hello")])).status_code == 200
        for _ in range(200):
            found = graph.sent and deliveries.get("whatsapp", graph.sent[0]["id"])
            if found and found.delivered_at:
                break
            await asyncio.sleep(0.02)
    assert found and found.status == "delivered" and found.kind == "reply"


# --- pure parts ------------------------------------------------------------------------------


def test_shortening_never_splits_a_letter_from_its_marks() -> None:
    assert shorten("  Right   to\nInformation  ", 20) == "Right to Information"
    assert shorten("प्रशासनिकसुधारऔरलोकशिकायतविभाग", 10) == "प्रशासनिक…"
    assert shorten("क्षक्षक्षक्षक्ष", 6)[-2] != "\u094d"  # no dangling virama
    assert len(shorten("x" * 50, 24)) == 24


def test_text_splits_at_sentences_then_spaces_then_anywhere() -> None:
    sentences = ["One two.", "Three four.", "Five six."]
    assert split_text(" ".join(sentences), 19) == sentences
    assert split_text("alpha beta gamma delta", 12) == ["alpha beta", "gamma delta"]
    assert split_text("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]
    assert split_text("   ", 10) == []


def test_graph_errors_are_classified_once() -> None:
    transient = {classify(130429, 400), classify(None, 429), classify(None, 502)}
    assert transient == {ErrorKind.TRANSIENT}
    assert classify(131026, 400) is classify(131050, 400) is ErrorKind.RECIPIENT
    for code in (100, 131008, 131047, 131051, 132001, 190):
        assert classify(code, 400) is ErrorKind.FINAL
    assert page_count(10) == 1 and page_count(11) == 2 and page_count(19) == 2
    assert page_count(20) == 3
