"""The benchmarks' fake Telegram server (bench/campaigns/fake.py): PTB's own Bot talks to it
over keep-alive connections, it answers and refuses as the tests' fake does, and it counts
each labelled client's messages, arrivals and connections."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from telegram import Bot
from telegram.error import BadRequest, InvalidToken
from telegram.request import HTTPXRequest

from bench.campaigns.fake import FakeServer
from tests.fakes.server import free_port
from tests.fakes.telegram import FakeTelegram

TOKEN = FakeTelegram().token


@pytest.fixture
def fake(tmp_path: Path) -> Iterator[FakeServer]:
    server = FakeServer(free_port(), tmp_path / "fake.log")
    try:
        yield server
    finally:
        server.stop()


def bot(fake: FakeServer, label: str, token: str = TOKEN) -> Bot:
    request = HTTPXRequest(connection_pool_size=4)
    return Bot(token, base_url=f"{fake.url}/{label}/bot", request=request)


async def send(fake: FakeServer, label: str, chats: range) -> list[int]:
    async with bot(fake, label) as client:
        sent = await asyncio.gather(*(client.send_message(c, f"Namaste {c}") for c in chats))
    return [m.message_id for m in sent]


def test_ptb_sends_through_it_and_each_label_is_counted(fake: FakeServer) -> None:
    ids = asyncio.run(send(fake, "w1", range(100, 140)))
    asyncio.run(send(fake, "w2", range(200, 210)))
    assert len(set(ids)) == 40
    assert fake.count()["sent"] == 50
    stats = fake.stats()
    assert sorted(stats["chats"]) == [*range(100, 140), *range(200, 210)]
    assert {k: len(v) for k, v in stats["arrivals"].items()} == {"w1": 40, "w2": 10}
    assert set(stats["started"]) == {"w1", "w2"}  # getMe, when the Bot started
    assert 1 <= stats["connections"]["w1"] <= 4  # kept alive: at most the pool's size
    fake.reset()
    assert fake.count()["sent"] == 0


def test_it_refuses_as_the_real_api_does(fake: FakeServer) -> None:
    async def refused() -> None:
        async with bot(fake, "w1") as client:
            with pytest.raises(BadRequest):
                await client.send_message(1, "a < b", parse_mode="HTML")
            with pytest.raises(BadRequest):
                await client.send_message(1, "x" * 4097)
        with pytest.raises(InvalidToken):
            async with bot(fake, "w1", token="123:wrong") as wrong:
                await wrong.send_message(1, "hi")

    asyncio.run(refused())
    assert fake.count()["sent"] == 0 and fake.count()["problems"] == 2
    closing = httpx.post(f"{fake.url}/w1/bot{TOKEN}/getMe", headers={"connection": "close"})
    assert closing.status_code == 200 and closing.json()["ok"] is True
