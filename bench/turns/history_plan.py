"""Pure parts of `bench.turns.history` that drive it: options, curves, schedule, time cap."""

from __future__ import annotations

import argparse
import itertools
import math
from dataclasses import dataclass, field
from pathlib import Path

from bench.doc import DOC
from bench.turns.stats import Summary
from core.settings import PROJECT_ROOT

SYSTEMS = {
    "stock": "Stock Rasa (`rasa init`)",
    "embedded": "Karmabot embedded",
    "scale": "Karmabot scale",
}
SHAPES = {"session": "one session", "sessions": "spread over sessions"}
PATHS = {"rest": "REST webhook", "gateway": "gateway"}
LOAD_GENERATOR = "load generator"
QUICK_DOC = PROJECT_ROOT / "var" / "bench" / "PERFORMANCE.quick.md"


@dataclass(frozen=True)
class HistoryOptions:
    """What to measure.

    Attributes:
        checkpoints: Earlier turns of the sender before each timed batch.
        batch: Timed turns per checkpoint (always the same texts).
        sessions: Sessions the longest history is spread over in the ``sessions`` shape.
        profiles: Karmabot profiles (``embedded``, ``scale``).
        paths: Karmabot paths (``rest``, ``gateway``); stock Rasa is on its webhook only. The
            gateway keeps no history, so by default only quick runs (a smoke test) take it.
        time_cap_s: A safety net: any curve still fast-forwarding this long after the start
            stops. Karmabot's curves are otherwise always driven to the last checkpoint.
        stock_cap_s: Seconds for stock's curves: one whose next checkpoint would not fit stops
            there, so the baseline does not hold the target's curves back.
        stock_max: Last checkpoint of stock Rasa's one-session curve (its turns take about a
            second by then; the issue's figures for stock go to 600 turns).
        workers: Rasa (Sanic) workers in the scale profile.
        redis_url: Redis of the scale profile (per-run key prefix, deleted afterwards).
        timeout_s: Per-request timeout.
        doc: Markdown file whose "history" section is (re)written.
        quick: Smoke-test mode.
    """

    checkpoints: tuple[int, ...] = (10, 100, 300, 600, 1000)
    batch: int = 72  # three passes of the 24-turn latency mix: a steadier p50 than one
    sessions: int = 100
    profiles: tuple[str, ...] = ("embedded", "scale")
    paths: tuple[str, ...] = ("rest",)
    time_cap_s: float = 1800.0
    stock_cap_s: float = 540.0
    stock_max: int = 600
    workers: int = 3
    redis_url: str = "redis://127.0.0.1:6379/12"
    timeout_s: float = 30.0
    doc: Path = DOC
    quick: bool = False

    @property
    def session_length(self) -> int:
        """Turns per session in the spread shape: the largest history over `sessions`."""
        return max(1, math.ceil(self.checkpoints[-1] / self.sessions))


def parse(argv: list[str] | None = None) -> HistoryOptions:
    """The command line; ``--quick`` shortens every default."""
    base = HistoryOptions()
    parser = argparse.ArgumentParser(
        prog="python -m bench.turns.history",
        description="A turn's cost after many earlier turns of one learner: Karmabot and stock.",
    )
    parser.add_argument("--quick", action="store_true", help="checkpoints 10,100,200 (~3 min)")
    parser.add_argument("--checkpoints", help="earlier turns before each batch (10,…,1000)")
    parser.add_argument("--batch", type=int, help=f"timed turns per checkpoint ({base.batch})")
    parser.add_argument("--sessions", type=int, help=f"sessions of the spread shape ({100})")
    parser.add_argument("--profiles", default=",".join(base.profiles))
    parser.add_argument("--paths", help="Karmabot's paths: rest (default), gateway; quick both")
    parser.add_argument("--time-cap", type=float, help="safety net, s (1800; quick 300)")
    parser.add_argument("--stock-cap", type=float, help="s for stock's curves (540; quick 150)")
    parser.add_argument("--stock-max", type=int, default=base.stock_max, help="stock, 1 session")
    parser.add_argument("--workers", type=int, default=base.workers)
    parser.add_argument("--redis-url", default=base.redis_url)
    parser.add_argument("--timeout", type=float, default=base.timeout_s)
    parser.add_argument("--doc", type=Path, help="report file (docs/PERFORMANCE.md)")
    args = parser.parse_args(argv)
    quick = bool(args.quick)
    points = args.checkpoints or ("10,100,200" if quick else "10,100,300,600,1000")
    options = HistoryOptions(
        checkpoints=tuple(int(c) for c in points.split(",")),
        batch=args.batch or (12 if quick else base.batch),
        sessions=args.sessions or (20 if quick else base.sessions),
        profiles=_names(args.profiles),
        paths=_names(args.paths or ("rest,gateway" if quick else ",".join(base.paths))),
        time_cap_s=args.time_cap or (300.0 if quick else base.time_cap_s),
        stock_cap_s=args.stock_cap or (150.0 if quick else base.stock_cap_s),
        stock_max=args.stock_max,
        workers=args.workers,
        redis_url=args.redis_url,
        timeout_s=args.timeout,
        doc=args.doc or (QUICK_DOC if quick else base.doc),
        quick=quick,
    )
    if problem := schedule_problem(options.checkpoints, options.batch):
        parser.error(problem)
    if not set(options.profiles) <= {"embedded", "scale"}:
        parser.error("--profiles takes embedded and/or scale")
    if not options.paths or not set(options.paths) <= set(PATHS):
        parser.error("--paths takes rest and/or gateway")
    return options


