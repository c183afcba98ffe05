"""The Telegram channel: PTB's own client against the fake Bot API, with a fake Rasa.

The learner store is real (SQLite in tmp_path); Rasa is a fake that answers each text with a
scripted reply (or an echo), so these tests run in seconds without the Rasa environment.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.error import BadRequest

from connectors.conversation import Conversation
from connectors.messages import BotMessage, Button
from connectors.rasa_client import RasaUnavailable
from connectors.telegram import TelegramChannel, TelegramConfig
from core.i18n import get_catalog
from learning.buttons import ButtonKeys
from learning.certificates import Certificate
from learning.db import Sessions
from learning.deliveries import Deliveries, Delivery
from learning.inbox import Inbox
from learning.invites import Invites
from learning.repository import SqlLearnerRepository
from tests.fakes.server import free_port, serve
from tests.fakes.telegram import FakeTelegram
from tests.fakes.telegram_updates import Updates, user

SECRET = "s3cret_Token-1"
CATALOG = get_catalog()
LONG_PAYLOAD = '/answer_quiz{"option":"b","step":"rti-for-officials/l3-first-appeal/q7"}'


async def recorded(sessions: Sessions, message_id: int) -> Delivery:
    """The delivery record of a message, once the channel has written it."""
    deadline = time.monotonic() + 5
    while (delivery := Deliveries(sessions).get("telegram", str(message_id))) is None:
        assert time.monotonic() < deadline, f"message {message_id} was never recorded"
        await asyncio.sleep(0.01)
    return delivery


def en(response: str, **args: Any) -> str:
    return str(CATALOG.render(response, "en", **args)["text"])


class FakeRasa:
    """Answers a scripted reply per text (an echo otherwise); can be slow or down."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []
        self.replies: dict[str, list[BotMessage]] = {}
        self.delay = 0.0
        self.down = False

    async def send(self, sender: str, text: str, metadata: dict[str, Any]) -> list[BotMessage]:
        self.sent.append((sender, text))
        await asyncio.sleep(self.delay)
        if self.down:
            raise RasaUnavailable("Rasa answered 500")
        return list(self.replies.get(text, [BotMessage(text=f"echo: {text}")]))

    @property
    def texts(self) -> list[str]:
        return [text for _, text in self.sent]


class Certificates:
    """The one certificate the record store knows."""

    def certificate(self, code: str) -> Certificate | None:
        if code != "ABCDE23456":
            return None
        issued = datetime(2025, 1, 2, tzinfo=UTC)
        return Certificate(code, "l1", "demo", "Asha Rao", "Demo course", issued)


@dataclass
class Bot:
    """A channel under test, its fakes and its stores."""

    fake: FakeTelegram
    rasa: FakeRasa
    channel: TelegramChannel
    sessions: Sessions
    learners: SqlLearnerRepository
    http: httpx.AsyncClient = field(init=False)
    updates: Updates = field(init=False)

    def __post_init__(self) -> None:
        self.updates = Updates(self.fake)
        app = Starlette(routes=self.channel.routes())
        self.http = httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://gw")

    async def post(self, update: dict[str, Any], secret: str | None = SECRET) -> httpx.Response:
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
        return await self.http.post("/telegram/webhook", json=update, headers=headers)

    async def say(self, update: dict[str, Any], replies: int = 1) -> list[dict[str, Any]]:
        """Post an update and wait for that many more messages; returns their parameters."""
        before = len(self.fake.called("sendMessage"))
        assert (await self.post(update)).status_code == 200
        calls = await self.fake.wait_for("sendMessage", before + replies)
        return [call.params for call in calls[before:]]


@pytest.fixture
def fake() -> Iterator[tuple[FakeTelegram, str]]:
    telegram = FakeTelegram()
    with serve(telegram.app()) as url:
        yield telegram, url


