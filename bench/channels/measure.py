"""One stack, four ways in: the same turn through Rasa's REST channel (the baseline), the
gateway's JSON API, a Telegram webhook and a signed WhatsApp webhook; the platforms are the
local fakes from tests/fakes.

Turns are interleaved (one of each path in turn), so every path sees the same conditions. A
channel turn is timed from the webhook POST to the moment the bot's send request reaches the
fake platform. The channels' deliberate pacing (Telegram 30 msg/s, WhatsApp 80 msg/s) and the
per-learner flood guard are raised for the run: they are policies, not overhead.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.turns.systems import karmabot
from tests.fakes.server import serve
from tests.fakes.telegram import FakeTelegram
from tests.fakes.telegram_updates import Updates, user
from tests.fakes.whatsapp import FakeGraph, Meta, text

SECRET, APP_SECRET = "bench-webhook-secret", "bench-app-secret"
#: Senders per path, taking turns: a conversation's tracker (read whole on every turn) stays
#: short, as a learner's does, instead of growing over the whole benchmark.
SENDERS = 20
PATHS = ("Rasa REST (direct)", "gateway JSON API", "Telegram webhook", "WhatsApp webhook")


@dataclass(frozen=True)
class PathFigures:
    """Latency of one path over one run, in milliseconds."""

    path: str
    turns: int
    p50: float
    p95: float


@dataclass(frozen=True)
class ChannelRun:
    """One run: figures per path, and the gateway's memory afterwards (MB)."""

    paths: list[PathFigures]
    rss_mb: float
    peak_mb: float


class Arrivals:
    """Wraps a fake platform's ASGI app: the moment each request arrives, by path ending.

    A channel turn ends when the bot's send request reaches the platform; the fake's own
    handling of it is not the gateway's cost, so it is left out.
    """

    def __init__(self, app: Any, ending: str) -> None:
        self.app, self.ending = app, ending
        self.times: list[float] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"].endswith(self.ending):
            self.times.append(time.perf_counter())
        await self.app(scope, receive, send)

    async def next_after(self, count: int, limit: float = 30.0) -> float:
        """The arrival time of request number `count` + 1 (waiting for it)."""
        deadline = time.monotonic() + limit
        while len(self.times) <= count:
            if time.monotonic() > deadline:
                raise RuntimeError(f"no reply within {limit} s")
            await asyncio.sleep(0.001)
        return self.times[count]


class Paths:
    """One turn down each path, timed from the request to the reply's arrival."""

    def __init__(
        self, stack_url: str, rasa_url: str, telegram: Arrivals, whatsapp: Arrivals
    ) -> None:
        self.gateway, self.rasa = stack_url, rasa_url
        self.telegram, self.whatsapp = telegram, whatsapp
        self.client = httpx.AsyncClient(timeout=60)  # one client: no TLS set-up per request
        self.updates = Updates(FakeTelegram(), first_id=500_000)
        self.meta = Meta(APP_SECRET, client=self.client)

    async def direct(self, message: str, who: int) -> float:
        started = time.perf_counter()
        body = {"sender": f"bench-direct-{who}", "message": message}
        (await self.client.post(f"{self.rasa}/webhooks/rest/webhook", json=body)).raise_for_status()
        return time.perf_counter() - started

    async def api(self, message: str, who: int) -> float:
        started = time.perf_counter()
        body = {"user": f"bench-api-{who}", "text": message}
        (await self.client.post(f"{self.gateway}/chat/api", json=body)).raise_for_status()
        return time.perf_counter() - started

    async def telegram_turn(self, message: str, who: int) -> float:
        before = len(self.telegram.times)
        update = self.updates.text(message, user(9_000_001 + who, "Bench"))
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        started = time.perf_counter()
        url = f"{self.gateway}/telegram/webhook"
        (await self.client.post(url, json=update, headers=headers)).raise_for_status()
        return await self.telegram.next_after(before) - started

    async def whatsapp_turn(self, message: str, who: int) -> float:
        before = len(self.whatsapp.times)
        items = [text(str(919000900001 + who), message)]
        started = time.perf_counter()
        (await self.meta.post(f"{self.gateway}/whatsapp/webhook", items)).raise_for_status()
        return await self.whatsapp.next_after(before) - started

    def all(self) -> list[Callable[[str, int], Awaitable[float]]]:
        return [self.direct, self.api, self.telegram_turn, self.whatsapp_turn]


def _memory(pid: int) -> tuple[float, float]:
    status = Path(f"/proc/{pid}/status").read_text()
    values = {
        line.split(":")[0]: int(line.split()[1]) / 1024
        for line in status.splitlines()
        if line.startswith(("VmRSS", "VmHWM"))
    }
    return values["VmRSS"], values["VmHWM"]


async def _run(paths: Paths, turns: int) -> list[PathFigures]:
    times: dict[str, list[float]] = {name: [] for name in PATHS}
    for turn in range(turns):
        for name, path in zip(PATHS, paths.all(), strict=True):
            times[name].append(await path("/help", turn % SENDERS) * 1000)
    return [
        PathFigures(name, len(v), statistics.median(v), statistics.quantiles(v, n=20)[-1])
        for name, v in times.items()
    ]


def measure(run_dir: Path, runs: int, turns: int) -> list[ChannelRun]:
    """Start the embedded stack with both channels on fakes; `runs` × `turns` per path."""
    telegram, graph = FakeTelegram(), FakeGraph(app_secret=APP_SECRET)
    telegram_in = Arrivals(telegram.app(), "/sendMessage")
    graph_in = Arrivals(graph.app(), "/messages")
    with serve(telegram_in) as telegram_url, serve(graph_in) as graph_url:
        system = karmabot(
            "embedded",
            run_dir,
            "",
            1,
            telegram_bot_token=telegram.token,
            telegram_mode="webhook",
            telegram_webhook_secret=SECRET,
            telegram_api_url=f"{telegram_url}/bot",
            telegram_rate=10_000.0,
            whatsapp_token=graph.token,
            whatsapp_phone_number_id=graph.phone_number_id,
            whatsapp_app_secret=APP_SECRET,
            whatsapp_verify_token="bench",
            whatsapp_api_url=f"{graph_url}/{graph.version}",
            whatsapp_rate=10_000.0,
            flood_limit="100000/second",
        )
        system.stack.start(progress=False)
        try:
            gateway_pid = system.pids["gateway"]
            stack_url = f"http://127.0.0.1:{system.settings.gateway_port}"
            rasa_url = f"http://127.0.0.1:{system.settings.rasa_port}"

            async def all_runs() -> list[ChannelRun]:
                paths = Paths(stack_url, rasa_url, telegram_in, graph_in)
                await _run(paths, SENDERS)  # warm-up: connections, caches, the learners
                results = []
                for _ in range(runs):
                    figures = await _run(paths, turns)
                    results.append(ChannelRun(figures, *_memory(gateway_pid)))
                await paths.client.aclose()
                return results

            return asyncio.run(all_runs())
        finally:
            system.stack.stop()
