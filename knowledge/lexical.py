"""The lexical (BM25) side of retrieval, built from the tokens stored with each chunk.

bm25s keeps the index as a sparse matrix, so a query costs well under a millisecond at
50,000 chunks. Besides the index, only compact per-chunk facts are kept in memory (course,
lesson, language, section), used for filters and for finding a passage's translation.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from knowledge.store import Record
from knowledge.text import token_version, tokenize


@dataclass(frozen=True)
class Entry:
    """What the index remembers about one chunk."""

    id: str
    course: str
    lesson: str
    language: str
    section: int
    part: int


def record_tokens(record: Record, stopwords: frozenset[str]) -> list[str]:
    """The chunk's stored tokens, or fresh ones when they were made by another tokenizer."""
    meta = record.metadata
    current = meta.get("tok_version") == token_version(stopwords)
    if current and isinstance(meta.get("tokens"), str):
        return str(meta["tokens"]).split()
    title = str(meta.get("title") or "")
    text = record.text if not title or title in record.text else f"{title}\n{record.text}"
    return tokenize(text, stopwords)


class LexicalIndex:
    """BM25 over every chunk, with document frequencies for weighting query words."""

    def __init__(self, records: Iterable[Record], stopwords: frozenset[str]) -> None:
        """Index `records` (their stored tokens); an empty index answers nothing."""
        import bm25s

        self.entries: list[Entry] = []
        corpus: list[list[str]] = []
        self.df: Counter[str] = Counter()
        for record in records:
            tokens = record_tokens(record, stopwords)
            meta = record.metadata
            self.entries.append(
                Entry(
                    record.id,
                    str(meta.get("course") or ""),
                    str(meta.get("lesson") or ""),
                    str(meta.get("language") or ""),
                    int(meta.get("section") or 0),
                    int(meta.get("part") or 0),
                )
            )
            corpus.append(tokens or ["\u2205"])
            self.df.update(set(tokens))
        self.size = len(self.entries)
        self.position = {e.id: i for i, e in enumerate(self.entries)}
        self._languages = np.array([e.language for e in self.entries], dtype=object)
        self._courses = np.array([e.course for e in self.entries], dtype=object)
        self._parallel = {
            (e.course, e.lesson, e.section, e.part, e.language): e.id
            for e in self.entries
            if e.lesson
        }
        self._bm25 = bm25s.BM25()
        if corpus:
            self._bm25.index(corpus, show_progress=False)

    def idf(self, token: str) -> float:
        """Inverse document frequency (a word in no chunk weighs as much as one in one chunk)."""
        df = max(self.df.get(token, 0), 1)
        return math.log(1.0 + (self.size - df + 0.5) / (df + 0.5))

    def mask(self, course: str | None, languages: Sequence[str] | None) -> np.ndarray | None:
        """A 0/1 weight per chunk for the filters, or None without filters."""
        if not course and not languages:
            return None
        keep = np.ones(self.size, dtype=bool)
        if course:
            keep &= self._courses == course
        if languages:
            keep &= np.isin(self._languages, list(languages))
        return keep.astype(np.float32)

    def language(self, chunk_id: str) -> str | None:
        """The content language of a chunk (None if unknown)."""
        index = self.position.get(chunk_id)
        return None if index is None else self.entries[index].language

    def allows(self, chunk_id: str, course: str | None, languages: Sequence[str] | None) -> bool:
        """Whether a chunk passes the course and language filters."""
        index = self.position.get(chunk_id)
        if index is None:
            return False
        entry = self.entries[index]
        if course and entry.course != course:
            return False
        return not languages or entry.language in languages

    def search(
        self, tokens: Sequence[str], n: int, mask: np.ndarray | None = None
    ) -> list[tuple[str, float]]:
        """The best `n` chunks for `tokens` as (id, BM25 score), best first; zeros left out."""
        known = [t for t in tokens if t in self._bm25.vocab_dict]  # repeats weigh more
        if not known or self.size == 0:
            return []
        scores = self._bm25.get_scores(known, weight_mask=mask)
        n = min(n, self.size)
        top = np.argpartition(-scores, n - 1)[:n] if n < self.size else np.arange(self.size)
        ranked = sorted(top.tolist(), key=lambda i: -scores[i])
        return [(self.entries[i].id, float(scores[i])) for i in ranked if scores[i] > 0]

    def parallel(self, chunk_id: str, language: str) -> str | None:
        """The same lesson section and part in another language, if that variant exists."""
        index = self.position.get(chunk_id)
        if index is None:
            return None
        e = self.entries[index]
        if not e.lesson:
            return None
        found = self._parallel.get((e.course, e.lesson, e.section, e.part, language))
        return found or self._parallel.get((e.course, e.lesson, e.section, 0, language))
