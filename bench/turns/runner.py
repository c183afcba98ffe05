"""The plan: start every system, alternate them through each measurement, stop and clean up."""

from __future__ import annotations

import asyncio
import json
import shutil
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.turns import cpu, scripts
from bench.turns.load import Target, capacity, make_client, one_turn, open_loop
from bench.turns.options import Options
from bench.turns.stats import Summary
from bench.turns.systems import (
    BENCH_DIR,
    Karmabot,
    StockRasa,
    delete_redis_prefix,
    karmabot,
    redis_problem,
)

SETTLE_LIMIT_S = 30.0
KEEP_RUN_DIRS = 3


@dataclass
class Bench:
    """Everything one invocation started and measured.

    Attributes:
        options: What to measure.
        stock: The baseline server.
        bots: Karmabot stacks that started.
        targets: Measured endpoints by key (``stock/rest``, ``embedded/gateway``, …).
        results: Per measurement (``capacity``, ``latency``) and target key, one Summary per run.
        notes: Things the report must mention (skipped profiles, failures, cleanup).
    """

    options: Options
    stock: StockRasa
    bots: list[Karmabot] = field(default_factory=list)
    targets: dict[str, Target] = field(default_factory=dict)
    results: dict[str, dict[str, list[Summary]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def new_run_dir() -> Path:
    """A fresh directory for this run's data, pruning all but the last few old ones."""
    runs = BENCH_DIR / "runs"
    runs.mkdir(parents=True, exist_ok=True)
    for old in sorted(p for p in runs.iterdir() if p.is_dir())[:-KEEP_RUN_DIRS]:
        shutil.rmtree(old, ignore_errors=True)
    run_dir = runs / time.strftime("%Y%m%d%H%M%S")
    run_dir.mkdir()
    return run_dir


def prepare_bots(bench: Bench, run_dir: Path) -> list[Karmabot]:
    """Unstarted Karmabot stacks for the requested profiles (scale only when Redis answers)."""
    bots = []
    for profile in bench.options.profiles:
        problem = redis_problem(bench.options.redis_url) if profile == "scale" else None
        if problem:
            bench.notes.append(f"The scale profile was not measured: {problem}.")
            print(f"  skipping the scale profile: {problem}", flush=True)
            continue
        bots.append(karmabot(profile, run_dir, bench.options.redis_url, bench.options.workers))
    return bots


def start_all(bench: Bench, bots: list[Karmabot], log_dir: Path) -> None:
    """Start stock Rasa and every Karmabot stack at once; keep the stacks that come up."""
    bench.stock.launch(log_dir)
    failures: dict[str, str] = {}

    def start(bot: Karmabot) -> None:
        try:
            bot.stack.start()
        except Exception as exc:
            failures[bot.profile] = str(exc)

    threads = [threading.Thread(target=start, args=(bot,)) for bot in bots]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    bench.stock.wait_ready()
    for bot in bots:
        if bot.profile in failures:
            bench.notes.append(f"Karmabot ({bot.profile}) did not start: {failures[bot.profile]}")
            print(f"  Karmabot ({bot.profile}) did not start: {failures[bot.profile]}", flush=True)
        else:
            bench.bots.append(bot)
            workers = len(cpu.process_tree(bot.pids["rasa"])) - 1
            bench.notes.append(
                f"Karmabot ({bot.profile}): Rasa ran as "
                + (f"a main process and {workers} Sanic workers" if workers else "one process")
                + f" (`SANIC_WORKERS={bot.settings.rasa_workers}`)."
            )


def build_targets(bench: Bench) -> None:
    """The endpoints to measure, stock first."""
    assert bench.stock.process is not None
    stock = {"rasa": bench.stock.process.pid, "load generator": cpu.SELF}
    bench.targets["stock/rest"] = Target(
        "Stock Rasa", bench.stock.webhook, "rest", scripts.STOCK, scripts.STOCK, stock
    )
    for bot in bench.bots:
        name = f"Karmabot ({bot.profile})"
        kb = scripts.KARMABOT_CAPACITY, scripts.KARMABOT_LATENCY
        pids = bot.pids | {"load generator": cpu.SELF}
        bench.targets[f"{bot.profile}/gateway"] = Target(name, bot.chat_api, "gateway", *kb, pids)
        bench.targets[f"{bot.profile}/rest"] = Target(name, bot.webhook, "rest", *kb, pids)


async def _probe(target: Target, timeout_s: float) -> float:
    """Seconds one fresh-sender turn takes (inf on error)."""
    async with make_client(timeout_s, 4) as client:
        start = time.perf_counter()
        sender = f"probe{time.time_ns()}"
        outcome = await one_turn(client, target, sender, target.scripts[0][0], start)
    return float("inf") if outcome.error else outcome.latency


def settle(target: Target, timeout_s: float) -> None:
    """Wait until the target answers a probe turn within a second (bounded)."""
    deadline = time.monotonic() + SETTLE_LIMIT_S
    while time.monotonic() < deadline:
        if asyncio.run(_probe(target, timeout_s)) < 1.0:
            return
        time.sleep(0.5)
    print(f"    ({target.url} still slow after {SETTLE_LIMIT_S:.0f} s)", flush=True)


def rotated(keys: list[str], run: int) -> list[str]:
    """The run's order: rotate, so each system takes each position in turn."""
    shift = run % len(keys)
    return keys[shift:] + keys[:shift]


def measure(
    bench: Bench,
    name: str,
    keys: list[str],
    do: Callable[[Target, int], Coroutine[Any, Any, Summary]],
) -> None:
    """Run one measurement `runs` times over `keys`, alternating targets."""
    table = bench.results.setdefault(name, {key: [] for key in keys})
    for run in range(bench.options.runs):
        for key in rotated(keys, run):
            target = bench.targets[key]
            print(f"  [{name} {run + 1}/{bench.options.runs}] {key} …", flush=True)
            summary = asyncio.run(do(target, bench.options.seed + run))
            table[key].append(summary)
            print(
                f"    {summary.throughput:7.1f} turns/s  p50 {summary.p50_ms:6.0f} ms  "
                f"p95 {summary.p95_ms:6.0f} ms  p99 {summary.p99_ms:6.0f} ms  "
                f"errors {summary.errors}  empty {summary.empty}  "
                f"other processes {cpu.other_cores(summary.cpu_ms, summary.throughput):.2f} cores",
                flush=True,
            )
            settle(target, bench.options.timeout_s)


def run_capacity(bench: Bench) -> None:
    """Closed-loop capacity of every target."""
    o = bench.options

    def do(target: Target, seed: int) -> Coroutine[Any, Any, Summary]:
        return capacity(
            target, o.learners, o.warmup_s, o.window_s, o.timeout_s, seed, o.turns_per_sender
        )

    measure(bench, "capacity", list(bench.targets), do)


def run_latency(bench: Bench) -> None:
    """Open-loop latency: Karmabot through the gateway, stock Rasa on its webhook."""
    o = bench.options

    def do(target: Target, seed: int) -> Coroutine[Any, Any, Summary]:
        return open_loop(
            target,
            o.rate,
            o.latency_warmup_s,
            o.latency_window_s,
            o.timeout_s,
            seed,
            o.turns_per_sender,
        )

    keys = [k for k in bench.targets if k == "stock/rest" or k.endswith("/gateway")]
    measure(bench, "latency", keys, do)


def stop_all(bench: Bench, bots: list[Karmabot]) -> None:
    """Stop every process this run started and delete its Redis keys."""
    bench.stock.stop()
    for bot in bots:
        bot.stack.stop()
        if bot.redis_prefix:
            deleted = delete_redis_prefix(bench.options.redis_url, bot.redis_prefix)
            bench.notes.append(
                f"Redis: deleted this run's {deleted} keys `{bot.redis_prefix}:*` "
                f"from {bench.options.redis_url}."
            )


def log_dirs(bench: Bench, run_dir: Path) -> dict[str, Path]:
    """Where each system's process logs are."""
    dirs = {"Stock Rasa": run_dir}
    for bot in bench.bots:
        dirs[f"Karmabot ({bot.profile})"] = bot.stack.log_dir
    return dirs


def save_json(bench: Bench, run_dir: Path) -> Path:
    """Write the raw per-run figures next to the run's data."""
    path = run_dir / "results.json"
    data = {
        "options": {k: str(v) for k, v in vars(bench.options).items()},
        "targets": {k: {"label": t.label, "url": t.url} for k, t in bench.targets.items()},
        "results": {
            m: {k: [s.to_json() for s in runs] for k, runs in table.items()}
            for m, table in bench.results.items()
        },
        "notes": bench.notes,
    }
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False))
    return path
