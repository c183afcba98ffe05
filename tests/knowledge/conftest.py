"""Knowledge-base fixtures: the offline model loads once per session; stores live in tmp dirs."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from knowledge.base import KnowledgeBase
from knowledge.config import KnowledgeConfig
from knowledge.embeddings import Embedder, shared_embedder

FIXTURES = Path(__file__).parent / "fixtures"
CORPUS = FIXTURES / "kb"

MakeKB = Callable[..., KnowledgeBase]


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    """The offline model, shared by every knowledge base in the session."""
    return shared_embedder(KnowledgeConfig())


@pytest.fixture
def make_kb(tmp_path: Path, embedder: Embedder) -> MakeKB:
    """A factory for empty knowledge bases under this test's tmp dir."""

    def make(**changes: object) -> KnowledgeBase:
        config = KnowledgeConfig(data_dir=tmp_path / "data").with_(**changes)
        return KnowledgeBase(config, embedder=embedder)

    return make


@pytest.fixture(scope="session")
def kb(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> KnowledgeBase:
    """A knowledge base with the fixture corpus ingested (read-only for tests)."""
    config = KnowledgeConfig(data_dir=tmp_path_factory.mktemp("kb"))
    base = KnowledgeBase(config, embedder=embedder)
    report = base.ingest([CORPUS], progress=False)
    assert not report.skipped, report.skipped
    return base


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Path:
    """A writable copy of the fixture corpus."""
    target = tmp_path / "corpus"
    shutil.copytree(CORPUS, target)
    return target
