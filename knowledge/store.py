"""The vector store: one Chroma collection, local (persistent) or on a Chroma server.

`CHROMA_URL` unset: a `PersistentClient` under `data_dir/knowledge/chroma`; set: an
`HttpClient`; "memory": an in-process store that is not saved. The client is created on
first use. Each chunk is stored with its embedding, its text, its citation metadata and its
lexical tokens, so the BM25 index can be rebuilt from the store alone. The collection's
`kb_version` changes on every write, which tells readers to refresh.
"""

from __future__ import annotations

import contextlib
import threading
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

import numpy as np

from knowledge.config import KnowledgeConfig

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.api.models.Collection import Collection

    from knowledge.embeddings import Embedder

PAGE = 2000


@dataclass(frozen=True)
class Record:
    """A stored chunk: id, text, metadata and (for queries) the cosine similarity."""

    id: str
    text: str
    metadata: dict[str, Any]
    similarity: float = 0.0


#: Chroma keeps one client system per path for the whole process, and setting it up is not
#: thread-safe: clients and collections are opened under this lock.
_OPENING = threading.RLock()


class Store:
    """A thin wrapper over a Chroma collection (cosine space, embeddings supplied by us)."""

    def __init__(self, config: KnowledgeConfig) -> None:
        """Remember where the store is; nothing is opened yet."""
        self.config = config
        self._client: ClientAPI | None = None
        self._collection: Collection | None = None
        #: How many times this process marked the collection changed (see `touch`).
        self.touches = 0

    @property
    def client(self) -> ClientAPI:
        """The Chroma client, created on first use (once, even from several threads)."""
        with _OPENING:
            return self._open()

    def _open(self) -> ClientAPI:
        if self._client is None:
            import chromadb
            from chromadb.config import Settings

            settings = Settings(anonymized_telemetry=False, allow_reset=True)
            url = self.config.chroma_url
            if url == "memory":
                self._client = chromadb.EphemeralClient(settings=settings)
            elif url:
                parts = urlparse(url if "://" in url else f"http://{url}")
                self._client = chromadb.HttpClient(
                    host=parts.hostname or "localhost",
                    port=parts.port or (443 if parts.scheme == "https" else 8000),
                    ssl=parts.scheme == "https",
                    settings=settings,
                )
            else:
                self.config.chroma_path.mkdir(parents=True, exist_ok=True)
                self._client = chromadb.PersistentClient(
                    path=str(self.config.chroma_path), settings=settings
                )
        return self._client

    @property
    def collection(self) -> Collection:
        """The knowledge collection, created if missing."""
        if self._collection is None:
            client = self.client
            with _OPENING:
                if self._collection is not None:
                    return self._collection
                self._collection = client.get_or_create_collection(
                    self.config.collection,
                    embedding_function=None,
                    configuration={"hnsw": {"space": "cosine", "ef_search": 64}},
                    metadata={"kb_version": "0"},
                )
        return self._collection

    def version(self) -> str:
        """A value that changes whenever the collection is written to ("0" before any ingest)."""
        collection = self.collection if self._collection is None else None
        if collection is None:  # re-read: another process may have written since
            collection = self.client.get_collection(self.config.collection, embedding_function=None)
        return str((collection.metadata or {}).get("kb_version", "0"))

    def touch(self) -> None:
        """Mark the collection as changed (readers refresh their lexical index)."""
        self.collection.modify(metadata={"kb_version": uuid.uuid4().hex})
        self.touches += 1

    def count(self) -> int:
        """How many chunks are stored."""
        return self.collection.count()

    def add(
        self,
        ids: Sequence[str],
        texts: Sequence[str],
        metadatas: Sequence[dict[str, Any]],
        embeddings: np.ndarray,
    ) -> None:
        """Store chunks (ids new or replaced), in batches the server accepts."""
        size = min(self.client.get_max_batch_size(), 5000)
        for start in range(0, len(ids), size):
            end = start + size
            self.collection.upsert(
                ids=list(ids[start:end]),
                documents=list(texts[start:end]),
                metadatas=list(metadatas[start:end]),
                embeddings=embeddings[start:end],
            )

    def delete(self, ids: Sequence[str]) -> None:
        """Remove chunks by id (unknown ids are ignored)."""
        size = 5000
        for start in range(0, len(ids), size):
            self.collection.delete(ids=list(ids[start : start + size]))

    def ids(self) -> set[str]:
        """Every stored chunk id."""
        found: set[str] = set()
        offset = 0
        while True:
            page = self.collection.get(include=[], limit=PAGE * 5, offset=offset)
            found.update(page["ids"])
            if len(page["ids"]) < PAGE * 5:
                return found
            offset += PAGE * 5

    def scan(self) -> Iterator[Record]:
        """Every stored chunk with its text and metadata, page by page."""
        offset = 0
        while True:
            page = self.collection.get(
                include=["documents", "metadatas"], limit=PAGE, offset=offset
            )
            docs, metas = page["documents"] or [], page["metadatas"] or []
            for chunk_id, text, meta in zip(page["ids"], docs, metas, strict=True):
                yield Record(chunk_id, text or "", dict(meta or {}))
            if len(page["ids"]) < PAGE:
                return
            offset += PAGE

    def get(self, ids: Sequence[str]) -> dict[str, Record]:
        """Chunks by id (missing ids are left out)."""
        if not ids:
            return {}
        page = self.collection.get(ids=list(ids), include=["documents", "metadatas"])
        docs, metas = page["documents"] or [], page["metadatas"] or []
        return {
            i: Record(i, t or "", dict(m or {}))
            for i, t, m in zip(page["ids"], docs, metas, strict=True)
        }

    def nearest(
        self, vector: np.ndarray, n: int, where: dict[str, Any] | None = None
    ) -> list[tuple[str, float]]:
        """The ids of the `n` chunks nearest to `vector`, with their cosine similarity."""
        if n <= 0:
            return []
        result = self.collection.query(
            query_embeddings=[vector], n_results=n, where=where, include=["distances"]
        )
        ids = result["ids"][0]
        dists = (result["distances"] or [[]])[0]
        return [(i, 1.0 - float(d)) for i, d in zip(ids, dists, strict=True)]

    def similarities(self, vector: np.ndarray, ids: Sequence[str]) -> dict[str, float]:
        """Cosine similarity of `vector` to the stored embeddings of `ids`."""
        if not ids:
            return {}
        page = self.collection.get(ids=list(ids), include=["embeddings"])
        embeddings = page["embeddings"]
        if embeddings is None or len(embeddings) == 0:
            return {}
        matrix = np.asarray(embeddings, dtype=np.float32)
        return dict(zip(page["ids"], (matrix @ vector).tolist(), strict=True))

    def reset(self) -> None:
        """Delete the collection and everything in it."""
        with contextlib.suppress(Exception):  # a missing collection is already reset
            self.client.delete_collection(self.config.collection)
        self._collection = None

    def as_vectorstore(self, embedder: Embedder) -> Any:
        """The same collection as a LangChain `Chroma` vector store."""
        from langchain_chroma import Chroma

        return Chroma(
            client=self.client,
            collection_name=self.config.collection,
            embedding_function=embedder,
        )