def make_channel(url: str, token: str, sessions: Sessions, rasa: FakeRasa, **config: Any) -> Any:
    learners = SqlLearnerRepository(sessions)
    conversation = Conversation(rasa, learners, CATALOG)  # type: ignore[arg-type]
    settings: dict[str, Any] = {
        "mode": "webhook",
        "webhook_secret": SECRET,
        "typing_delay": 5.0,
    } | config
    channel = TelegramChannel(
        TelegramConfig(token=token, api_url=f"{url}/bot", **settings),
        conversation=conversation,
        inbox=Inbox(sessions),
        buttons=ButtonKeys(sessions),
        invites=Invites(sessions),
        deliveries=Deliveries(sessions),
        records=Certificates(),
    )
    return channel, learners


@pytest.fixture
async def bot(fake: tuple[FakeTelegram, str], sessions: Sessions) -> AsyncIterator[Bot]:
    telegram, url = fake
    rasa = FakeRasa()
    channel, learners = make_channel(url, telegram.token, sessions, rasa)
    await channel.start()
    harness = Bot(telegram, rasa, channel, sessions, learners)
    try:
        yield harness
    finally:
        await harness.http.aclose()
        await channel.stop()
    assert telegram.problems == []  # nothing the real Bot API would have refused


async def test_a_webhook_update_with_the_secret_is_a_turn(bot: Bot) -> None:
    [reply] = await bot.say(bot.updates.text("hello", user(42, "Asha", username="asha")))
    learner = bot.learners.get_by_channel("telegram", "42")
    assert learner is not None and learner.name == "Asha"
    assert bot.rasa.sent == [(learner.id, "hello")]
    assert reply["chat_id"] == 42 and reply["text"] == "echo: hello"
    assert reply["parse_mode"] == "HTML"
    [message_id] = [m for (_, m) in bot.fake.messages]
    delivery = await recorded(bot.sessions, message_id)
    assert delivery.learner_id == learner.id and delivery.kind == "reply"


@pytest.mark.parametrize("secret", [None, "", "wrong", SECRET + "x"])
async def test_a_missing_or_wrong_secret_is_refused_and_changes_nothing(
    bot: Bot, secret: str | None
) -> None:
    update = bot.updates.text("hello")
    assert (await bot.post(update, secret=secret)).status_code == 403
    assert (await bot.post(update, secret=SECRET)).status_code == 200  # not marked as seen
    await bot.fake.wait_for("sendMessage")
    assert bot.rasa.texts == ["hello"]


async def test_oversized_and_malformed_bodies_are_refused(bot: Bot) -> None:
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    big = b'{"update_id": 1, "x": "' + b"a" * 1_100_000 + b'"}'
    too_big = await bot.http.post("/telegram/webhook", content=big, headers=headers)
    broken = await bot.http.post("/telegram/webhook", content=b"{not json", headers=headers)
    assert (too_big.status_code, broken.status_code) == (413, 400)
    assert bot.rasa.sent == []


async def test_a_replayed_update_id_is_processed_once(bot: Bot) -> None:
    update = bot.updates.text("once")
    await bot.say(update)  # answered before the next update, so the counts below are exact
    await bot.say(bot.updates.text("twice?"))
    assert (await bot.post(update)).status_code == 200  # still 200: Telegram must not retry
    await bot.say(bot.updates.text("after"))
    assert bot.rasa.texts == ["once", "twice?", "after"]


async def test_buttons_become_an_inline_keyboard_and_a_tap_is_a_turn(bot: Bot) -> None:
    buttons = (Button("Next ▶", "/next_step"), Button("B) The first appeal", LONG_PAYLOAD))
    bot.rasa.replies["quiz"] = [BotMessage("Which one?", buttons)]
    [reply] = await bot.say(bot.updates.text("quiz"))
    rows = reply["reply_markup"]["inline_keyboard"]
    assert [[b["text"] for b in row] for row in rows] == [["Next ▶"], ["B) The first appeal"]]
    key = rows[1][0]["callback_data"]
    assert rows[0][0]["callback_data"] == "/next_step"
    assert key.startswith("k:") and len(key.encode()) <= 64 < len(LONG_PAYLOAD.encode())
    [after] = await bot.say(bot.updates.tap("B) The first appeal"))
    assert bot.rasa.texts == ["quiz", LONG_PAYLOAD] and after["text"] == f"echo: {LONG_PAYLOAD}"
    [answer] = bot.fake.called("answerCallbackQuery")
    assert answer.params["text"] == en("utter_button_used")
    [edit] = bot.fake.called("editMessageReplyMarkup")
    assert edit.params["reply_markup"]["inline_keyboard"] == [
        [{"text": "✓ B) The first appeal", "callback_data": "✓"}]
    ]
    used = bot.updates.tap("✓ B) The first appeal")  # tapping the used keyboard does nothing
    assert (await bot.post(used)).status_code == 200
    await bot.fake.wait_for("answerCallbackQuery", 2)
    await bot.say(bot.updates.text("end"))
    assert bot.rasa.texts == ["quiz", LONG_PAYLOAD, "end"]


