"""`python -m bench.channels`: the gateway's overhead per turn on each channel, and its memory."""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from bench.channels.measure import PATHS, SENDERS, ChannelRun, measure
from bench.doc import provenance, write_section
from core.settings import PROJECT_ROOT

OVERHEAD_TARGET_MS = 5.0
RSS_TARGET_MB = 250.0


def _p50(runs: list[ChannelRun], path: str) -> float:
    return statistics.median(next(f.p50 for f in r.paths if f.path == path) for r in runs)


def _p95(runs: list[ChannelRun], path: str) -> float:
    return statistics.median(next(f.p95 for f in r.paths if f.path == path) for r in runs)


def _overhead(runs: list[ChannelRun], path: str) -> float:
    """Median over runs of (this path's p50 − the direct call's p50) in the same run."""
    pairs = (
        next(f.p50 for f in r.paths if f.path == path)
        - next(f.p50 for f in r.paths if f.path == PATHS[0])
        for r in runs
    )
    return statistics.median(pairs)


def report(runs: list[ChannelRun], turns: int, argv: list[str] | None) -> list[str]:
    """The docs/PERFORMANCE.md section."""
    lines = [
        "## Channels: the gateway's overhead per turn",
        "",
        provenance("bench.channels", argv),
        "",
        f"One embedded stack with Telegram (webhook mode) and WhatsApp both on, their platforms "
        f"played by the local fakes in tests/fakes. The same turn (`/help`, a rule and a canned "
        f"reply) goes {turns} times down each path per run, the paths interleaved, {len(runs)} "
        f"runs, by {SENDERS} senders per path taking turns (so trackers stay as short as a "
        "learner's); a channel turn is timed from the webhook POST until the fake platform "
        "receives the bot's reply. Baseline: the same turn posted straight to Rasa's REST "
        "channel in the same run. The channels' send pacing and the flood guard are raised "
        "for the run.",
        "",
        "| Path | p50 ms | p95 ms | p50 over direct Rasa | target ≤ 5 ms |",
        "|---|--:|--:|--:|:-:|",
    ]
    for path in PATHS:
        if path == PATHS[0]:
            lines.append(f"| {path} | {_p50(runs, path):.1f} | {_p95(runs, path):.1f} | – | |")
            continue
        over = _overhead(runs, path)
        met = "yes" if over <= OVERHEAD_TARGET_MS else "**no**"
        lines.append(
            f"| {path} | {_p50(runs, path):.1f} | {_p95(runs, path):.1f} | {over:+.1f} ms | {met} |"
        )
    rss = statistics.median(r.rss_mb for r in runs)
    peak = max(r.peak_mb for r in runs)
    met = "yes" if peak <= RSS_TARGET_MB else "**no**"
    lines += [
        "",
        f"Gateway memory with both channels on: RSS {rss:.0f} MB (median after each run), "
        f"peak {peak:.0f} MB (target ≤ {RSS_TARGET_MB:.0f} MB: {met}).",
        "",
        "<details><summary>Per-run figures</summary>",
        "",
    ]
    for number, run in enumerate(runs, 1):
        figures = ", ".join(f"{f.path} p50 {f.p50:.1f} / p95 {f.p95:.1f} ms" for f in run.paths)
        lines.append(f"- run {number}: {figures}; gateway RSS {run.rss_mb:.0f} MB")
    return [*lines, "", "</details>"]


def main(argv: list[str] | None = None) -> int:
    """Measure and write the section."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--turns", type=int, default=100)
    parser.add_argument("--doc", type=Path, default=PROJECT_ROOT / "docs" / "PERFORMANCE.md")
    options = parser.parse_args(argv)
    run_dir = PROJECT_ROOT / "var" / "bench" / f"channels-{int(time.time())}"
    print(f"channels: {options.runs} runs × {options.turns} turns per path …", flush=True)
    runs = measure(run_dir, options.runs, options.turns)
    lines = report(runs, options.turns, argv)
    write_section("channels", "\n".join(lines), options.doc)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
