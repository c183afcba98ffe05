"""Sanity checks around the measurements: does every path answer, and what did the logs say."""

from __future__ import annotations

import asyncio
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