def _names(text: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in text.split(",") if name.strip())


def schedule_problem(checkpoints: tuple[int, ...], batch: int) -> str | None:
    """Why the checkpoints cannot be measured as given (None when they can).

    Each batch adds `batch` turns to the history, so checkpoints must be at least that far
    apart for every batch to start exactly at its checkpoint.
    """
    if batch < 1 or not checkpoints or checkpoints[0] < 1:
        return "need a positive batch and checkpoints ≥ 1"
    gaps = [b - a for a, b in itertools.pairwise(checkpoints)]
    if any(gap < batch for gap in gaps):
        return f"checkpoints must be increasing and at least --batch ({batch}) apart"
    return None


def starts_session(turn: int, session_length: int | None) -> bool:
    """Whether the sender's turn number `turn` (0-based) opens a new session."""
    return session_length is not None and turn > 0 and turn % session_length == 0


def sessions_before(turn: int, session_length: int | None) -> int:
    """Sessions started before turn number `turn` (0-based), the first one included."""
    if turn == 0:
        return 0
    return 1 if session_length is None else math.ceil(turn / session_length)


@dataclass(frozen=True)
class Point:
    """One timed batch of turns.

    Attributes:
        history: Turns this sender had made before the batch.
        sessions: Sessions the sender had started before the batch.
        summary: The batch's latencies; `throughput` is 1 / mean latency (sequential turns);
            `cpu_ms` is CPU ms per turn by process tree, read around each turn.
    """

    history: int
    sessions: int
    summary: Summary


@dataclass
class Curve:
    """How one system's turn cost grows with one sender's history.

    Attributes:
        system: ``stock``, ``embedded`` or ``scale``.
        shape: ``session`` (one session) or ``sessions`` (a new session every few turns).
        path: ``rest`` (Rasa's REST webhook) or ``gateway`` (``POST /chat/api``).
        points: One per checkpoint reached.
        fill_turns: Untimed turns sent to build the history.
        fill_s: Seconds those took (wall clock, other curves filling at the same time).
        errors: Failed untimed turns (timed ones are in each point's summary).
        notes: What the report must say about this curve (a time cap, the session check).
    """

    system: str
    shape: str
    path: str
    points: list[Point] = field(default_factory=list)
    fill_turns: int = 0
    fill_s: float = 0.0
    errors: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        """``system/shape/path``."""
        return f"{self.system}/{self.shape}/{self.path}"

    @property
    def label(self) -> str:
        """Human-readable name."""
        return f"{SYSTEMS[self.system]}, {SHAPES[self.shape]}, {PATHS[self.path]}"


def cost_s(points: list[Point], history: float) -> float:
    """Seconds per turn (alone) at `history`, extrapolated linearly from the last two points.

    The slope is never negative; with one point the cost is taken as flat, with none as 0.
    """
    if not points:
        return 0.0
    last = points[-1]
    cost = 1.0 / last.summary.throughput if last.summary.throughput > 0 else 0.0
    if len(points) < 2 or points[-2].summary.throughput <= 0:
        return cost
    before = points[-2]
    slope = (cost - 1.0 / before.summary.throughput) / (last.history - before.history)
    return cost + max(0.0, slope) * (history - last.history)


def segment_s(points: list[Point], start: int, checkpoint: int, batch: int) -> float:
    """Predicted seconds (alone) to fast-forward from `start` to `checkpoint`, then the batch."""
    fill = (checkpoint - start) * cost_s(points, (start + checkpoint) / 2)
    return fill + batch * cost_s(points, checkpoint + batch / 2)
