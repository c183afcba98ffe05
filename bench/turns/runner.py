"""The plan: start every system, alternate them through each measurement, stop and clean up."""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.turns import cpu, scripts
from bench.turns.load import Target, capacity, make_client, one_turn, open_loop
from bench.turns.options import Options
from bench.turns.stats import Summary
from bench.turns.systems import (
    BENCH_DIR,
    BenchError,
    Karmabot,
    StockRasa,
    delete_redis_prefix,
    karmabot,
    postgres_database,
    postgres_problem,
    redis_problem,
    sanic_workers,
    stock_scale,
)

SETTLE_LIMIT_S = 30.0
#: Name of the high-rate open-loop measurement in `Bench.results`.
HIGH_LATENCY = "latency-high"
KEEP_RUN_DIRS = 3
#: Each Karmabot profile's like-for-like stock baseline (the profile part of a target key).
BASELINES = {"embedded": "stock", "scale": "stock-scale", "scale-pg": "stock-scale"}
#: Profiles that need Redis (Karmabot's scale profiles and the stock scale baseline).
NEEDS_REDIS = ("scale", "scale-pg", "stock-scale")


def baseline(key: str) -> str | None:
    """The like-for-like stock target key of a measured key (None for the stock ones)."""
    stock = BASELINES.get(key.split("/")[0])
    return f"{stock}/rest" if stock else None


@dataclass
class Bench:
    """Everything one invocation started and measured.

    Attributes:
        options: What to measure.
        stock: The baseline server: one process, in-memory stores.
        stock_scale: The scale baseline (Sanic workers, Redis stores); None when not run.
        bots: Karmabot stacks that started.
        targets: Measured endpoints by key (``stock/rest``, ``embedded/gateway``, …).
        results: Per measurement (``capacity``, ``latency``) and target key, one Summary per run.
        notes: Things the report must mention (skipped profiles, failures, cleanup).
    """

    options: Options
    stock: StockRasa
    stock_scale: StockRasa | None = None
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


def _problem(bench: Bench, profile: str) -> str | None:
    """Why `profile` cannot run here (Redis or PostgreSQL down), or None."""
    o = bench.options
    problem = redis_problem(o.redis_url) if profile in NEEDS_REDIS else None
    if problem is None and profile == "scale-pg":
        problem = postgres_problem(o.pg_url)
    if problem:
        what = "baseline" if profile.startswith("stock") else "profile"
        bench.notes.append(f"The {profile} {what} was not measured: {problem}.")
        print(f"  skipping the {profile} {what}: {problem}", flush=True)
    return problem


@contextlib.contextmanager
def learner_database(bench: Bench, run_dir: Path) -> Iterator[str]:
    """A fresh PostgreSQL learner database for scale-pg, its URL; dropped (and noted) on exit."""
    with postgres_database(bench.options.pg_url, run_dir) as url:
        name = url.rsplit("/", 1)[-1]
        print(f"  created PostgreSQL database {name} for scale-pg", flush=True)
        yield url
    bench.notes.append(f"PostgreSQL: dropped this run's learner database `{name}` (scale-pg).")


def prepare_stock_scale(bench: Bench, run_dir: Path) -> None:
    """The stock scale baseline, unstarted (only when Redis answers)."""
    if not _problem(bench, "stock-scale"):
        o = bench.options
        bench.stock_scale = stock_scale(bench.stock.model, run_dir, o.redis_url, o.workers)


def prepare_bots(bench: Bench, run_dir: Path, resources: contextlib.ExitStack) -> list[Karmabot]:
    """Unstarted Karmabot stacks for the requested profiles, and the stock scale baseline.

    Profiles whose Redis or PostgreSQL does not answer are skipped (and noted). The scale-pg
    database is entered on `resources`, so it is dropped when they close, failure or not.
    """
    o = bench.options
    if any(p in ("scale", "scale-pg") for p in o.profiles):
        prepare_stock_scale(bench, run_dir)
    bots = []
    for profile in o.profiles:
        if _problem(bench, profile):
            continue
        extra: dict[str, Any] = {}
        if profile == "scale-pg":
            extra["database_url"] = resources.enter_context(learner_database(bench, run_dir))
        bots.append(karmabot(profile, run_dir, o.redis_url, o.workers, **extra))
    return bots


def _start_stock_scale(bench: Bench) -> None:
    """Wait for the stock scale baseline and check its workers; drop it when it fails."""
    stock = bench.stock_scale
    if stock is None:
        return
    try:
        stock.wait_ready()
    except BenchError as exc:
        bench.notes.append(f"Stock Rasa (scale) did not start: {exc}.")
        print(f"  stock Rasa (scale) did not start: {exc}", flush=True)
        stock.stop()
        _delete_keys(bench, stock.redis_prefix)
        bench.stock_scale = None
        return
    assert stock.process is not None
    _note_workers(bench, "Stock Rasa (scale)", stock.process.pid, stock.workers)


