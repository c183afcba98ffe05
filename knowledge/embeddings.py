"""Sentence embeddings with sentence-transformers, loaded once and only when first needed.

An English-only model (the offline default) cannot read Indian scripts, so for it Indic text
is romanized before encoding, on both sides: "कर्मयोगी" and "karmayogi" then land near each
other. E5 models get their "query: " / "passage: " prefixes.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from langchain_core.embeddings import Embeddings

from knowledge.config import KnowledgeConfig
from knowledge.text import dominant_script, plain_latin

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

_LATIN_OR_NONE = {None, "Latn"}
_QUERY_CACHE = 512


class Embedder(Embeddings):
    """Encodes passages and queries; the model loads on first use (never in the constructor)."""

    def __init__(self, config: KnowledgeConfig) -> None:
        """Remember the configuration; nothing is loaded yet."""
        self.config = config
        self._model: SentenceTransformer | None = None
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._stopwords: frozenset[str] | None = None

    @property
    def stopwords(self) -> frozenset[str]:
        """Stop words dropped from romanized text (the glossary's)."""
        if self._stopwords is None:
            from knowledge.glossary import load

            self._stopwords = load().stopwords
        return self._stopwords

    @property
    def loaded(self) -> bool:
        """Whether the model has been loaded."""
        return self._model is not None

    @property
    def model(self) -> SentenceTransformer:
        """The sentence-transformers model, loaded on first access (thread-safe, once)."""
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load()
        return self._model

    def _load(self) -> SentenceTransformer:
        target = self.config.model_path
        if Path(target).is_dir():
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        from sentence_transformers import SentenceTransformer

        return SentenceTransformer(target, device=self.config.device)

    @property
    def dimension(self) -> int:
        """The embedding size."""
        size = self.model.get_sentence_embedding_dimension()
        return int(size or 0)

    def prepare(self, text: str, query: bool) -> str:
        """The exact text the model sees: romanized if it cannot read the script, prefixed."""
        if not self.config.reads_indic and dominant_script(text) not in _LATIN_OR_NONE:
            text = plain_latin(text, self.stopwords)
        prefix = self.config.query_text_prefix if query else self.config.passage_text_prefix
        return prefix + text

    def encode_passages(
        self, texts: Sequence[str], batch_size: int | None = None, prepared: bool = False
    ) -> np.ndarray:
        """Unit-length float32 embeddings of passages, shape (len(texts), dimension)."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        inputs = list(texts) if prepared else [self.prepare(t, query=False) for t in texts]
        vectors = self.model.encode(
            inputs,
            batch_size=batch_size or self.config.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def encode_query(self, text: str) -> np.ndarray:
        """The unit-length embedding of one query (recent queries are cached)."""
        prepared = self.prepare(text, query=True)
        cached = self._cache.get(prepared)
        if cached is not None:
            self._cache.move_to_end(prepared)
            return cached
        vector = self.model.encode(
            prepared, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )
        result = np.asarray(vector, dtype=np.float32)
        self._cache[prepared] = result
        if len(self._cache) > _QUERY_CACHE:
            self._cache.popitem(last=False)
        return result

    # LangChain's Embeddings interface, so the store also works as a LangChain vector store.
    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """LangChain: embeddings of passages."""
        return [list(map(float, v)) for v in self.encode_passages(texts)]

    def embed_query(self, text: str) -> list[float]:
        """LangChain: the embedding of a query."""
        return [float(x) for x in self.encode_query(text)]

    def __getstate__(self) -> dict[str, Any]:
        """Pickle without the model (it is reloaded lazily)."""
        return {"config": self.config}

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Restore an unloaded embedder."""
        self.__init__(state["config"])  # type: ignore[misc]


_SHARED: dict[tuple[object, ...], Embedder] = {}
_SHARED_LOCK = threading.Lock()


def shared_embedder(config: KnowledgeConfig) -> Embedder:
    """One embedder per model and its conventions in this process (the model loads once)."""
    key = (
        config.model_path,
        config.device,
        config.query_text_prefix,
        config.passage_text_prefix,
        config.reads_indic,
        config.batch_size,
    )
    with _SHARED_LOCK:
        if key not in _SHARED:
            _SHARED[key] = Embedder(config)
        return _SHARED[key]
