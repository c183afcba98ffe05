"""Driving the curves of `bench.turns.history`: lanes, fast-forwarding, timed batches, caps.

Every curve (a *lane*: one sender on one endpoint) goes checkpoint by checkpoint at its own
pace; a timed batch runs alone (`Quiet` holds every untimed turn meanwhile).
"""

from __future__ import annotations

import asyncio
import math
import os
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field

import aiohttp

from bench.turns import cpu
from bench.turns.history_plan import (
    Curve,
    HistoryOptions,
    Point,
    segment_s,
    sessions_before,
    starts_session,
)
from bench.turns.load import Target, make_client, one_turn
from bench.turns.stats import Outcome, summarize

SESSION_START = "/session_start"
MAX_ERRORS_IN_A_ROW = 20
PROGRESS_EVERY_S = 15.0


@dataclass
class Lane:
    """One curve being driven: where its turns go, who sends them, how far it has got."""

    curve: Curve
    target: Target
    sender: str
    texts: tuple[str, ...]
    session_length: int | None
    turns: int = 0
    session_starts: int = 0
    stopped: bool = False
    done: bool = False
    deadline: float = math.inf
    client: aiohttp.ClientSession | None = field(default=None, repr=False)

    async def send(self, text: str) -> Outcome:
        """One message from this lane's sender."""
        assert self.client is not None
        return await one_turn(self.client, self.target, self.sender, text, time.perf_counter())

    async def open_session(self) -> None:
        """Send ``/session_start`` (untimed) when the next turn opens a session."""
        if starts_session(self.turns, self.session_length):
            await self.send(SESSION_START)
            self.session_starts += 1

    def stop(self, why: str) -> None:
        """Measure no more checkpoints on this lane, and say why in the report."""
        self.stopped = True
        note = f"Stopped after {self.turns:,} turns: {why}."
        self.curve.notes.append(note)
        print(f"    {self.curve.key}: {note}", flush=True)


class Quiet:
    """Untimed turns run freely; a timed batch waits for those in flight and holds the rest."""

    def __init__(self) -> None:
        self._open = asyncio.Event()
        self._open.set()
        self._drained = asyncio.Event()
        self._drained.set()
        self._in_flight = 0
        self._timing = asyncio.Lock()

    @asynccontextmanager
    async def untimed(self) -> AsyncIterator[None]:
        """Around one untimed turn: waits while a batch is timed."""
        await self._open.wait()
        self._in_flight += 1
        self._drained.clear()
        try:
            yield
        finally:
            self._in_flight -= 1
            if not self._in_flight:
                self._drained.set()

    @asynccontextmanager
    async def timed(self) -> AsyncIterator[None]:
        """Around one timed batch: alone, once the untimed turns in flight have finished."""
        async with self._timing:
            self._open.clear()
            await self._drained.wait()
            try:
                yield
            finally:
                self._open.set()


async def fill(lane: Lane, to: int, quiet: Quiet) -> None:
    """Untimed turns until the sender has made `to`; a lane still at it by its deadline stops."""
    started, in_a_row, index = time.monotonic(), 0, 0
    while lane.turns < to and not lane.stopped:
        async with quiet.untimed():
            await lane.open_session()
            outcome = await lane.send(lane.texts[index % len(lane.texts)])
        lane.turns, index = lane.turns + 1, index + 1
        in_a_row = in_a_row + 1 if outcome.error else 0
        lane.curve.errors += outcome.error is not None
        if in_a_row >= MAX_ERRORS_IN_A_ROW:
            lane.stop(f"{in_a_row} errors in a row (last: {outcome.error})")
        elif time.monotonic() > lane.deadline:
            cap = "`--stock-cap`" if is_stock(lane) else "`--time-cap`, a safety net"
            lane.stop(f"the time cap ({cap}) ran out while it was fast-forwarding")
    lane.curve.fill_turns += index
    lane.curve.fill_s += time.monotonic() - started


async def measure(lane: Lane, batch: int) -> Point:
    """Time `batch` turns; CPU per turn is read around each timed turn only."""
    history, sessions = lane.turns, sessions_before(lane.turns, lane.session_length)
    outcomes: list[Outcome] = []
    used: Counter[str] = Counter()
    for index in range(batch):
        await lane.open_session()
        before = cpu.snapshot(lane.target.processes)
        outcomes.append(await lane.send(lane.texts[index % len(lane.texts)]))
        after = cpu.snapshot(lane.target.processes)
        used.update({name: after[name] - before[name] for name in before})
        lane.turns += 1
    summary = summarize(outcomes, sum(o.latency for o in outcomes if o.error is None))
    if summary.turns:
        summary.cpu_ms = {name: s * 1000 / summary.turns for name, s in used.items()}
    return Point(history, sessions, summary)


