"""Turn outcomes, percentiles and medians across runs."""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Outcome:
    """One turn as the client saw it.

    Attributes:
        start: When the turn was due (open loop) or sent (closed loop), perf_counter seconds.
        end: When the reply (or the error) arrived.
        error: None on success, else a short error kind (``timeout``, ``http 503``, …).
        empty: True when the bot answered with no message at all.
    """

    start: float
    end: float
    error: str | None = None
    empty: bool = False

    @property
    def latency(self) -> float:
        """Seconds from start to end."""
        return self.end - self.start


@dataclass
class Summary:
    """One measurement of one target.

    Attributes:
        turns: Successful turns counted.
        errors: Failed turns counted (timeouts, connection errors, non-200, bad bodies).
        error_kinds: Count per error kind.
        empty: Successful turns with no bot message.
        window_s: Length of the measured window in seconds.
        throughput: Successful turns per second over the window.
        p50_ms: Median latency of successful turns.
        p95_ms: 95th percentile latency.
        p99_ms: 99th percentile latency.
        max_ms: Slowest successful turn.
        cpu_ms: CPU milliseconds per successful turn, per process tree, over the window.
    """

    turns: int
    errors: int
    error_kinds: dict[str, int] = field(default_factory=dict)
    empty: int = 0
    window_s: float = 0.0
    throughput: float = 0.0
    p50_ms: float = float("nan")
    p95_ms: float = float("nan")
    p99_ms: float = float("nan")
    max_ms: float = float("nan")
    cpu_ms: dict[str, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return asdict(self)


def percentiles(values: Sequence[float], points: Iterable[int]) -> list[float]:
    """Percentiles (inclusive method) of `values`; NaN for each point when empty."""
    wanted = list(points)
    if not values:
        return [float("nan")] * len(wanted)
    if len(values) == 1:
        return [values[0]] * len(wanted)
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return [cuts[p - 1] for p in wanted]


def summarize(outcomes: Sequence[Outcome], window_s: float) -> Summary:
    """Summarise the outcomes that fall inside one measured window."""
    good = [o for o in outcomes if o.error is None]
    kinds = Counter(o.error for o in outcomes if o.error is not None)
    latencies_ms = sorted(o.latency * 1000 for o in good)
    p50, p95, p99 = percentiles(latencies_ms, (50, 95, 99))
    return Summary(
        turns=len(good),
        errors=sum(kinds.values()),
        error_kinds=dict(kinds),
        empty=sum(1 for o in good if o.empty),
        window_s=window_s,
        throughput=len(good) / window_s if window_s > 0 else 0.0,
        p50_ms=p50,
        p95_ms=p95,
        p99_ms=p99,
        max_ms=latencies_ms[-1] if latencies_ms else float("nan"),
    )


def median_summary(runs: Sequence[Summary]) -> Summary:
    """Field-wise median of several runs (errors and turns summed, not medianed)."""
    kinds: Counter[str] = Counter()
    for run in runs:
        kinds.update(run.error_kinds)

    def med(name: str) -> float:
        return float(statistics.median(getattr(run, name) for run in runs))

    return Summary(
        turns=sum(r.turns for r in runs),
        errors=sum(r.errors for r in runs),
        error_kinds=dict(kinds),
        empty=sum(r.empty for r in runs),
        window_s=sum(r.window_s for r in runs),
        throughput=med("throughput"),
        p50_ms=med("p50_ms"),
        p95_ms=med("p95_ms"),
        p99_ms=med("p99_ms"),
        max_ms=max((r.max_ms for r in runs if not math.isnan(r.max_ms)), default=float("nan")),
        cpu_ms={
            name: float(statistics.median(r.cpu_ms.get(name, 0.0) for r in runs))
            for name in runs[0].cpu_ms
        },
    )
