"""Ingest files and folders into the store, incrementally.

A manifest (`data_dir/knowledge/manifest-<collection>.json`) remembers each file's
fingerprint (its bytes, its course.yml, the model and the tokenizer) and chunk ids. On
re-ingest unchanged files are skipped, changed files replace their chunks, and files that
disappeared from an ingested folder lose theirs. A manifest entry whose chunks are missing
from the store is re-ingested, so a wiped store heals itself.

Encoding runs on the calling thread while a writer thread tokenises and stores the previous
batch, so ingest runs close to the raw speed of `model.encode`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import queue
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from knowledge import chunking, loaders
from knowledge.config import KnowledgeConfig
from knowledge.documents import Chunk
from knowledge.embeddings import Embedder
from knowledge.store import Store
from knowledge.text import token_version, tokenize

log = logging.getLogger(__name__)
PIPELINE_BATCH = 512


@dataclass
class IngestReport:
    """What an ingest did."""

    files: int = 0
    chunks: int = 0
    skipped: list[loaders.LoadError] = field(default_factory=list)
    seconds: float = 0.0
    unchanged: int = 0
    removed: int = 0

    def summary(self) -> str:
        """One line: files, chunks, seconds (and what was unchanged, removed, skipped)."""
        return (
            f"Ingested {self.files} files ({self.chunks} chunks) in {self.seconds:.1f} s; "
            f"{self.unchanged} unchanged, {self.removed} removed, {len(self.skipped)} skipped."
        )


def _fingerprint(path: Path, config: KnowledgeConfig, stopwords: frozenset[str]) -> str:
    digest = hashlib.sha256(path.read_bytes())
    course_yml = path.parent.parent / "course.yml"
    if path.parent.name == "lessons" and course_yml.is_file():
        digest.update(course_yml.read_bytes())
    # Stop words shape both the lexical tokens and what an English-only model sees of Indic text.
    tokens = token_version(stopwords)
    settings = f"{config.model_name}|{tokens}|{chunking.VERSION}|{config.reads_indic}"
    digest.update(settings.encode())
    return digest.hexdigest()


class Manifest:
    """Fingerprints and chunk ids of ingested files, saved as JSON."""

    def __init__(self, path: Path) -> None:
        """Load the manifest at `path` (empty if missing or unreadable)."""
        self.path = path
        self.files: dict[str, dict[str, Any]] = {}
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            self.files = dict(data.get("files", {}))
        except (OSError, ValueError, AttributeError):
            self.files = {}

    def save(self) -> None:
        """Write atomically."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"files": self.files}, ensure_ascii=False), encoding="utf-8")
        tmp.replace(self.path)

    def under(self, roots: Iterable[Path]) -> list[str]:
        """Entries inside (or equal to) any of `roots`."""
        prefixes = [r.as_posix() for r in roots]
        return [
            key
            for key in self.files
            if any(key == p or key.startswith(p.rstrip("/") + "/") for p in prefixes)
        ]


def manifest_path(config: KnowledgeConfig) -> Path:
    """Where the manifest of the configured collection lives."""
    where = hashlib.sha256(f"{config.chroma_url}|{config.collection}".encode()).hexdigest()[:8]
    return config.kb_dir / f"manifest-{config.collection}-{where}.json"


def _progress(total: int, show: bool | None) -> Any:
    show = sys.stderr.isatty() if show is None else show
    if not show:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="file", desc="ingest", leave=False)


def _metadata(chunk: Chunk, stopwords: frozenset[str]) -> dict[str, Any]:
    meta = {k: v for k, v in chunk.metadata.items() if v is not None}
    meta["tokens"] = " ".join(tokenize(chunk.index_text, stopwords))
    meta["tok_version"] = token_version(stopwords)
    return meta