def _note_workers(bench: Bench, system: str, pid: int, wanted: int) -> None:
    """Count a Rasa server's Sanic worker processes and note them (and any shortfall)."""
    workers = sanic_workers(pid, wanted if wanted > 1 else 0)
    ran = f"a main process and {workers} Sanic workers" if workers else "one process"
    note = f"{system}: Rasa ran as {ran} (`SANIC_WORKERS={wanted}`)."
    if wanted > 1 and workers != wanted:
        note += f" **Expected {wanted} Sanic workers**: its figures are not like for like."
    print(f"  {note}", flush=True)
    bench.notes.append(note)


def start_all(bench: Bench, bots: list[Karmabot], log_dir: Path) -> None:
    """Start both stock Rasas and every Karmabot stack at once; keep those that come up."""
    bench.stock.launch(log_dir)
    if bench.stock_scale is not None:
        bench.stock_scale.launch(log_dir / "stock-scale")
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
    assert bench.stock.process is not None
    _note_workers(bench, "Stock Rasa", bench.stock.process.pid, bench.stock.workers)
    _start_stock_scale(bench)
    for bot in bots:
        if bot.profile in failures:
            bench.notes.append(f"Karmabot ({bot.profile}) did not start: {failures[bot.profile]}")
            print(f"  Karmabot ({bot.profile}) did not start: {failures[bot.profile]}", flush=True)
        else:
            bench.bots.append(bot)
            wanted = bot.settings.rasa_workers
            _note_workers(bench, f"Karmabot ({bot.profile})", bot.pids["rasa"], wanted)


def _stock_target(stock: StockRasa, label: str) -> Target:
    """A stock Rasa's REST webhook, its CPU counted over its whole process tree."""
    assert stock.process is not None
    pids = {"rasa": stock.process.pid, "load generator": cpu.SELF}
    return Target(label, stock.webhook, "rest", scripts.STOCK, scripts.STOCK, pids)


def build_targets(bench: Bench) -> None:
    """The endpoints to measure, stock first."""
    bench.targets["stock/rest"] = _stock_target(bench.stock, "Stock Rasa")
    if bench.stock_scale is not None:
        bench.targets["stock-scale/rest"] = _stock_target(bench.stock_scale, "Stock Rasa (scale)")
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


def _open_loop_at(
    bench: Bench, rate: float
) -> Callable[[Target, int], Coroutine[Any, Any, Summary]]:
    """One open-loop measurement at `rate` turns/s, with the bench's windows and timeout."""
    o = bench.options

    def do(target: Target, seed: int) -> Coroutine[Any, Any, Summary]:
        return open_loop(
            target,
            rate,
            o.latency_warmup_s,
            o.latency_window_s,
            o.timeout_s,
            seed,
            o.turns_per_sender,
        )

    return do


def run_latency(bench: Bench) -> None:
    """Open-loop latency: Karmabot through the gateway, both stock Rasas on their webhooks."""
    keys = [k for k in bench.targets if baseline(k) is None or k.endswith("/gateway")]
    measure(bench, "latency", keys, _open_loop_at(bench, bench.options.rate))


def high_rate_keys(targets: list[str]) -> list[str]:
    """The targets measured at the high rate: the scale profiles' gateways, and stock Rasa
    scale beside them."""
    return [
        k
        for k in targets
        if k == "stock-scale/rest" or (baseline(k) == "stock-scale/rest" and k.endswith("/gateway"))
    ]


def run_high_latency(bench: Bench) -> None:
    """Open-loop latency at the high rate (`Options.high_rate`) on the scale profiles."""
    keys = high_rate_keys(list(bench.targets))
    if bench.options.high_rate and keys:
        measure(bench, HIGH_LATENCY, keys, _open_loop_at(bench, bench.options.high_rate))


def _delete_keys(bench: Bench, prefix: str | None) -> None:
    """Delete one system's Redis keys (``<prefix>:*``) and note how many."""
    if prefix:
        deleted = delete_redis_prefix(bench.options.redis_url, prefix)
        bench.notes.append(
            f"Redis: deleted this run's {deleted} keys `{prefix}:*` from {bench.options.redis_url}."
        )


def stop_all(bench: Bench, bots: list[Karmabot]) -> None:
    """Stop every process this run started and delete its Redis keys."""
    bench.stock.stop()
    if bench.stock_scale is not None:
        bench.stock_scale.stop()
        _delete_keys(bench, bench.stock_scale.redis_prefix)
    for bot in bots:
        bot.stack.stop()
        _delete_keys(bench, bot.redis_prefix)


def log_dirs(bench: Bench, run_dir: Path) -> dict[str, Path]:
    """Where each system's process logs are."""
    dirs = {"Stock Rasa": run_dir}
    if bench.stock_scale is not None and bench.stock_scale.log_dir is not None:
        dirs["Stock Rasa (scale)"] = bench.stock_scale.log_dir
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
