"""The three measurements: query latency, ingest throughput against raw encode, memory."""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from bench.knowledge.corpus import queries, write_corpus
from knowledge import chunking, loaders
from knowledge.base import KnowledgeBase
from knowledge.config import KnowledgeConfig


@dataclass(frozen=True)
class Latency:
    """One latency run: percentiles of answering and of retrieval only, in ms."""

    ask_p50: float
    ask_p95: float
    search_p50: float
    embed_p50: float


@dataclass(frozen=True)
class Throughput:
    """One throughput run on the same texts: chunks per second."""

    chunks: int
    raw: float
    ingest: float

    @property
    def ratio(self) -> float:
        """Ingest speed as a share of raw `model.encode` speed."""
        return self.ingest / self.raw


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def build_index(
    data: Path, chunks: int, chroma_url: str | None = None
) -> tuple[KnowledgeBase, float]:
    """The synthetic store of `chunks` chunks (built once, then reused), and build seconds;
    in a Chroma server when `chroma_url` is given, else the embedded store."""
    files = write_corpus(data / f"corpus-{chunks}", chunks)
    where = "server" if chroma_url else "store"
    config = KnowledgeConfig(data_dir=data / f"{where}-{chunks}", chroma_url=chroma_url)
    kb = KnowledgeBase(config)
    started = time.perf_counter()
    report = kb.ingest(files)
    print(f"  index: {report.summary()}", flush=True)
    return kb, time.perf_counter() - started


def latency(kb: KnowledgeBase, count: int, seed: int) -> Latency:
    """Answer `count` distinct questions (after a warm-up) and time them."""
    for question, language in queries(20, seed=seed + 1000):
        kb.ask(question, language=language, log_gap=False)
    asked, searched, embedded = [], [], []
    for question, language in queries(count, seed=seed):
        started = time.perf_counter()
        kb.ask(question, language=language, log_gap=False)
        asked.append(1000 * (time.perf_counter() - started))
    for question, language in queries(count, seed=seed + 500):
        query = kb.retriever.plan(question, language)
        started = time.perf_counter()
        kb.embedder.model.encode(query.dense_text, normalize_embeddings=True)
        embedded.append(1000 * (time.perf_counter() - started))
        started = time.perf_counter()
        kb.retriever.search(query)
        searched.append(1000 * (time.perf_counter() - started))
    return Latency(
        percentile(asked, 0.5),
        percentile(asked, 0.95),
        percentile(searched, 0.5),
        percentile(embedded, 0.5),
    )


def throughput(data: Path, chunks: int, run: int) -> Throughput:
    """Raw `model.encode` and full ingest on the same texts, in a fresh store."""
    files = write_corpus(data / f"throughput-{chunks}", chunks, seed=100 + run)
    store_dir = data / f"throughput-store-{run}"
    shutil.rmtree(store_dir, ignore_errors=True)
    kb = KnowledgeBase(KnowledgeConfig(data_dir=store_dir))
    texts = [
        kb.embedder.prepare(c.index_text, query=False)
        for path in files
        for c in chunking.split(loaders.load(path))
    ]
    kb.embedder.model.encode(texts[:64], batch_size=64)  # warm-up
    started = time.perf_counter()
    kb.embedder.model.encode(texts, batch_size=kb.config.batch_size)
    raw = len(texts) / (time.perf_counter() - started)
    report = kb.ingest(files, progress=False)
    shutil.rmtree(store_dir, ignore_errors=True)
    return Throughput(len(texts), raw, report.chunks / report.seconds)


def memory(store: Path) -> dict[str, float]:
    """RSS of a fresh process serving questions from `store`."""
    out = subprocess.run(
        [sys.executable, "-m", "bench.knowledge.rss", str(store)],
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def median(values: list[float]) -> float:
    """The median."""
    return statistics.median(values)
