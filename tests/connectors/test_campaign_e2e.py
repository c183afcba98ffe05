"""A supervisor's campaign end to end on Telegram, through the real gateway, Rasa, action server
and worker: the supervisor opens the team menu, previews and sends a reminder for a mandatory
course; the worker delivers it to the team member's chat, and the member's Continue button,
tapped later, opens the course. A plain learner asking for the menu is refused."""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from learning.campaign_models import AuditRow, SendRow
from learning.db import make_engine, session_factory
from tests.connectors.conftest import KARMABOT, RunningStack
from tests.connectors.test_channels_e2e import TelegramUser, titles, words
from tests.fakes.telegram import FakeTelegram

pytestmark = pytest.mark.stack

ROSTER = (
    "name,phone,telegram,organisation,parent_organisation,role,language,access\n"
    "Meera Iyer,9876500031,7101,District Training Cell,,Director,en,supervisor\n"
    "Ravi Nair,9876500032,7102,Block Office,District Training Cell,Clerk,en,learner\n"
    "Sunil Rao,9876500033,7103,Other Department,,Clerk,en,learner\n"
)


@pytest.fixture(scope="module")
def team(running_stack: RunningStack, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("team") / "roster.csv"
    path.write_text(ROSTER, encoding="utf-8")
    env = os.environ | {"KARMABOT_DATA_DIR": str(running_stack.data_dir)}
    subprocess.run([str(KARMABOT), "learners", "import", str(path)], env=env, check=True,
                   capture_output=True)  # fmt: skip
    return path


def chat_messages(fake: FakeTelegram, chat: int) -> list[str]:
    return [str(c.params.get("text", "")) for c in fake.called("sendMessage")
            if str(c.params.get("chat_id")) == str(chat)]  # fmt: skip


async def test_a_supervisor_sends_a_course_reminder_from_chat(
    running_stack: RunningStack, telegram_api: tuple[FakeTelegram, str], team: Path
) -> None:
    fake, _ = telegram_api
    meera = TelegramUser(running_stack, fake, 7101)
    menu = await meera.text("/team")
    assert "Your team: 2 learners" in words(menu)  # Meera and Ravi; never Sunil
    course = next(t for t in titles(menu) if t.startswith("Demo"))
    preview = await meera.tap(course)
    assert "Ready to send: 2 learners" in words(preview)
    scheduled = await meera.tap("Send")
    assert "on its way to 2 learners" in words(scheduled)

    deadline = time.monotonic() + 30
    while not any("Demo course" in t for t in chat_messages(fake, 7102)):
        assert time.monotonic() < deadline, "the worker did not deliver the reminder"
        await asyncio.sleep(0.2)
    reminder = next(t for t in chat_messages(fake, 7102) if "Demo course" in t)
    assert "Meera Iyer reminds you to continue" in reminder
    assert chat_messages(fake, 7103) == []  # outside Meera's subtree

    ravi = TelegramUser(running_stack, fake, 7102)
    opened = await ravi.tap("Continue ▶")
    assert "Lesson 1, part one." in words(opened)
    engine = make_engine(f"sqlite:///{running_stack.data_dir / 'karmabot.db'}")
    with session_factory(engine)() as session:
        sends = {r.learner_id: r.status for r in session.scalars(select(SendRow))}
        assert sorted(sends.values()) == ["sent", "sent"]
        actions = [(a.actor.split(":")[0], a.action) for a in session.scalars(select(AuditRow))]
    assert ("chat", "create") in actions and ("chat", "send") in actions
    engine.dispose()


async def test_a_plain_learner_gets_a_polite_refusal(
    running_stack: RunningStack, telegram_api: tuple[FakeTelegram, str], team: Path
) -> None:
    fake, _ = telegram_api
    sunil = TelegramUser(running_stack, fake, 7103)
    refused = await sunil.text("/team")
    assert "Campaigns are for supervisors and administrators" in words(refused)
