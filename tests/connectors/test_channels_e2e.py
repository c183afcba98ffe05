"""Telegram and WhatsApp end to end: a roster learner links, enrolls, finishes lessons, passes
the quizzes and gets the certificate as a document, through the real gateway, Rasa and action
server; the platforms are local fakes, and the tests assert on what the fakes received."""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.i18n import get_catalog
from learning.db import make_engine, session_factory
from learning.records import RecordStore
from learning.repository import SqlLearnerRepository
from tests.connectors.conftest import (
    KARMABOT,
    TELEGRAM_SECRET,
    WHATSAPP_SECRET,
    RunningStack,
    interrupt,
    start_stack,
)
from tests.connectors.test_course_e2e import RIGHT
from tests.fakes.server import serve
from tests.fakes.telegram import FakeTelegram
from tests.fakes.telegram_updates import Updates, user
from tests.fakes.whatsapp import FakeGraph, Meta, media, tap, text

pytestmark = pytest.mark.stack

ROSTER = (
    "name,phone,telegram,organisation,role,supervisor,language\n"
    "Asha Rao,9876500011,7001,Revenue Department,Tehsildar,,en\n"
    "Ravi Kumar,9876500022,,Revenue Department,Clerk,,en\n"
)
ASHA_WA, RAVI_WA = "919876500011", "919876500022"


