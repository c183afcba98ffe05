"""Where a Karmabot turn spends its time: py-spy on every process under capacity load.

Usage (py-spy is not a project dependency; install it anywhere, e.g. its own venv)::

    python -m venv /tmp/pyspy && /tmp/pyspy/bin/pip install py-spy
    .venv/bin/python -m bench.turns.profile --py-spy /tmp/pyspy/bin/py-spy [--profile embedded]

(`--gil` samples only threads that hold the GIL: closer to CPU time than waits on sockets.)

It starts one Karmabot stack, loads it through the gateway with the capacity mix, samples the
Rasa server, the action server and the gateway, writes folded stacks under
var/bench/profile/<timestamp>/ and prints the heaviest frames of each process.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from bench.campaigns.stores import POSTGRES_ADMIN
from bench.turns import scripts
from bench.turns.load import Target, capacity
from bench.turns.systems import (
    BENCH_DIR,
    Karmabot,
    delete_redis_prefix,
    karmabot,
    postgres_database,
    postgres_problem,
    redis_problem,
)

FRAME = re.compile(r" \((?:.*/site-packages/|.*/work/main/)?([^:)]*)(?::\d+)?\)$")


def inclusive(folded: Path) -> tuple[int, Counter[str]]:
    """Total samples and inclusive samples per frame (function and file) of a folded file."""
    total, counts = 0, Counter[str]()
    for line in folded.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        samples = int(count)
        total += samples
        frames = {FRAME.sub(r" (\1)", frame) for frame in stack.split(";")}
        for frame in frames:
            counts[frame] += samples
    return total, counts


def show(name: str, folded: Path, top: int) -> None:
    """Print the heaviest frames of one process (skipping event-loop plumbing)."""
    if not folded.exists():
        print(f"{name}: no samples")
        return
    total, counts = inclusive(folded)
    print(f"\n{name}: {total} samples ({folded})")
    shown = 0
    for frame, samples in counts.most_common():
        if "asyncio" in frame or "runners.py" in frame or frame.startswith("<module>"):
            continue
        print(f"  {100 * samples / total:5.1f}%  {frame[:140]}")
        shown += 1
        if shown >= top:
            break


def record(
    py_spy: str, pids: dict[str, int], seconds: float, out: Path, gil: bool = False
) -> list[subprocess.Popen[bytes]]:
    """Start one py-spy recorder per process (subprocesses included); with `gil`, only
    samples taken while a thread holds the GIL (closer to CPU than waits on sockets)."""
    return [
        subprocess.Popen(
            [
                py_spy,
                "record",
                "--pid",
                str(pid),
                "--duration",
                str(int(seconds)),
                "--rate",
                "200",
                "--format",
                "raw",
                "--subprocesses",
                "--nonblocking",
                *(["--gil"] if gil else []),
                "--output",
                str(out / f"{name.replace(' ', '-')}.folded"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for name, pid in pids.items()
    ]


def main(argv: list[str] | None = None) -> int:
    """Profile one Karmabot stack under closed-loop load through the gateway."""
    parser = argparse.ArgumentParser(prog="python -m bench.turns.profile", description=__doc__)
    parser.add_argument("--py-spy", default=shutil.which("py-spy") or "py-spy")
    parser.add_argument("--profile", default="embedded", choices=["embedded", "scale", "scale-pg"])
    parser.add_argument("--path", default="gateway", choices=["gateway", "rest"])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--learners", type=int, default=20)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/12")
    parser.add_argument("--pg-url", default=POSTGRES_ADMIN, help="PostgreSQL for scale-pg")
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--gil", action="store_true", help="sample only threads holding the GIL")
    args = parser.parse_args(argv)
    if shutil.which(args.py_spy) is None:
        print(f"py-spy not found ({args.py_spy}); see this module's docstring.", file=sys.stderr)
        return 1
    problem = None
    if args.profile != "embedded":
        problem = redis_problem(args.redis_url)
    if args.profile == "scale-pg":
        problem = problem or postgres_problem(args.pg_url)
    if problem:
        print(problem, file=sys.stderr)
        return 1
    out = BENCH_DIR / "profile" / time.strftime("%Y%m%d%H%M%S")
    out.mkdir(parents=True)
    with contextlib.ExitStack() as resources:  # the scale-pg database, dropped on exit
        extra: dict[str, str] = {}
        if args.profile == "scale-pg":
            extra["database_url"] = resources.enter_context(postgres_database(args.pg_url, out))
        bot = karmabot(args.profile, out, args.redis_url, 2, None, **extra)
        run(args, bot, out)
    for name in bot.pids:
        show(name, out / f"{name.replace(' ', '-')}.folded", args.top)
    return 0


def run(args: argparse.Namespace, bot: Karmabot, out: Path) -> None:
    """Start the stack, warm it, load it under py-spy; stop it and clean its Redis keys."""
    bot.stack.start()
    try:
        url = bot.chat_api if args.path == "gateway" else bot.webhook
        kb = scripts.KARMABOT_CAPACITY, scripts.KARMABOT_LATENCY
        target = Target(f"Karmabot ({args.profile})", url, args.path, *kb)
        warm = asyncio.run(capacity(target, args.learners, 1.0, 5.0, 15.0, 1))
        print(f"warm-up: {warm.throughput:.1f} turns/s", flush=True)
        spies = record(args.py_spy, bot.pids, args.seconds, out, args.gil)
        load = asyncio.run(capacity(target, args.learners, 0.5, args.seconds, 15.0, 2))
        print(f"profiled: {load.throughput:.1f} turns/s, p50 {load.p50_ms:.0f} ms", flush=True)
        for spy in spies:
            spy.wait(timeout=args.seconds + 60)
    finally:
        bot.stack.stop()
        if bot.redis_prefix:
            delete_redis_prefix(args.redis_url, bot.redis_prefix)


if __name__ == "__main__":
    sys.exit(main())
