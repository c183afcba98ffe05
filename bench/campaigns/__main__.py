"""`python -m bench.campaigns`: planning, pace, the engine's ceiling and a SIGKILL mid-campaign.

Writes the "campaigns" section of docs/PERFORMANCE.md (`--quick`: of
var/bench/PERFORMANCE.quick.md, at small sizes, in about three minutes). Needs PostgreSQL on
127.0.0.1:5432 (trust auth; a database per measurement, dropped afterwards) and Redis for the
shared pacer (`--redis-url`; without it that pace run is skipped and the report says so).
Logs of every process: var/bench/campaigns-<timestamp>/.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TypeVar

from bench.campaigns import delivery, log, planning, report, sample
from bench.campaigns.crash import run_crash
from bench.campaigns.fake import FakeServer
from bench.doc import provenance, write_section
from core.settings import PROJECT_ROOT
from tests.fakes.server import free_port

#: Full size, then --quick.
PRESETS: dict[str, tuple[object, object]] = {
    "pg_learners": (1_000_000, 20_000),
    "sqlite_learners": (100_000, 10_000),
    "planning_runs": (3, 3),
    "pace_recipients": (10_000, 600),
    "ceiling_recipients": (6_000, 2_000),
    "runs": (3, 1),
    "sweep": ("16,32,64", ""),
    "crash_runs": (3, 1),
    "crash_recipients": (3_000, 1_500),
}
MEASURES = ("planning", "pace", "ceiling", "crash")
#: The key the shared pacer uses (bot/worker.py gives RedisPacer its default prefix).
PACER_KEYS = "karmabot:pace:telegram"
_T = TypeVar("_T")


def twice(what: str, measure: Callable[[], _T]) -> _T:
    """`measure()`, run again once if a worker process died under it (logged)."""
    try:
        return measure()
    except delivery.WorkerDied as exc:
        log(f"{what}: {exc}; running it again")
        return measure()


def options(argv: list[str] | None) -> argparse.Namespace:
    """The command line; sizes left out come from the full or the --quick preset."""
    p = argparse.ArgumentParser(prog="python -m bench.campaigns", description=__doc__)
    p.add_argument("--quick", action="store_true", help="small sizes, 1 run: a smoke test")
    p.add_argument(
        "--only", default=",".join(MEASURES), help="comma-separated: " + ", ".join(MEASURES)
    )
    p.add_argument("--pg-learners", type=int, help="planning on PostgreSQL (1,000,000)")
    p.add_argument("--sqlite-learners", type=int, help="planning on SQLite (100,000)")
    p.add_argument("--planning-runs", type=int, help="timed plannings per cohort (3)")
    p.add_argument("--pace-recipients", type=int, help="campaign size at 30 msg/s (10,000)")
    p.add_argument(
        "--pacers",
        default="local,redis",
        help="local (SQLite, 1 worker), redis (PostgreSQL, 2 workers)",
    )
    p.add_argument("--ceiling-recipients", type=int, help="campaign size, uncapped (6,000)")
    p.add_argument("--runs", type=int, help="runs of the uncapped set (3)")
    p.add_argument(
        "--concurrency", type=int, help="KARMABOT_WORKER_CONCURRENCY (default: best of --sweep)"
    )
    p.add_argument(
        "--sweep", help="concurrency values tried first, one PostgreSQL run each ('' for none)"
    )
    p.add_argument("--crash-runs", type=int, help="SIGKILL runs (3)")
    p.add_argument("--crash-recipients", type=int, help="campaign size (3,000)")
    p.add_argument("--crash-rate", type=float, default=300.0, help="msg/s during the SIGKILL runs")
    p.add_argument("--crash-store", choices=("postgresql", "sqlite"), default="postgresql")
    p.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    p.add_argument(
        "--sample",
        action="store_true",
        help="then one more uncapped PostgreSQL campaign with a stack sampler in the worker; "
        "prints its hottest frames (not written to the doc)",
    )
    p.add_argument(
        "--doc",
        type=Path,
        help="default docs/PERFORMANCE.md (--quick: var/bench/PERFORMANCE.quick.md)",
    )
    options = p.parse_args(argv)  # fmt: skip
    for name, (full, quick) in PRESETS.items():
        if getattr(options, name) is None:
            setattr(options, name, quick if options.quick else full)
    if options.doc is None:
        quick_doc = PROJECT_ROOT / "var" / "bench" / "PERFORMANCE.quick.md"
        options.doc = quick_doc if options.quick else PROJECT_ROOT / "docs" / "PERFORMANCE.md"
    return options


def _redis(url: str) -> object | None:
    """A client for the pacer's Redis, or None when it is down or its keys are in use."""
    try:
        import redis

        client = redis.Redis.from_url(url)
        client.ping()
    except Exception as exc:  # no Redis: that pace run is skipped
        log(f"Redis at {url} unavailable ({exc}); skipping the shared-pacer run")
        return None
    if list(client.scan_iter(match=PACER_KEYS)):
        log(f"pacer keys {PACER_KEYS} already exist in {url}; skipping the shared-pacer run")
        return None
    return client


Runs = list[tuple[str, delivery.DeliveryRun]]