async def test_short_titles_share_a_row(bot: Bot) -> None:
    titles = ["English", "हिन्दी", "தமிழ்"]
    bot.rasa.replies["lang"] = [BotMessage("Pick", tuple(Button(t, f"/x{t}") for t in titles))]
    [reply] = await bot.say(bot.updates.text("lang"))
    rows = reply["reply_markup"]["inline_keyboard"]
    assert [[b["text"] for b in row] for row in rows] == [["English", "हिन्दी"], ["தமிழ்"]]


async def test_an_unknown_button_key_gets_a_note_and_nothing_else(bot: Bot) -> None:
    bot.rasa.replies["quiz"] = [BotMessage("Which one?", (Button("A", "/a"),))]
    await bot.say(bot.updates.text("quiz"))
    tap = bot.updates.tap("A")
    tap["callback_query"]["data"] = "k:neverissuedbythebot"
    assert (await bot.post(tap)).status_code == 200
    [answer] = await bot.fake.wait_for("answerCallbackQuery")
    assert "no longer works" in answer.params["text"]
    await bot.say(bot.updates.text("next"))
    assert bot.rasa.texts == ["quiz", "next"] and not bot.fake.called("editMessageReplyMarkup")


async def test_long_text_is_split_at_sentence_ends_and_escaped(bot: Bot) -> None:
    sentence = "Section 6 says a reply is due in < 30 days & no fee for BPL applicants. "
    text = sentence * 70  # ≈ 5,000 characters
    bot.rasa.replies["long"] = [BotMessage(text, (Button("Next ▶", "/next_step"),))]
    parts = await bot.say(bot.updates.text("long"), replies=2)
    assert "&lt; 30 days &amp; no fee" in parts[0]["text"]  # the fake refuses a bare < or &
    assert "reply_markup" not in parts[0] and "reply_markup" in parts[1]
    shown = [m["text"] for m in bot.fake.messages.values()]  # as the learner sees them
    assert all(len(p) <= 4096 and p.endswith("applicants.") for p in shown)
    assert " ".join(shown) == text.strip()


async def test_a_sticker_gets_the_unsupported_reply_without_a_turn(bot: Bot) -> None:
    [reply] = await bot.say(bot.updates.sticker())
    assert reply["text"] == en("utter_unsupported_message") and bot.rasa.sent == []


async def test_groups_get_the_private_only_reply_when_they_address_the_bot(bot: Bot) -> None:
    for text in ["good morning team", "/help@otherbot"]:  # not for this bot: no answer
        assert (await bot.post(bot.updates.text(text, chat_id=-100))).status_code == 200
    [reply] = await bot.say(bot.updates.text("/help@karmabot_test_bot", chat_id=-100))
    assert reply["chat_id"] == -100 and reply["text"] == en("utter_private_chat_only")
    assert len(bot.fake.called("sendMessage")) == 1  # earlier group updates were done before
    assert bot.rasa.sent == [] and bot.learners.get_by_channel("telegram", "42") is None


async def test_edited_messages_are_ignored(bot: Bot) -> None:
    assert (await bot.post(bot.updates.edited("helo -> hello"))).status_code == 200
    await bot.say(bot.updates.text("next"))
    assert bot.rasa.texts == ["next"]


