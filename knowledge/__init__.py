"""Karmabot's knowledge base: cited answers from course content, in the learner's language.

Ingest (loaders, chunking, embeddings, Chroma store), hybrid retrieval (dense + BM25 with
rank fusion, Indic-aware tokens, glossary expansion) and extractive answers with citations
and abstention. Importing this package loads nothing heavy; use `KnowledgeBase`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from knowledge.base import Knowledge, KnowledgeBase
    from knowledge.config import KnowledgeConfig
    from knowledge.documents import Answer, Citation
    from knowledge.ingest import IngestReport

__all__ = ["Answer", "Citation", "IngestReport", "Knowledge", "KnowledgeBase", "KnowledgeConfig"]

_WHERE = {
    "Knowledge": "knowledge.base",
    "KnowledgeBase": "knowledge.base",
    "KnowledgeConfig": "knowledge.config",
    "Answer": "knowledge.documents",
    "Citation": "knowledge.documents",
    "IngestReport": "knowledge.ingest",
}


def __getattr__(name: str) -> Any:
    """Import public names on first use, so `import knowledge` stays instant."""
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(name)
