"""Command-line options of `python -m bench.turns`."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from bench.campaigns.stores import POSTGRES_ADMIN
from core.settings import PROJECT_ROOT

DOC = PROJECT_ROOT / "docs" / "PERFORMANCE.md"
QUICK_DOC = PROJECT_ROOT / "var" / "bench" / "PERFORMANCE.quick.md"
#: Karmabot profiles the benchmark can measure.
PROFILES = ("embedded", "scale", "scale-pg")


@dataclass(frozen=True)
class Options:
    """What to measure and for how long.

    Attributes:
        runs: Repetitions of each measurement (medians are reported).
        learners: Concurrent closed-loop learners for the capacity measurement.
        turns_per_sender: Turns before a learner starts a fresh conversation (new sender id).
        warmup_s: Capacity warm-up, not counted.
        window_s: Capacity measured window.
        rate: Open-loop arrival rate (turns/s, Poisson).
        high_rate: A second open-loop rate for the scale profiles and their stock baseline
            (0: not measured).
        latency_warmup_s: Open-loop warm-up, not counted.
        latency_window_s: Open-loop measured window.
        timeout_s: Per-request timeout; a timeout counts as an error.
        profiles: Karmabot profiles to measure (``embedded``, ``scale``, ``scale-pg``).
        workers: Rasa (Sanic) workers in the scale profiles and the stock scale baseline.
        redis_url: Redis for the scale profiles and the stock scale baseline; keys get a
            per-run prefix and are deleted.
        pg_url: PostgreSQL server (admin database) for ``scale-pg``: a fresh learner
            database is created there per invocation and dropped at the end.
        seed: Seed of every random choice (scripts, arrivals).
        doc: Markdown file whose "Dialogue turns" section is (re)written.
        quick: Smoke-test mode (one run, short windows).
    """

    runs: int = 3
    learners: int = 20
    turns_per_sender: int = 6
    warmup_s: float = 5.0
    window_s: float = 20.0
    rate: float = 10.0
    high_rate: float = 50.0
    latency_warmup_s: float = 3.0
    latency_window_s: float = 30.0
    timeout_s: float = 15.0
    profiles: tuple[str, ...] = PROFILES
    workers: int = 3
    redis_url: str = "redis://127.0.0.1:6379/12"
    pg_url: str = POSTGRES_ADMIN
    seed: int = 20250601
    doc: Path = DOC
    quick: bool = False


def parse(argv: list[str] | None = None) -> Options:
    """Parse the command line into Options (``--quick`` shortens every default)."""
    base = Options()
    parser = argparse.ArgumentParser(
        prog="python -m bench.turns",
        description="Dialogue-turn capacity and latency: Karmabot against stock Rasa.",
    )
    parser.add_argument("--quick", action="store_true", help="1 run, short windows (smoke test)")
    parser.add_argument("--runs", type=int)
    parser.add_argument("--learners", type=int, default=base.learners)
    parser.add_argument("--turns-per-sender", type=int, default=base.turns_per_sender)
    parser.add_argument("--warmup", type=float, help=f"capacity warm-up s ({base.warmup_s})")
    parser.add_argument("--window", type=float, help=f"capacity window s ({base.window_s})")
    parser.add_argument("--rate", type=float, default=base.rate, help="open-loop turns/s")
    parser.add_argument(
        "--high-rate",
        type=float,
        default=base.high_rate,
        help="open-loop turns/s for the scale profiles (0: skip)",
    )
    parser.add_argument("--latency-window", type=float, help=f"s ({base.latency_window_s})")
    parser.add_argument("--timeout", type=float, default=base.timeout_s)
    parser.add_argument("--profiles", default=",".join(base.profiles), help="comma-separated")
    parser.add_argument("--workers", type=int, default=base.workers)
    parser.add_argument("--redis-url", default=base.redis_url)
    parser.add_argument(
        "--pg-url",
        default=base.pg_url,
        help="PostgreSQL for scale-pg (bench.campaigns.stores server)",
    )
    parser.add_argument("--seed", type=int, default=base.seed)
    parser.add_argument("--doc", type=Path, help=f"report file ({DOC.relative_to(PROJECT_ROOT)})")
    args = parser.parse_args(argv)
    quick = bool(args.quick)
    profiles = tuple(p.strip() for p in args.profiles.split(",") if p.strip())
    if unknown := [p for p in profiles if p not in PROFILES]:
        parser.error(f"unknown profile(s) {', '.join(unknown)}; known: {', '.join(PROFILES)}")

    def pick(value: float | None, full: float, short: float) -> float:
        return value if value is not None else (short if quick else full)

    return Options(
        runs=int(pick(args.runs, base.runs, 1)),
        learners=args.learners,
        turns_per_sender=args.turns_per_sender,
        warmup_s=pick(args.warmup, base.warmup_s, 3.0),
        window_s=pick(args.window, base.window_s, 8.0),
        rate=args.rate,
        high_rate=args.high_rate,
        latency_warmup_s=2.0 if quick else base.latency_warmup_s,
        latency_window_s=pick(args.latency_window, base.latency_window_s, 12.0),
        timeout_s=args.timeout,
        profiles=profiles,
        workers=args.workers,
        redis_url=args.redis_url,
        pg_url=args.pg_url,
        seed=args.seed,
        doc=args.doc or (QUICK_DOC if quick else DOC),
        quick=quick,
    )
