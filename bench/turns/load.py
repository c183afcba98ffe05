"""Load generators: closed loop for capacity, open loop with Poisson arrivals for latency."""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import aiohttp

from bench.turns import cpu
from bench.turns.scripts import Learner, Script
from bench.turns.stats import Outcome, Summary, summarize

Kind = Literal["gateway", "rest"]
#: Pause after a failed turn, so a learner does not spin on a refused connection.
ERROR_PAUSE_S = 0.05
PROGRESS_EVERY_S = 10.0


@dataclass(frozen=True)
class Target:
    """Where turns go and how they are spelled.

    Attributes:
        label: Human-readable name, e.g. ``Karmabot (embedded) via gateway``.
        url: Full URL of the chat endpoint.
        kind: ``gateway`` (``POST /chat/api``) or ``rest`` (Rasa's REST webhook).
        scripts: Conversations for the capacity measurement.
        latency_scripts: Conversations for the latency measurement.
        processes: Root process id of each part of the system, for CPU time per turn.
    """

    label: str
    url: str
    kind: Kind
    scripts: tuple[Script, ...]
    latency_scripts: tuple[Script, ...]
    processes: dict[str, int] = field(default_factory=dict)

    def body(self, sender: str, text: str) -> dict[str, Any]:
        """The JSON body of one turn."""
        if self.kind == "gateway":
            return {"user": sender, "text": text}
        return {"sender": sender, "message": text}

    def check(self, status: int, body: bytes) -> tuple[str | None, bool]:
        """(error kind or None, whether the reply had no message) for one response."""
        if status != 200:
            return f"http {status}", False
        try:
            data = json.loads(body)
        except ValueError:
            return "bad json", False
        messages = data.get("messages") if isinstance(data, dict) else data
        if not isinstance(messages, list):
            return "bad body", False
        return None, not messages


async def one_turn(
    client: aiohttp.ClientSession, target: Target, sender: str, text: str, start: float
) -> Outcome:
    """Send one turn; never raises, errors become the outcome's `error`."""
    error: str | None
    empty = False
    try:
        async with client.post(target.url, json=target.body(sender, text)) as response:
            error, empty = target.check(response.status, await response.read())
    except TimeoutError:
        error = "timeout"
    except aiohttp.ClientError as exc:
        error = type(exc).__name__
    return Outcome(start, time.perf_counter(), error, empty)


def make_client(timeout: float, connections: int) -> aiohttp.ClientSession:
    """An HTTP client with a per-request timeout and a pool sized for the load.

    aiohttp rather than httpx: the load generator shares the cores with the system under
    test, and aiohttp's client uses about a quarter of httpx's CPU time per request.
    """
    connector = aiohttp.TCPConnector(limit=connections, limit_per_host=connections)
    return aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout), connector=connector)


async def _progress(outcomes: list[Outcome], started: float) -> None:
    """Print a line every few seconds while a measurement runs."""
    while True:
        await asyncio.sleep(PROGRESS_EVERY_S)
        errors = sum(1 for o in outcomes if o.error)
        elapsed = time.perf_counter() - started
        print(f"      … {elapsed:4.0f} s  {len(outcomes)} turns, {errors} errors", flush=True)


async def _cpu_window(processes: dict[str, int], lo: float, hi: float) -> list[dict[str, float]]:
    """CPU snapshots at the start and the end of the measured window."""
    snapshots = []
    for moment in (lo, hi):
        await asyncio.sleep(max(0.0, moment - time.perf_counter()))
        snapshots.append(cpu.snapshot(processes))
    return snapshots


def _summary(
    outcomes: Sequence[Outcome],
    window: tuple[float, float],
    by: str,
    cpu_snapshots: list[dict[str, float]],
) -> Summary:
    """Summarise the window; add CPU ms per successful turn."""
    lo, hi = window
    summary = summarize(_in_window(outcomes, lo, hi, by), hi - lo)
    before, after = cpu_snapshots
    summary.cpu_ms = cpu.per_turn_ms(before, after, summary.turns)
    return summary


def _in_window(outcomes: Sequence[Outcome], lo: float, hi: float, by: str) -> list[Outcome]:
    return [o for o in outcomes if lo <= getattr(o, by) <= hi]


async def capacity(
    target: Target,
    learners: int,
    warmup_s: float,
    window_s: float,
    timeout_s: float,
    seed: int,
    turns_per_sender: int = 6,
) -> Summary:
    """Closed loop: each learner sends its next turn as soon as the reply arrives.

    Counts the turns that complete inside ``[warmup, warmup + window]``.
    """
    rng = random.Random(seed)
    run_id = f"cap{seed}{rng.getrandbits(24):06x}"
    outcomes: list[Outcome] = []
    started = time.perf_counter()
    lo, hi = started + warmup_s, started + warmup_s + window_s

    async def learner(index: int, client: aiohttp.ClientSession) -> None:
        person = Learner(
            target.scripts, random.Random(rng.random()), f"{run_id}l{index}", turns_per_sender
        )
        while time.perf_counter() < hi:
            sender, text = person.next_turn()
            outcome = await one_turn(client, target, sender, text, time.perf_counter())
            outcomes.append(outcome)
            if outcome.error:
                await asyncio.sleep(ERROR_PAUSE_S)

    ticker = asyncio.create_task(_progress(outcomes, started))
    meter = asyncio.create_task(_cpu_window(target.processes, lo, hi))
    try:
        async with make_client(timeout_s, learners + 4) as client:
            await asyncio.gather(*(learner(i, client) for i in range(learners)))
        snapshots = await meter
    finally:
        ticker.cancel()
        meter.cancel()
    return _summary(outcomes, (lo, hi), "end", snapshots)


async def open_loop(
    target: Target,
    rate: float,
    warmup_s: float,
    window_s: float,
    timeout_s: float,
    seed: int,
    turns_per_sender: int = 6,
) -> Summary:
    """Open loop: turns arrive as a Poisson process at `rate` per second, whatever the replies.

    Latency runs from each turn's scheduled arrival, so a lagging generator cannot hide queueing.
    Learners are taken from an idle pool (a new one when all are busy), so no learner has two
    turns in flight. Counts the turns scheduled inside ``[warmup, warmup + window]``.
    """
    rng = random.Random(seed)
    run_id = f"lat{seed}{rng.getrandbits(24):06x}"
    idle: deque[Learner] = deque()
    outcomes: list[Outcome] = []
    tasks: set[asyncio.Task[None]] = set()
    started = time.perf_counter()
    lo, hi = started + warmup_s, started + warmup_s + window_s

    async def fire(person: Learner, due: float, client: aiohttp.ClientSession) -> None:
        sender, text = person.next_turn()
        outcomes.append(await one_turn(client, target, sender, text, due))
        idle.append(person)

    ticker = asyncio.create_task(_progress(outcomes, started))
    meter = asyncio.create_task(_cpu_window(target.processes, lo, hi))
    try:
        async with make_client(timeout_s, 256) as client:
            due, count = started, 0
            while (due := due + rng.expovariate(rate)) < hi:
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
                if not idle:
                    count += 1
                    person = Learner(
                        target.latency_scripts,
                        random.Random(rng.random()),
                        f"{run_id}l{count}",
                        turns_per_sender,
                    )
                    idle.append(person)
                task = asyncio.create_task(fire(idle.popleft(), due, client))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            await asyncio.gather(*tasks)
        snapshots = await meter
    finally:
        ticker.cancel()
        meter.cancel()
    return _summary(outcomes, (lo, hi), "start", snapshots)