def is_stock(lane: Lane) -> bool:
    """Whether the lane drives the stock baseline (held to `--stock-cap`)."""
    return lane.curve.system == "stock"


def past_stock_max(lane: Lane, checkpoint: int, options: HistoryOptions) -> bool:
    """Whether `checkpoint` lies beyond the end of stock's one-session curve."""
    return is_stock(lane) and lane.session_length is None and checkpoint > options.stock_max


def remaining_s(lane: Lane, options: HistoryOptions, checkpoint: int | None = None) -> float:
    """Seconds alone the lane needs to reach its next checkpoint (or `checkpoint`) and time it."""
    ahead = [c for c in options.checkpoints if c >= lane.turns]
    target = checkpoint or (ahead[0] if ahead else None)
    if target is None or lane.stopped or lane.done or past_stock_max(lane, target, options):
        return 0.0
    return segment_s(lane.curve.points, lane.turns, target, options.batch)


def too_long(lane: Lane, checkpoint: int, options: HistoryOptions, lanes: list[Lane]) -> str | None:
    """Why the lane should stop before `checkpoint` (None when it goes on).

    Karmabot's curves always go on (the target); stock's stop at `--stock-max` turns (one
    session) or when their next checkpoint would not fit in `--stock-cap`: costs extrapolated
    from each curve's last two batches, all curves sharing the cores.
    """
    if past_stock_max(lane, checkpoint, options):
        return f"stock's one-session curve ends at {options.stock_max:,} turns (`--stock-max`)"
    if not is_stock(lane):
        return None
    own = remaining_s(lane, options, checkpoint)
    others = sum(remaining_s(other, options) for other in lanes if other is not lane)
    need = max(own, (own + others) / (os.cpu_count() or 1))
    left = lane.deadline - time.monotonic()
    if need > left:
        return (
            f"reaching {checkpoint:,} turns would take ~{need:.0f} s, and stock's time cap "
            f"(`--stock-cap`) left {max(0.0, left):.0f} s"
        )
    return None


async def run_lane(lane: Lane, options: HistoryOptions, quiet: Quiet, lanes: list[Lane]) -> None:
    """One curve, checkpoint by checkpoint: fast-forward, then time a batch alone."""
    for checkpoint in options.checkpoints:
        if why := too_long(lane, checkpoint, options, lanes):
            lane.stop(why)
        if lane.stopped:
            return
        await fill(lane, checkpoint, quiet)
        if lane.stopped:
            return
        async with quiet.timed():
            point = await measure(lane, options.batch)
        lane.curve.points.append(point)
        s = point.summary
        print(
            f"    {lane.curve.key:26} after {point.history:5}: p50 {s.p50_ms:6.0f} ms "
            f"{s.throughput:5.1f} turns/s, Rasa CPU {s.cpu_ms.get('rasa', 0.0):5.1f} ms/turn, "
            f"errors {s.errors}",
            flush=True,
        )
    lane.done = True


async def _progress(lanes: list[Lane], started: float) -> None:
    while True:
        await asyncio.sleep(PROGRESS_EVERY_S)
        going = [f"{ln.curve.key} {ln.turns}" for ln in lanes if not (ln.stopped or ln.done)]
        done = ", ".join(going)
        print(f"      … {time.monotonic() - started:4.0f} s: {done}", flush=True)


async def drive(lanes: list[Lane], options: HistoryOptions) -> None:
    """Every curve at its own pace; timed batches one at a time, with the others held."""
    quiet = Quiet()
    async with AsyncExitStack() as stack:
        for lane in lanes:
            lane.client = await stack.enter_async_context(make_client(options.timeout_s, 2))
        started = time.monotonic()
        ticker = asyncio.create_task(_progress(lanes, started))
        try:
            for lane in lanes:
                cap = options.stock_cap_s if is_stock(lane) else options.time_cap_s
                lane.deadline = started + cap
            await asyncio.gather(*(run_lane(lane, options, quiet, lanes) for lane in lanes))
        finally:
            ticker.cancel()