def _pace(o: argparse.Namespace, fake: FakeServer, run_dir: Path, concurrency: int) -> Runs:
    runs: Runs = []
    pacers = [p.strip() for p in o.pacers.split(",") if p.strip()]
    n = o.pace_recipients
    if "local" in pacers:
        log(f"pace: in-process pacer, SQLite, 1 worker, {n:,} recipients …")
        run = twice("pace", lambda: delivery.run_workers(
            "sqlite", 1, n, fake, run_dir, rate=30, concurrency=concurrency
        ))  # fmt: skip
        runs.append(("in-process (slot schedule)", run))
    if "redis" in pacers and (client := _redis(o.redis_url)) is not None:
        log(f"pace: Redis pacer, PostgreSQL, 2 workers, {n:,} recipients …")
        try:
            run = twice("pace", lambda: delivery.run_workers(
                "postgresql", 2, n, fake, run_dir, rate=30, concurrency=concurrency,
                redis_url=o.redis_url,
            ))  # fmt: skip
            runs.append(("shared (Redis slot schedule)", run))
        finally:
            for key in list(client.scan_iter(match=PACER_KEYS)):  # type: ignore[attr-defined]
                client.delete(key)  # type: ignore[attr-defined]
    for name, r in runs:
        log(
            f"pace {name}: steady {r.steady_rate:.1f} msg/s, busiest second {r.max_1s} "
            f"(at +{r.max_1s_at:.1f} s), after 2 s {r.max_1s_late}"
        )
    return runs


PLAN = [("blast", "-", 1), ("blast", "-", 2), ("worker", "sqlite", 1),
        ("worker", "postgresql", 1), ("worker", "postgresql", 2)]  # fmt: skip


def _plan_key(r: delivery.DeliveryRun) -> tuple[str, str, int]:
    return ("blast" if r.system == delivery.FAKE_CEILING else "worker", r.store, r.processes)


def _ceiling(
    o: argparse.Namespace, fake: FakeServer, run_dir: Path, concurrency: int
) -> list[list[delivery.DeliveryRun]]:
    n, results = o.ceiling_recipients, []
    for number in range(o.runs):
        order = PLAN[number % len(PLAN) :] + PLAN[: number % len(PLAN)]  # rotate each run
        done = []
        for system, store, processes in order:
            what = f"ceiling run {number + 1}/{o.runs}: {system} {store} ×{processes}"
            log(f"{what}, {n:,} recipients …")
            if system == "blast":
                r = delivery.run_blast(processes, n, fake, run_dir, concurrency)
            else:
                r = twice(what, partial(
                    delivery.run_workers, store, processes, n, fake, run_dir,
                    concurrency=concurrency,
                ))  # fmt: skip
            log(f"  {r.rate:.0f} msg/s, {r.cpu_ms('clients'):.2f} ms CPU per message (client)")
            done.append(r)
        results.append(sorted(done, key=lambda r: PLAN.index(_plan_key(r))))
    return results


def _sweep(o: argparse.Namespace, fake: FakeServer, run_dir: Path) -> list[delivery.DeliveryRun]:
    found = []
    for value in (int(v) for v in o.sweep.split(",")):
        log(f"concurrency sweep: {value} …")
        r = twice("sweep", partial(
            delivery.run_workers, "postgresql", 1, o.ceiling_recipients, fake, run_dir,
            concurrency=value,
        ))  # fmt: skip
        log(f"  {r.rate:.0f} msg/s")
        found.append(r)
    return found


def _delivery(
    o: argparse.Namespace, only: set[str], run_dir: Path, results: report.Results
) -> None:
    fake = FakeServer(free_port(), run_dir / "fake.log")
    try:
        concurrency = o.concurrency or 32
        if "ceiling" in only and o.sweep:
            results.sweep = _sweep(o, fake, run_dir)
            if o.concurrency is None:
                concurrency = max(results.sweep, key=lambda r: r.rate).concurrency
        if "ceiling" in only:
            results.ceiling = _ceiling(o, fake, run_dir, concurrency)
        if "pace" in only:
            results.pace = _pace(o, fake, run_dir, concurrency)
            if "redis" in o.pacers and not any("Redis" in p for p, _ in results.pace):
                results.notes.append("The shared (Redis) pacer run was skipped: no Redis.")
        if "crash" in only:
            for number in range(o.crash_runs):
                log(f"SIGKILL run {number + 1}/{o.crash_runs} …")
                crash = run_crash(
                    o.crash_store, o.crash_recipients, fake, run_dir / f"crash-{number + 1}",
                    rate=o.crash_rate, concurrency=concurrency, seed=number,
                )  # fmt: skip
                log(f"  {crash}")
                results.crashes.append(crash)
        if o.sample:
            log("sampling a worker's stacks (one uncapped PostgreSQL campaign) …")
            r = delivery.run_workers(
                "postgresql", 1, o.ceiling_recipients, fake, run_dir, concurrency=concurrency,
                sample=True,
            )  # fmt: skip
            log(f"  {r.rate:.0f} msg/s under the sampler (slower than without)")
            for line in sample.summary(run_dir / "sample-w1.json"):
                log(line)
    finally:
        fake.stop()


def main(argv: list[str] | None = None) -> int:
    """Measure what --only asks for, write the section, print it."""
    o = options(argv)
    only = {m.strip() for m in o.only.split(",")}
    run_dir = PROJECT_ROOT / "var" / "bench" / f"campaigns-{time.strftime('%Y%m%d-%H%M%S')}"
    run_dir.mkdir(parents=True, exist_ok=True)
    results = report.Results()
    if "planning" in only:
        for kind, learners in (("postgresql", o.pg_learners), ("sqlite", o.sqlite_learners)):
            results.planning += planning.measure(kind, learners, o.planning_runs, run_dir)
    if only & {"pace", "ceiling", "crash"} or o.sample:
        _delivery(o, only, run_dir, results)
    body = json.dumps(dataclasses.asdict(results), default=str)
    (run_dir / "results.json").write_text(body, encoding="utf-8")
    lines = report.section(
        results, provenance("bench.campaigns", argv), o.crash_store, o.crash_rate, o.quick
    )
    write_section("campaigns", "\n".join(lines), o.doc)
    print("\n".join(lines))
    log(f"section written to {o.doc}; logs in {run_dir}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
