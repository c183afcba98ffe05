"""`python -m bench.turns.history`: how a turn's cost grows with one learner's history.

One sender per curve makes turns back to back. At each checkpoint (after 10, 100, 300, 600
and 1,000 earlier turns by default) a batch of turns is timed alone; in between, all curves are
fast-forwarded at once with untimed turns. Two shapes of history per system and path: one
session, and the same turns spread over `--sessions` sessions (``/session_start`` before every
few turns, as a returning learner's channel would send it). Systems: stock Rasa (`rasa init`)
and Karmabot in each profile, on Rasa's REST webhook and through the gateway. See
bench/README.md ("bench.turns.history").
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import shlex
import signal
import sqlite3
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager, closing
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from bench.doc import write_section
from bench.turns import cpu, runner, scripts
from bench.turns.checks import scan_logs
from bench.turns.history_plan import (
    LOAD_GENERATOR,
    Curve,
    HistoryOptions,
    Point,
    parse,
    segment_s,
    sessions_before,
    starts_session,
)
from bench.turns.history_report import render, verdicts
from bench.turns.load import Kind, Target, make_client, one_turn
from bench.turns.machine import describe
from bench.turns.options import Options
from bench.turns.stats import Outcome, summarize
from bench.turns.systems import (
    BenchError,
    Karmabot,
    StockRasa,
    karmabot,
    redis_problem,
    stock_model,
)
from bot.stack import MODEL_PATH, StackError

SESSION_START = "/session_start"
#: The gateway's per-learner flood guard is a policy, not a cost: raised for the run.
FLOOD_LIMIT = "100000/second"
MAX_ERRORS_IN_A_ROW = 20
STOCK_SESSIONS = (
    "Rasa 3.6's in-memory tracker store (stock) reads back only the latest session and saves "
    "what it read, so earlier sessions are dropped: its tracker never holds more than one."
)
PROGRESS_EVERY_S = 15.0
#: Stock's curves must be done by this share of the time cap; the rest is Karmabot's.
STOCK_SHARE = 0.75


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
            lane.stop("the time cap (`--time-cap`) ran out while it was fast-forwarding")
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
    """Whether the lane drives the stock baseline (which yields to Karmabot near the cap)."""
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

    Costs are extrapolated from each curve's last two batches; the curves fast-forward
    together, so the wall time is their work spread over the cores, or this curve's own.
    Karmabot's curves leave stock's out: those stop earlier (`STOCK_SHARE` of the cap).
    """
    if past_stock_max(lane, checkpoint, options):
        return f"stock's one-session curve ends at {options.stock_max:,} turns (`--stock-max`)"
    own = remaining_s(lane, options, checkpoint)
    rivals = [o for o in lanes if o is not lane and (is_stock(lane) or not is_stock(o))]
    others = sum(remaining_s(other, options) for other in rivals)
    need = max(own, (own + others) / (os.cpu_count() or 1))
    left = lane.deadline - time.monotonic()
    if need > left:
        return (
            f"reaching {checkpoint:,} turns would take ~{need:.0f} s, and the time cap "
            f"(`--time-cap`) left {max(0.0, left):.0f} s"
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
                share = STOCK_SHARE if is_stock(lane) else 1.0
                lane.deadline = started + share * options.time_cap_s
            await asyncio.gather(*(run_lane(lane, options, quiet, lanes) for lane in lanes))
        finally:
            ticker.cancel()


def build_lanes(bench: runner.Bench, options: HistoryOptions) -> list[Lane]:
    """Two lanes (one session, spread) per system and path; stock on its webhook only."""
    assert bench.stock.process is not None
    me = {LOAD_GENERATOR: cpu.SELF}
    stock_pids = {"rasa": bench.stock.process.pid} | me
    targets = [("stock", Target("stock", bench.stock.webhook, "rest", (), (), stock_pids))]
    for bot in bench.bots:
        for path in options.paths:
            kind: Kind = "gateway" if path == "gateway" else "rest"
            url = bot.chat_api if kind == "gateway" else bot.webhook
            targets.append((bot.profile, Target(bot.profile, url, kind, (), (), bot.pids | me)))
    run = time.strftime("%H%M%S")
    lanes = []
    for system, target in targets:
        mix = scripts.STOCK if system == "stock" else scripts.KARMABOT_LATENCY
        for shape, length in (("session", None), ("sessions", options.session_length)):
            lanes.append(
                Lane(
                    Curve(system, shape, target.kind),
                    target,
                    f"history{run}-{system}-{shape}-{target.kind}",
                    tuple(text for script in mix for text in script),
                    length,
                )
            )
    return lanes


def tracker_sessions(lane: Lane, bench: runner.Bench, redis_url: str) -> int | None:
    """``session_started`` events in the lane's stored tracker (None: stock's in-memory store)."""
    bot = next((b for b in bench.bots if b.profile == lane.curve.system), None)
    if bot is None:
        return None
    sender = lane.sender if lane.curve.path == "rest" else _learner_id(bot, lane.sender)
    if bot.redis_prefix:
        return _redis_sessions(redis_url, f"{bot.redis_prefix}:tracker:{sender}")
    db = bot.settings.resolved_data_dir / "tracker.db"
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        query = "SELECT COUNT(*) FROM events WHERE sender_id = ? AND type_name = ?"
        return int(conn.execute(query, (sender, "session_started")).fetchone()[0])


def _redis_sessions(redis_url: str, key: str) -> int:
    """``session_started`` events under `key`: a list of events (bot/rasa_tracker_store.py)
    at ``<key>:events``, or Rasa's own layout, one JSON document at `key`."""
    import redis

    client = redis.Redis.from_url(redis_url)
    items = client.lrange(f"{key}:events", 0, -1)
    if items:
        events = [json.loads(item) for item in items]
    else:
        raw = client.get(key)
        events = json.loads(raw)["events"] if raw else []
    return sum(1 for event in events if event.get("event") == "session_started")


def _learner_id(bot: Karmabot, user: str) -> str:
    """The Rasa sender of a gateway user: the learner id it resolves to (D1)."""
    from bot.container import Container

    learner = Container(bot.settings).learners.get_by_channel("web", user)
    return learner.id if learner else user


def check_sessions(lanes: list[Lane], bench: runner.Bench, redis_url: str) -> None:
    """Note, per lane, whether its tracker holds as many sessions as were started."""
    for lane in lanes:
        expected = 1 + lane.session_starts
        try:
            found = tracker_sessions(lane, bench, redis_url)
        except Exception as exc:  # a check must not lose the figures
            lane.curve.notes.append(f"Session check failed: {exc}.")
            continue
        if found is None:
            if lane.curve.shape == "sessions":
                lane.curve.notes.append(STOCK_SESSIONS)
            continue
        ok = "as expected" if found == expected else f"**expected {expected}**"
        events = "event" if found == 1 else "events"
        lane.curve.notes.append(f"Its tracker holds {found} `session_started` {events} ({ok}).")


def start(options: HistoryOptions, run_dir: Path) -> tuple[runner.Bench, list[Karmabot]]:
    """The systems, unstarted: stock Rasa, and Karmabot per profile (scale if Redis answers)."""
    turns = Options(profiles=options.profiles, workers=options.workers,
                    redis_url=options.redis_url)  # fmt: skip
    bench = runner.Bench(turns, StockRasa(stock_model()))
    bots = []
    for profile in options.profiles:
        if profile == "scale" and (problem := redis_problem(options.redis_url)):
            bench.notes.append(f"The scale profile was not measured: {problem}.")
            print(f"  skipping the scale profile: {problem}", flush=True)
            continue
        bot = karmabot(
            profile, run_dir, options.redis_url, options.workers, flood_limit=FLOOD_LIMIT
        )
        bots.append(bot)
    return bench, bots


def header(argv: list[str], minutes: float) -> str:
    """The section's first line: command, machine, duration."""
    m = describe()
    command = " ".join(["python -m bench.turns.history", *map(shlex.quote, argv)])
    return (
        f"Command: `{command}`. Machine: {m.cpu}, {m.cores} cores, {m.ram_gib:.0f} GiB; "
        f"Rasa {m.rasa}; {m.date}; the run took {minutes:.1f} min."
    )


def execute(options: HistoryOptions, argv: list[str]) -> list[Curve]:
    """Start, drive every curve, stop and clean up; write the report section."""
    began = time.monotonic()
    run_dir = runner.new_run_dir()
    bench, bots = start(options, run_dir)
    lanes: list[Lane] = []
    try:
        runner.start_all(bench, bots, run_dir)
        lanes = build_lanes(bench, options)
        asyncio.run(drive(lanes, options))
        check_sessions(lanes, bench, options.redis_url)
    finally:
        print("  stopping …", flush=True)
        runner.stop_all(bench, bots)
        scan_logs(bench, runner.log_dirs(bench, run_dir))
    curves = [lane.curve for lane in lanes]
    minutes = (time.monotonic() - began) / 60
    write_section(
        "history", render(curves, options, bench.notes, header(argv, minutes)), options.doc
    )
    print(f"Report: {options.doc} ({minutes:.1f} min)", flush=True)
    return curves


def _terminated(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    """Run the long-history benchmark; 0 on success, 1 when it could not run."""
    args = sys.argv[1:] if argv is None else argv
    options = parse(args)
    signal.signal(signal.SIGTERM, _terminated)  # stop the systems and delete keys on SIGTERM too
    if not MODEL_PATH.exists():
        print(f"No Karmabot model at {MODEL_PATH}: run `make model` first.", file=sys.stderr)
        return 1
    try:
        curves = execute(options, args)
    except (BenchError, StackError) as exc:
        print(f"bench.turns.history: {exc}", file=sys.stderr)
        return 1
    print("\n" + "\n".join(verdicts(curves)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
