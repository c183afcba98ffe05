"""Hybrid retrieval: dense (Chroma) and lexical (BM25) lists merged by reciprocal rank fusion.

1. Both lists are `config.candidates` deep. In the fusion the dense list weighs less when
   the model cannot read the question (an English-only model and a Hindi question).
2. The best `RERANK_DEPTH` fused passages are re-ordered by confidence (coverage of the
   question's words, in any script, plus dense similarity; see `knowledge.confidence`).
3. The learner's language is preferred, not required: a passage in it gets a small boost,
   and a lesson passage found in another language is replaced by its translation into the
   learner's language when the lesson has one.

Filters: `course` keeps one course; `languages` keeps only some content languages.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from knowledge import confidence as conf
from knowledge.config import KnowledgeConfig
from knowledge.documents import Hit
from knowledge.embeddings import Embedder
from knowledge.glossary import Glossary
from knowledge.lexical import LexicalIndex
from knowledge.query import QueryPlan, plan
from knowledge.store import Store

#: How old the last read of the store's version may be before it is read again (seconds).
VERSION_CHECK_SECONDS = 1.0

Mode = Literal["hybrid", "dense", "bm25"]
MODES: tuple[Mode, ...] = ("hybrid", "dense", "bm25")
RRF_K = 60
LANGUAGE_BOOST = 1.15
#: Weight of the dense list when the model cannot read the question's language (an
#: English-only model and a Hindi, Tamil or romanized-Hindi question): it still helps, but
#: its ranks are far less reliable than BM25's over tokens in the learner's own script.
#: Hybrid results: the first RERANK_DEPTH fused passages are re-ordered by confidence.
RERANK_DEPTH = 10
TIE_BREAK = 0.05
UNREAD_DENSE_WEIGHT = 0.3


@dataclass(frozen=True)
class Filters:
    """Restrictions on what may be retrieved."""

    course: str | None = None
    languages: tuple[str, ...] | None = None

    def where(self) -> dict[str, object] | None:
        """The same restrictions as a Chroma `where` clause."""
        clauses: list[dict[str, object]] = []
        if self.course:
            clauses.append({"course": self.course})
        if self.languages:
            clauses.append({"language": {"$in": list(self.languages)}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}


class Retriever:
    """Searches the store; the lexical index is rebuilt when the store changes."""

    def __init__(
        self, config: KnowledgeConfig, store: Store, embedder: Embedder, glossary: Glossary
    ) -> None:
        """Wire the parts; nothing is loaded until the first search."""
        self.config = config
        self.store = store
        self.embedder = embedder
        self.glossary = glossary
        self._index: LexicalIndex | None = None
        self._version: str | None = None
        self._checked: tuple[float, int] = (float("-inf"), 0)
        self._lock = threading.Lock()

    @property
    def index(self) -> LexicalIndex:
        """The lexical index, current with the store.

        The store's version is read again when this process wrote to it, or when the last
        read is `VERSION_CHECK_SECONDS` old (another process's ingest shows within that): a
        question uses the index several times, and each read of the version is a query of
        Chroma's own database.
        """
        checked_at, touches = self._checked
        now = time.monotonic()
        fresh = now - checked_at < VERSION_CHECK_SECONDS and touches == self.store.touches
        if self._index is not None and fresh:
            return self._index
        self._checked = (now, self.store.touches)
        version = self.store.version()
        if self._index is None or version != self._version:
            with self._lock:
                if self._index is None or version != self._version:
                    self._index = LexicalIndex(self.store.scan(), self.glossary.stopwords)
                    self._version = version
        return self._index

    def reads(self, query: QueryPlan) -> bool:
        """Whether the embedding model understands the question as written."""
        return self.config.reads_indic or (
            query.language == "en" and query.script in (None, "Latn")
        )

    def plan(self, question: str, language: str = "") -> QueryPlan:
        """The question prepared for search (see `knowledge.query.plan`)."""
        return plan(question, self.glossary, self.config.reads_indic, language)

    def search(
        self,
        query: QueryPlan,
        filters: Filters = Filters(),
        mode: Mode = "hybrid",
        k: int = 10,
    ) -> list[Hit]:
        """Ranked passages for a planned question.

        Args:
            query: From `plan()`.
            filters: Course and content-language restrictions.
            mode: "hybrid" (default), "dense" or "bm25" (for evaluation).
            k: How many hits to return (each list is `config.candidates` deep before fusion).
        """
        if query.empty:
            return []
        index = self.index
        if index.size == 0:
            return []
        depth = min(self.config.candidates, index.size)
        dense: list[tuple[str, float]] = []
        if mode in ("hybrid", "dense"):
            vector = self.embedder.encode_query(query.dense_text)
            dense = self._dense(vector, depth, filters, index)
        lexical: list[tuple[str, float]] = []
        if mode in ("hybrid", "bm25"):
            mask = index.mask(filters.course, filters.languages)
            lexical = index.search(query.tokens, depth, mask)
        if mode != "hybrid":
            ranked = self._fuse(query, dense, lexical, k, index)
        else:
            fused = self._fuse(query, dense, lexical, max(k, RERANK_DEPTH), index)
            ranked = self._rerank(query, fused, index)[:k]
        if filters.languages and query.language not in filters.languages:
            return ranked
        return self._in_language(ranked, query.language, index)

    def _in_language(self, hits: list[Hit], language: str, index: LexicalIndex) -> list[Hit]:
        """Each lesson passage in the learner's language when the lesson has that version."""
        swaps = {
            h.id: other
            for h in hits
            if index.language(h.id) != language
            and (other := index.parallel(h.id, language)) is not None
        }
        if not swaps:
            return hits
        records = self.store.get(sorted(set(swaps.values())))
        out: list[Hit] = []
        seen: set[str] = set()
        for hit in hits:
            other = swaps.get(hit.id)
            if other in records:
                record = records[other]
                hit = replace(
                    hit, id=other, text=record.text, metadata=record.metadata, origin=hit.id
                )
            if hit.id not in seen:
                seen.add(hit.id)
                out.append(hit)
        return out

    def _rerank(self, query: QueryPlan, hits: list[Hit], index: LexicalIndex) -> list[Hit]:
        """Order the best fused passages by confidence; fusion order breaks near-ties."""
        head = self.score(query, hits[:RERANK_DEPTH])
        top = max((h.score for h in head), default=1.0) or 1.0

        def key(hit: Hit) -> float:
            return (hit.confidence or 0.0) + TIE_BREAK * hit.score / top

        return sorted(head, key=key, reverse=True) + hits[RERANK_DEPTH:]

    def score(self, query: QueryPlan, hits: Sequence[Hit]) -> list[Hit]:
        """The hits with their similarity to the question and their confidence filled in."""
        missing = [h.id for h in hits if h.similarity is None]
        sims: dict[str, float] = {}
        if missing:
            vector = self.embedder.encode_query(query.dense_text)
            sims = self.store.similarities(vector, missing)
        index = self.index
        scored = []
        for hit in hits:
            if hit.confidence is not None:
                scored.append(hit)
                continue
            similarity = hit.similarity if hit.similarity is not None else sims.get(hit.id)
            tokens = conf.passage_tokens(hit, self.glossary.stopwords)
            cover = conf.coverage(query, tokens, index)
            confidence = conf.blend(cover, similarity, self.reads(query))
            scored.append(replace(hit, similarity=similarity, confidence=confidence))
        return scored

    def _dense(
        self, vector: np.ndarray, depth: int, filters: Filters, index: LexicalIndex
    ) -> list[tuple[str, float]]:
        where = filters.where()
        if where is None:
            return self.store.nearest(vector, depth)
        found = self.store.nearest(vector, depth * 3)
        kept = [
            (cid, sim) for cid, sim in found if index.allows(cid, filters.course, filters.languages)
        ]
        if len(kept) < depth // 2:
            kept = self.store.nearest(vector, depth, where)
        return kept[:depth]

    def _fuse(
        self,
        query: QueryPlan,
        dense: Sequence[tuple[str, float]],
        lexical: Sequence[tuple[str, float]],
        k: int,
        index: LexicalIndex,
    ) -> list[Hit]:
        scores: dict[str, float] = {}
        dense_rank = {cid: rank for rank, (cid, _) in enumerate(dense, 1)}
        lexical_rank = {cid: rank for rank, (cid, _) in enumerate(lexical, 1)}
        dense_weight = 1.0 if self.reads(query) else UNREAD_DENSE_WEIGHT
        for weight, ranks in ((dense_weight, dense_rank), (1.0, lexical_rank)):
            for cid, rank in ranks.items():
                scores[cid] = scores.get(cid, 0.0) + weight / (RRF_K + rank)
        for cid in scores:
            if index.language(cid) == query.language:
                scores[cid] *= LANGUAGE_BOOST
        ranked = sorted(scores, key=lambda c: -scores[c])[:k]
        similarity = dict(dense)
        records = self.store.get(ranked)
        return [
            Hit(
                id=cid,
                text=records[cid].text,
                metadata=records[cid].metadata,
                score=scores[cid],
                dense_rank=dense_rank.get(cid),
                lexical_rank=lexical_rank.get(cid),
                similarity=similarity.get(cid),
            )
            for cid in ranked
            if cid in records
        ]
