"""Sanity checks around the measurements: does every path answer, and what did the logs say."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter
from pathlib import Path

from bench.turns.load import Target, make_client, one_turn
from bench.turns.runner import Bench

LEVELS = (" ERROR ", " CRITICAL ", "Traceback (most recent call last)")


async def _conversation(target: Target, timeout_s: float) -> tuple[int, int, int]:
    """Walk the first script turn by turn: (turns, answered, errors)."""
    sender = f"check{time.time_ns()}"
    answered = errors = 0
    async with make_client(timeout_s, 4) as client:
        for text in target.scripts[0]:
            outcome = await one_turn(client, target, sender, text, time.perf_counter())
            errors += outcome.error is not None
            answered += outcome.error is None and not outcome.empty
    return len(target.scripts[0]), answered, errors


def check_paths(bench: Bench) -> None:
    """Walk one conversation on every target; note any path that does not answer every turn."""
    for key, target in bench.targets.items():
        turns, answered, errors = asyncio.run(_conversation(target, bench.options.timeout_s))
        print(f"  check {key}: {turns} turns, {answered} answered, {errors} errors", flush=True)
        if answered < turns:
            warning = (
                f"Check before measuring: {key} answered {answered} of {turns} turns "
                f"({errors} errors); its figures may measure a failing bot."
            )
            print(f"  WARNING: {warning}", flush=True)
            bench.notes.append(warning)


def _redis_keys(url: str, pattern: str) -> int:
    """How many keys in Redis at `url` match `pattern` (at most 10,000 counted)."""
    import redis

    client = redis.Redis.from_url(url, socket_timeout=5)
    keys = client.scan_iter(match=pattern, count=1000)
    return sum(1 for _ in itertools.islice(keys, 10_000))


def _learners(database_url: str) -> int:
    """Rows in the learner store's `learners` table."""
    from sqlalchemy import create_engine, text

    from core.settings import normalise_db_url

    engine = create_engine(normalise_db_url(database_url))
    try:
        with engine.connect() as connection:
            return int(connection.scalar(text("SELECT count(*) FROM learners")) or 0)
    finally:
        engine.dispose()


def check_stores(bench: Bench) -> None:
    """After the check conversations: did each system write where its profile says?

    Redis-backed systems must have trackers under their own key prefix, and scale-pg learners
    in its PostgreSQL database; a system that silently fell back would not be like for like.
    """
    prefixes = {bot.profile: bot.redis_prefix for bot in bench.bots}
    if bench.stock_scale is not None:
        prefixes["stock-scale"] = bench.stock_scale.redis_prefix
    found = {
        name: _redis_keys(bench.options.redis_url, f"{prefix}:tracker:*")
        for name, prefix in prefixes.items()
        if prefix
    }
    found |= {
        f"{bot.profile} learners": _learners(bot.settings.database_url)
        for bot in bench.bots
        if bot.settings.database_url
    }
    for name, count in found.items():
        print(f"  check {name}: {count} {'rows' if 'learners' in name else 'Redis trackers'}")
        if count == 0:
            warning = f"Check before measuring: {name} wrote nothing to its store."
            print(f"  WARNING: {warning}", flush=True)
            bench.notes.append(warning)


def scan_logs(bench: Bench, log_dirs: dict[str, Path]) -> None:
    """Count error lines in each system's logs (failures inside Rasa answer 200 all the same)."""
    for system, log_dir in log_dirs.items():
        counts: Counter[str] = Counter()
        for log in sorted(log_dir.glob("*.log")):
            with log.open(errors="replace") as lines:
                counts[log.stem] = sum(1 for line in lines if any(lv in line for lv in LEVELS))
        bad = {name: n for name, n in counts.items() if n}
        if bad:
            listed = ", ".join(f"{name}.log: {n}" for name, n in sorted(bad.items()))
            bench.notes.append(f"{system}: error lines in its logs ({listed}); see {log_dir}.")