def ingest(
    paths: Iterable[Path | str],
    config: KnowledgeConfig,
    *,
    store: Store | None = None,
    embedder: Embedder | None = None,
    stopwords: frozenset[str] | None = None,
    progress: bool | None = None,
) -> IngestReport:
    """Ingest files and folders.

    Args:
        paths: Files or folders (Markdown, text, HTML, PDF, DOCX).
        config: Where the store is and which model embeds.
        store: The store (default: one from `config`).
        embedder: The embedder (default: one from `config`).
        stopwords: Stop words left out of the lexical tokens (default: the glossary's).
        progress: Show a progress bar (default: when stderr is a terminal).

    Returns:
        The report; bad files are in `report.skipped`, each with its reason.
    """
    started = time.perf_counter()
    store = store or Store(config)
    embedder = embedder or Embedder(config)
    if stopwords is None:
        from knowledge.glossary import load as load_glossary

        stopwords = load_glossary().stopwords
    roots = [Path(p).expanduser().resolve() for p in paths]
    loaders.clear_cache()
    files, problems = loaders.discover(roots)
    report = IngestReport(skipped=list(problems))
    manifest = Manifest(manifest_path(config))
    _check_model(store, config, manifest)
    stored = store.ids()

    found = {f.as_posix() for f in files}
    gone = [key for key in manifest.under(roots) if key not in found]
    for key in gone:
        store.delete(manifest.files.pop(key).get("chunks", []))
    report.removed = len(gone)

    bar = _progress(len(files), progress)
    pending: list[tuple[str, str, list[Chunk]]] = []
    for number, path in enumerate(files, 1):
        key = path.as_posix()
        entry = manifest.files.get(key)
        try:
            fingerprint = _fingerprint(path, config, stopwords)
            if (
                entry
                and entry.get("fingerprint") == fingerprint
                and stored.issuperset(entry.get("chunks", []))
            ):
                report.unchanged += 1
            else:
                chunks = chunking.split(loaders.load(path))
                pending.append((key, fingerprint, chunks))
        except (loaders.LoadError, OSError) as exc:
            error = exc if isinstance(exc, loaders.LoadError) else loaders.LoadError(path, str(exc))
            report.skipped.append(error)
            if entry:
                store.delete(manifest.files.pop(key).get("chunks", []))
                report.removed += 1
        if bar is not None:
            bar.update(1)
        elif number % 200 == 0:
            log.info("ingest: read %d/%d files", number, len(files))
    if bar is not None:
        bar.close()
    for error in report.skipped:
        log.warning("skipped %s: %s", error.path, error.reason)

    chunks = [c for _, _, file_chunks in pending for c in file_chunks]
    _write(chunks, store, embedder, stopwords, progress)
    for key, fingerprint, file_chunks in pending:
        old = set(manifest.files.get(key, {}).get("chunks", []))
        new = [c.id for c in file_chunks]
        store.delete(sorted(old - set(new)))
        manifest.files[key] = {"fingerprint": fingerprint, "chunks": new}
    if pending or gone or report.removed:
        store.touch()
    manifest.save()
    report.files = len(pending)
    report.chunks = len(chunks)
    report.seconds = time.perf_counter() - started
    return report


def _check_model(store: Store, config: KnowledgeConfig, manifest: Manifest) -> None:
    """Start afresh when the collection was embedded by another model."""
    meta = store.collection.metadata or {}
    previous = meta.get("model")
    if previous and previous != config.model_name and store.count():
        log.warning("embedding model changed (%s → %s): re-ingesting", previous, config.model_name)
        store.reset()
        manifest.files.clear()
    if previous != config.model_name:
        store.collection.modify(metadata={"kb_version": "0", "model": config.model_name})


def _batches(chunks: list[Chunk]) -> Iterator[list[Chunk]]:
    for start in range(0, len(chunks), PIPELINE_BATCH):
        yield chunks[start : start + PIPELINE_BATCH]


def _write(
    chunks: list[Chunk],
    store: Store,
    embedder: Embedder,
    stopwords: frozenset[str],
    progress: bool | None,
) -> None:
    """Embed (this thread) and store (writer thread) chunks, longest-first batches."""
    if not chunks:
        return
    ordered = sorted(chunks, key=lambda c: len(c.index_text), reverse=True)
    work: queue.Queue[tuple[list[Chunk], np.ndarray] | None] = queue.Queue(maxsize=2)
    failure: list[BaseException] = []

    def writer() -> None:
        while (item := work.get()) is not None:
            if failure:
                continue
            batch, vectors = item
            try:
                store.add(
                    [c.id for c in batch],
                    [c.text for c in batch],
                    [_metadata(c, stopwords) for c in batch],
                    vectors,
                )
            except BaseException as exc:
                failure.append(exc)

    thread = threading.Thread(target=writer, name="ingest-writer", daemon=True)
    thread.start()
    bar = _progress(0, progress)
    if bar is not None:
        bar.reset(total=len(ordered))
        bar.unit, bar.desc = "chunk", "embed"
    try:
        for done, batch in enumerate(_batches(ordered), 1):
            if failure:
                break
            vectors = embedder.encode_passages([c.index_text for c in batch])
            work.put((batch, vectors))
            if bar is not None:
                bar.update(len(batch))
            else:
                log.info(
                    "ingest: embedded %d/%d chunks",
                    min(done * PIPELINE_BATCH, len(ordered)),
                    len(ordered),
                )
    finally:
        work.put(None)
        thread.join()
        if bar is not None:
            bar.close()
    if failure:
        raise failure[0]