@pytest.fixture(scope="module")
def roster(running_stack: RunningStack, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The roster imported into the running stack's learner store."""
    path = tmp_path_factory.mktemp("roster") / "roster.csv"
    path.write_text(ROSTER, encoding="utf-8")
    env = os.environ | {"KARMABOT_DATA_DIR": str(running_stack.data_dir)}
    subprocess.run(
        [str(KARMABOT), "learners", "import", str(path)], env=env, check=True, capture_output=True
    )
    return path


def learners(stack: RunningStack) -> SqlLearnerRepository:
    engine = make_engine(f"sqlite:///{stack.data_dir / 'karmabot.db'}")
    return SqlLearnerRepository(session_factory(engine))


def records(stack: RunningStack) -> RecordStore:
    engine = make_engine(f"sqlite:///{stack.data_dir / 'karmabot.db'}")
    return RecordStore(session_factory(engine))


async def settle(
    count: Callable[[], int], before: int, quiet: float = 0.6, limit: float = 30
) -> None:
    """Wait until more than `before` calls arrived and then none for `quiet` seconds."""
    deadline = time.monotonic() + limit
    seen, since = count(), time.monotonic()
    while time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        now = count()
        if now != seen:
            seen, since = now, time.monotonic()
        elif seen > before and time.monotonic() - since >= quiet:
            return
    raise AssertionError(f"no reply within {limit} s ({seen} calls, {before} before)")


# -- Telegram (webhook mode) ------------------------------------------------------------------


class TelegramUser:
    """A Telegram user whose updates Telegram would post to the gateway's webhook."""

    def __init__(self, stack: RunningStack, fake: FakeTelegram, user_id: int) -> None:
        self.url = f"{stack.url}/telegram/webhook"
        self.fake, self.updates = fake, Updates(fake, first_id=user_id * 1000)
        self.sender = user(user_id, "Asha")

    def _sent(self) -> int:
        chat, methods = str(self.sender["id"]), ("sendMessage", "sendDocument")
        return sum(
            1
            for c in self.fake.calls
            if c.method in methods and str(c.params.get("chat_id")) == chat
        )

    async def post(self, update: dict[str, Any], secret: str | None = TELEGRAM_SECRET) -> int:
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
        async with httpx.AsyncClient(timeout=30) as client:
            reply = await client.post(self.url, json=update, headers=headers)
        return reply.status_code

    async def say(self, update: dict[str, Any]) -> list[dict[str, Any]]:
        """Post an update and wait for the bot's replies to this chat."""
        before = self._sent()
        assert await self.post(update) == 200
        await settle(self._sent, before)
        chat = self.sender["id"]
        return [m for (c, _), m in self.fake.messages.items() if c == chat][
            -(self._sent() - before) :
        ]

    async def text(self, words: str) -> list[dict[str, Any]]:
        return await self.say(self.updates.text(words, self.sender))

    async def tap(self, title: str) -> list[dict[str, Any]]:
        return await self.say(self.updates.tap(title, self.sender))


def titles(messages: list[dict[str, Any]]) -> list[str]:
    rows = [m.get("reply_markup", {}).get("inline_keyboard", []) for m in messages]
    return [b["text"] for keyboard in rows for row in keyboard for b in row]


def words(messages: list[dict[str, Any]]) -> str:
    return "\n".join(m.get("text", "") for m in messages)


async def test_a_roster_learner_takes_a_course_on_telegram_and_gets_the_certificate(
    running_stack: RunningStack, telegram_api: tuple[FakeTelegram, str], roster: Path
) -> None:
    fake, _ = telegram_api
    asha = TelegramUser(running_stack, fake, 7001)
    greeting = await asha.text("/start")
    linked = learners(running_stack).get_by_channel("telegram", "7001")
    assert linked is not None and linked.name == "Asha Rao"  # the roster learner, not a new one
    assert "Asha Rao" in words(greeting)
    catalog = await asha.text("/courses")
    assert "Demo course" in titles(catalog)
    messages = await asha.tap("Demo course")
    assert "Lesson 1, part one." in words(messages)
    for _ in range(30):
        if fake.called("sendDocument"):
            break
        question = next((q for q in RIGHT if q in words(messages)), None)
        if question is not None:
            answer = next(t for t in titles(messages) if t.endswith(". " + RIGHT[question]))
            messages = await asha.tap(answer)
        elif "verification code" in words(messages):  # the PDF follows the message
            await fake.wait_for("sendDocument", timeout=30)
        else:
            step = [t for t in titles(messages) if t.startswith(("Next", "Continue"))]
            assert step, f"no Next button in {words(messages)!r} {titles(messages)}"
            messages = await asha.tap(step[0])
    document = fake.called("sendDocument")[-1]
    assert str(document.params["chat_id"]) == "7001"
    name, pdf = document.files["document"]
    assert name.endswith(".pdf") and pdf[:4] == b"%PDF"
    certificate = records(running_stack).certificates.for_course(linked.id, "demo")
    assert certificate is not None and certificate.learner_name == "Asha Rao"
    assert fake.called("answerCallbackQuery") and fake.called("editMessageReplyMarkup")
    assert not fake.problems


async def test_telegram_rejects_unsigned_updates_and_replays(
    running_stack: RunningStack, telegram_api: tuple[FakeTelegram, str]
) -> None:
    fake, _ = telegram_api
    stranger = TelegramUser(running_stack, fake, 7002)
    update = stranger.updates.text("hello", stranger.sender)
    assert await stranger.post(update, secret=None) == 403
    assert await stranger.post(update, secret="wrong") == 403
    assert learners(running_stack).get_by_channel("telegram", "7002") is None
    first = await stranger.say(update)
    assert first
    calls = len(fake.calls)
    assert await stranger.post(update) == 200  # Telegram retrying the same update_id
    await asyncio.sleep(1.0)
    assert len(fake.calls) == calls


# -- WhatsApp ---------------------------------------------------------------------------------


class WhatsAppUser:
    """A WhatsApp user whose messages Meta would post, signed, to the gateway."""

    def __init__(self, stack: RunningStack, fake: FakeGraph, wa_id: str) -> None:
        self.url = f"{stack.url}/whatsapp/webhook"
        self.fake, self.wa_id, self.meta = fake, wa_id, Meta(WHATSAPP_SECRET)

    async def say(self, item: dict[str, Any]) -> list[dict[str, Any]]:
        before = len(self.fake.to(self.wa_id))
        reply = await self.meta.post(self.url, [item])
        assert reply.status_code == 200
        await settle(lambda: len(self.fake.to(self.wa_id)), before)
        return self.fake.to(self.wa_id)[before:]


def options(messages: list[dict[str, Any]]) -> dict[str, str]:
    """Title → id of every reply button and list row the bot sent."""
    found = {}
    for message in messages:
        action = (message.get("interactive") or {}).get("action") or {}
        for button in action.get("buttons") or []:
            found[button["reply"]["title"]] = button["reply"]["id"]
        for section in action.get("sections") or []:
            for row in section.get("rows") or []:
                found[row.get("description") or row["title"]] = row["id"]
                found[row["title"]] = row["id"]
    return found


def bodies(messages: list[dict[str, Any]]) -> str:
    parts = [(m.get("text") or {}).get("body", "") for m in messages]
    parts += [((m.get("interactive") or {}).get("body") or {}).get("text", "") for m in messages]
    return "\n".join(parts)


async def test_a_roster_learner_takes_a_course_on_whatsapp_and_gets_the_certificate(
    running_stack: RunningStack, graph_api: tuple[FakeGraph, str], roster: Path
) -> None:
    fake, _ = graph_api
    ravi = WhatsAppUser(running_stack, fake, RAVI_WA)
    await ravi.say(text(RAVI_WA, "hello"))
    linked = learners(running_stack).get_by_channel("whatsapp", RAVI_WA)
    assert linked is not None and linked.name == "Ravi Kumar"
    messages = await ravi.say(tap(RAVI_WA, '/enroll_course{"course":"demo"}'))
    assert "Lesson 1, part one." in bodies(messages)
    for _ in range(30):
        if any(m.get("type") == "document" for m in fake.to(RAVI_WA)):
            break
        choices = options(messages)
        question = next((q for q in RIGHT if q in bodies(messages)), None)
        if question is not None:
            answer = next(i for t, i in choices.items() if t.endswith(". " + RIGHT[question]))
            messages = await ravi.say(tap(RAVI_WA, answer, row=answer not in _buttons(messages)))
        else:
            step = next(i for i in choices.values() if i.startswith("/next_step"))
            messages = await ravi.say(tap(RAVI_WA, step, row=step not in _buttons(messages)))
    document = next(m for m in fake.to(RAVI_WA) if m.get("type") == "document")
    assert document["document"]["filename"].endswith(".pdf")
    assert fake.media[document["document"]["id"]]["data"][:4] == b"%PDF"
    assert not [m for m in fake.sent if fake.problems(m)]


def _buttons(messages: list[dict[str, Any]]) -> set[str]:
    found = set()
    for message in messages:
        action = (message.get("interactive") or {}).get("action") or {}
        found |= {b["reply"]["id"] for b in action.get("buttons") or []}
    return found


async def test_whatsapp_refuses_unsigned_webhooks_and_answers_stickers(
    running_stack: RunningStack, graph_api: tuple[FakeGraph, str]
) -> None:
    fake, _ = graph_api
    meta, url = Meta(WHATSAPP_SECRET), f"{running_stack.url}/whatsapp/webhook"
    assert (await meta.post(url, [text("919000000001", "hi")], signature=False)).status_code == 401
    bad = await meta.post(url, [text("919000000001", "hi")], signature="sha256=00")
    assert bad.status_code == 403
    assert learners(running_stack).get_by_channel("whatsapp", "919000000001") is None
    stranger = WhatsAppUser(running_stack, fake, "919000000002")
    replies = await stranger.say(media("919000000002"))
    unsupported = get_catalog().render("utter_unsupported_message", "en")["text"]
    assert bodies(replies).strip() == unsupported


# -- Telegram (polling mode: a token and a laptop) -------------------------------------------


@pytest.fixture(scope="module")
def polling_stack(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[RunningStack, FakeTelegram]]:
    """A second stack whose gateway polls a fake Bot API with getUpdates."""
    fake = FakeTelegram(token="654321:polling-token")
    with serve(fake.app()) as url:
        stack = start_stack(
            tmp_path_factory.mktemp("polling"),
            TELEGRAM_BOT_TOKEN=fake.token,
            KARMABOT_TELEGRAM_MODE="polling",
            KARMABOT_TELEGRAM_API_URL=f"{url}/bot",
        )
        try:
            yield stack, fake
        finally:
            interrupt(stack)


async def test_polling_mode_receives_updates_with_get_updates_and_answers(
    polling_stack: tuple[RunningStack, FakeTelegram],
) -> None:
    stack, fake = polling_stack
    updates = Updates(fake)
    fake.push(updates.text("/help", user(8001, "Meena")))
    await settle(lambda: len(fake.called("sendMessage")), 0)
    reply = fake.called("sendMessage")[0]
    assert str(reply.params["chat_id"]) == "8001"
    assert fake.called("getUpdates") and not fake.called("setWebhook")
    assert learners(stack).get_by_channel("telegram", "8001") is not None