async def test_commands_map_to_payloads(bot: Bot) -> None:
    for command in [
        "/start",
        "/language",
        "/courses",
        "/progress",
        "/stop",
        "/help@karmabot_test_bot",
    ]:
        await bot.say(bot.updates.text(command))
    assert bot.rasa.texts == [
        "/greet", "/choose_language", "/browse_courses", "/my_progress", "/stop_reminders", "/help"
    ]  # fmt: skip


async def test_start_with_an_invite_links_the_roster_learner(bot: Bot) -> None:
    roster = bot.learners.get_or_create("roster", "emp-1", name="Asha Rao")
    code = Invites(bot.sessions).issue(roster.id)
    await bot.say(bot.updates.text("hello"))  # first contact: a learner of its own, cached
    [linked] = await bot.say(bot.updates.text(f"/start {code}"))
    assert linked["text"] == en("utter_invite_linked", name_suffix=", Asha Rao")
    await bot.say(bot.updates.text("my progress"))
    assert bot.rasa.sent[-1] == (roster.id, "my progress")
    [invalid] = await bot.say(bot.updates.text("/start ZZZZ9999", user(7, "Ravi")))
    assert invalid["text"] == en("utter_invite_invalid")


async def test_start_with_a_course_link_enrolls(bot: Bot) -> None:
    await bot.say(bot.updates.text("/start c_rti-for-officials"))
    assert bot.rasa.texts == ['/enroll_course{"course":"rti-for-officials"}']


async def test_a_certificate_goes_as_a_pdf_document(bot: Bot) -> None:
    document = {
        "kind": "certificate",
        "code": "ABCDE23456",
        "filename": "karmabot-certificate-ABCDE23456.pdf",
    }
    bot.rasa.replies["finish"] = [BotMessage("Course complete!", custom={"document": document})]
    await bot.say(bot.updates.text("finish"))
    [sent] = await bot.fake.wait_for("sendDocument")
    name, pdf = sent.files["document"]
    assert name == document["filename"] and pdf.startswith(b"%PDF")
    message_id = max(m for (_, m) in bot.fake.messages)
    assert (await recorded(bot.sessions, message_id)).kind == "certificate"


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")  # PTB's own
async def test_a_429_is_retried_after_retry_after(bot: Bot) -> None:
    bot.fake.throttle("sendMessage", retry_after=1)
    started = time.monotonic()
    [reply] = await bot.say(bot.updates.text("hello"))
    assert reply["text"] == "echo: hello" and len(bot.fake.throttled) == 1
    assert time.monotonic() - started >= 1.0


async def test_a_failing_turn_gets_the_error_reply_and_a_200(bot: Bot) -> None:
    bot.rasa.down = True
    [reply] = await bot.say(bot.updates.text("hello"))
    assert reply["text"] == en("utter_error")


async def test_one_chat_is_served_in_order_and_other_chats_meanwhile(bot: Bot) -> None:
    bot.rasa.delay = 0.2
    for text in ["one", "two", "three"]:
        assert (await bot.post(bot.updates.text(text))).status_code == 200
    assert (await bot.post(bot.updates.text("other", user(7, "Ravi")))).status_code == 200
    calls = await bot.fake.wait_for("sendMessage", 4)
    assert [c.params["text"] for c in calls if c.params["chat_id"] == 42] == [
        "echo: one", "echo: two", "echo: three"
    ]  # fmt: skip
    assert calls[-1].params["chat_id"] == 42  # Ravi did not wait for Asha's three turns


async def test_commands_are_registered_per_language_and_the_webhook_on_demand(bot: Bot) -> None:
    languages = {"", "hi", "ta", "bn"}
    assert set(bot.fake.commands) == {("all_private_chats", code) for code in languages}
    hindi = {c["command"]: c["description"] for c in bot.fake.commands[("all_private_chats", "hi")]}
    assert hindi["progress"].startswith("मेरी प्रगति") and bot.fake.webhook == {}
    await bot.channel.set_webhook("https://karmabot.example.org/telegram/webhook")
    assert bot.fake.webhook["secret_token"] == SECRET
    assert bot.fake.webhook["allowed_updates"] == ["message", "callback_query"]
    with pytest.raises(BadRequest):
        await bot.channel.set_webhook("http://karmabot.example.org/telegram/webhook")
    bot.fake.problems.clear()


