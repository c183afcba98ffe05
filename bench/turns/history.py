"""`python -m bench.turns.history`: how a turn's cost grows with one learner's history.

One sender per curve makes turns back to back. At each checkpoint (after 10, 100, 300, 600
and 1,000 earlier turns by default) a batch of turns is timed alone; in between, all curves are
fast-forwarded at once with untimed turns. Two shapes of history per system and path: one
session, and the same turns spread over `--sessions` sessions (``/session_start`` before every
few turns, as a returning learner's channel would send it). Systems: stock Rasa (`rasa init`)
and Karmabot in each profile, on Rasa's REST webhook (and with `--paths` through the
gateway). See bench/README.md ("bench.turns.history").
"""

from __future__ import annotations

import asyncio
import json
import shlex
import signal
import sqlite3
import sys
import time
from contextlib import closing
from pathlib import Path

from bench.doc import write_section
from bench.turns import cpu, runner, scripts
from bench.turns.checks import scan_logs
from bench.turns.history_drive import Lane, drive
from bench.turns.history_plan import (
    LOAD_GENERATOR,
    Curve,
    HistoryOptions,
    parse,
)
from bench.turns.history_report import render, verdicts
from bench.turns.load import Kind, Target
from bench.turns.machine import describe
from bench.turns.options import Options
from bench.turns.systems import (
    BenchError,
    Karmabot,
    StockRasa,
    karmabot,
    redis_problem,
    stock_model,
)
from bot.stack import MODEL_PATH, StackError

#: The gateway's per-learner flood guard is a policy, not a cost: raised for the run.
FLOOD_LIMIT = "100000/second"
STOCK_SESSIONS = (
    "Rasa 3.6's in-memory tracker store (stock) reads back only the latest session and saves "
    "what it read, so earlier sessions are dropped: its tracker never holds more than one."
)


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
