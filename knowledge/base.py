"""`KnowledgeBase`: the one object the rest of Karmabot uses (ingest, ask, gaps).

Everything inside is created lazily: constructing a `KnowledgeBase` touches neither the disk
nor the network, and the embedding model loads on the first ingest or question.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property
from pathlib import Path
from typing import Protocol

from knowledge.answer import Answerer, Generator
from knowledge.config import KnowledgeConfig
from knowledge.documents import Answer
from knowledge.embeddings import Embedder, shared_embedder
from knowledge.gaps import Gap, GapLog
from knowledge.glossary import Glossary
from knowledge.glossary import load as load_glossary
from knowledge.ingest import IngestReport, ingest
from knowledge.retrieval import Mode, Retriever
from knowledge.store import Store


class Knowledge(Protocol):
    """What the assistant needs from a knowledge base (actions depend on this only)."""

    def ask(
        self,
        question: str,
        language: str | None = None,
        course: str | None = None,
        *,
        prefer_course: str | None = None,
        log_gap: bool = True,
    ) -> Answer:
        """Answer a learner's question, cited, or abstain; `prefer_course` is tried first;
        an abstention goes to the gaps log when `log_gap`."""
        ...


class KnowledgeBase:
    """Ingest, retrieval and answers over one store, configured by `KnowledgeConfig`."""

    def __init__(
        self,
        config: KnowledgeConfig,
        *,
        embedder: Embedder | None = None,
        generator: Generator | None = None,
        glossary: Glossary | None = None,
    ) -> None:
        """Wire the parts. `embedder` lets several bases share one loaded model."""
        self.config = config
        self.embedder = embedder or shared_embedder(self.config)
        self._generator = generator
        self._glossary = glossary

    @cached_property
    def store(self) -> Store:
        """The vector store."""
        return Store(self.config)

    @cached_property
    def glossary(self) -> Glossary:
        """The glossary (knowledge/glossary.yml unless another was given)."""
        return self._glossary or load_glossary()

    @cached_property
    def retriever(self) -> Retriever:
        """The hybrid retriever."""
        return Retriever(self.config, self.store, self.embedder, self.glossary)

    @cached_property
    def gaps(self) -> GapLog:
        """The log of unanswered questions."""
        return GapLog(self.config.kb_dir / "gaps.sqlite3")

    @cached_property
    def answerer(self) -> Answerer:
        """Answers with citations (LLM generation only when a model is configured)."""
        generator = self._generator
        if generator is None and self.config.llm_model:
            from knowledge.generate import ChatGenerator

            generator = ChatGenerator(self.config.llm_model)
        return Answerer(self.config, self.retriever, self.gaps, generator)

    def ingest(self, paths: Iterable[Path | str], progress: bool | None = None) -> IngestReport:
        """Ingest files or folders (see `knowledge.ingest.ingest`)."""
        return ingest(
            paths,
            self.config,
            store=self.store,
            embedder=self.embedder,
            stopwords=self.glossary.stopwords,
            progress=progress,
        )

    def ask(
        self,
        question: str,
        language: str | None = None,
        course: str | None = None,
        mode: Mode = "hybrid",
        languages: tuple[str, ...] | None = None,
        log_gap: bool = True,
        depth: int = 5,
        *,
        prefer_course: str | None = None,
    ) -> Answer:
        """Answer a question (see `knowledge.answer.Answerer.ask`)."""
        return self.answerer.ask(
            question, language, course, mode, languages, log_gap, depth, prefer_course
        )

    def is_empty(self) -> bool:
        """Whether nothing has been ingested yet (`make run` ingests the samples then)."""
        return self.store.count() == 0

    def unanswered(self, limit: int = 50) -> list[Gap]:
        """Unanswered questions, most frequent first."""
        return self.gaps.top(limit)