async def test_typing_is_shown_while_a_slow_turn_runs(
    fake: tuple[FakeTelegram, str], sessions: Sessions
) -> None:
    telegram, url = fake
    rasa = FakeRasa()
    rasa.delay = 0.3
    channel, _ = make_channel(url, telegram.token, sessions, rasa, typing_delay=0.05)
    await channel.start()
    harness = Bot(telegram, rasa, channel, sessions, SqlLearnerRepository(sessions))
    try:
        await harness.say(harness.updates.text("what is RTI?"))
        [typing] = telegram.called("sendChatAction")
        assert typing.params == {"chat_id": 42, "action": "typing"}
    finally:
        await channel.stop()


async def test_polling_receives_updates_through_get_updates(
    fake: tuple[FakeTelegram, str], sessions: Sessions
) -> None:
    telegram, url = fake
    rasa = FakeRasa()
    channel, _ = make_channel(url, telegram.token, sessions, rasa, mode="polling", poll_timeout=1)
    assert channel.routes() == []
    await channel.start()
    try:
        telegram.push(Updates(telegram).text("hello by polling"))
        [reply] = await telegram.wait_for("sendMessage")
        assert reply.params["text"] == "echo: hello by polling"
        assert telegram.called("deleteWebhook")  # polling clears any webhook first
    finally:
        await channel.stop()
    assert telegram.called("getUpdates")[-1].params["offset"] > 1000  # the update confirmed
    assert rasa.texts == ["hello by polling"] and telegram.problems == []


def test_config_refuses_a_webhook_without_a_secret_and_hides_secrets() -> None:
    with pytest.raises(ValueError, match="secret"):
        TelegramConfig(token="1:t", mode="webhook")
    with pytest.raises(ValueError, match="secret"):
        TelegramConfig(token="1:t", webhook_secret="has spaces")
    config = TelegramConfig(token="1:t", webhook_secret=SECRET)
    assert "1:t" not in repr(config) and SECRET not in repr(config)
    assert TelegramConfig(token="1:t", api_url="http://x/bot").file_url == "http://x/file/bot"


async def test_an_unreachable_api_leaves_the_gateway_up_and_a_bad_token_unlogged(
    fake: tuple[FakeTelegram, str], sessions: Sessions, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="connectors")
    telegram, url = fake
    down, _ = make_channel(f"http://127.0.0.1:{free_port()}", telegram.token, sessions, FakeRasa())
    await down.start()  # refused at once: retried in the background, not raised
    try:
        harness = Bot(telegram, FakeRasa(), down, sessions, SqlLearnerRepository(sessions))
        assert not down.live and (await harness.post(harness.updates.text("hi"))).status_code == 503
    finally:
        await down.stop()
    rejected, _ = make_channel(url, "999:wrong-token", sessions, FakeRasa())
    await rejected.start()
    await rejected.stop()
    ours = " ".join(r.getMessage() for r in caplog.records if r.name.startswith("connectors"))
    assert not rejected.live and "Telegram rejected the bot token" in ours
    assert "wrong-token" not in ours


async def test_the_fake_refuses_what_the_bot_api_refuses(bot: Bot) -> None:
    api = bot.channel.app.bot
    with pytest.raises(BadRequest, match=r"(?i)too long"):
        await api.send_message(42, "x" * 4097)
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await api.send_message(42, "a < b & c", parse_mode="HTML")
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="/" + "a" * 64)]])
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await api.send_message(42, "pick", reply_markup=too_long)
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="/a")]])
    sent = await api.send_message(42, "pick", reply_markup=markup)
    edited = await api.edit_message_text("picked", chat_id=42, message_id=sent.message_id)
    assert isinstance(edited, Message) and edited.text == "picked"
    await api.edit_message_reply_markup(chat_id=42, message_id=sent.message_id, reply_markup=markup)
    with pytest.raises(BadRequest, match=r"(?i)not modified"):
        await api.edit_message_reply_markup(42, sent.message_id, reply_markup=markup)
    assert len(bot.fake.problems) == 4
    bot.fake.problems.clear()
