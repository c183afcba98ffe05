"""The store works locally (persistent), in memory, and against a Chroma server (HttpClient)."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from knowledge.base import KnowledgeBase
from knowledge.config import KnowledgeConfig
from knowledge.embeddings import Embedder
from tests.fakes.server import free_port

from .chroma_server import chroma_server as running_chroma
from .conftest import CORPUS


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Chroma server on a free loopback port, from chromadb's own `chroma run`."""
    binary = shutil.which("chroma") or str(Path(sys.executable).with_name("chroma"))
    if not Path(binary).exists():
        pytest.skip("the chroma command is not installed")
    with running_chroma(tmp_path_factory.mktemp("chroma-server"), free_port()) as url:
        yield url


def test_chroma_server_when_chroma_url_is_set(
    chroma_server: str, tmp_path: Path, embedder: Embedder
) -> None:
    config = KnowledgeConfig(data_dir=tmp_path, chroma_url=chroma_server)
    kb = KnowledgeBase(config, embedder=embedder)
    assert kb.ingest([CORPUS / "notes"], progress=False).files == 3
    assert not (tmp_path / "knowledge/chroma").exists()
    assert "September 2020" in kb.ask("When was Mission Karmayogi launched?").text
    again = KnowledgeBase(config, embedder=embedder).ingest([CORPUS / "notes"], progress=False)
    assert (again.files, again.unchanged) == (0, 3)


def test_local_store_persists_under_the_data_dir(tmp_path: Path, embedder: Embedder) -> None:
    config = KnowledgeConfig(data_dir=tmp_path)
    KnowledgeBase(config, embedder=embedder).ingest([CORPUS / "notes"], progress=False)
    assert (tmp_path / "knowledge/chroma").is_dir()
    reopened = KnowledgeBase(config, embedder=embedder)
    assert not reopened.is_empty()
    assert reopened.ask("When was Mission Karmayogi launched?", log_gap=False).confident


def test_memory_store(tmp_path: Path, embedder: Embedder) -> None:
    config = KnowledgeConfig(data_dir=tmp_path, chroma_url="memory", collection="kb-memory-test")
    kb = KnowledgeBase(config, embedder=embedder)
    kb.ingest([CORPUS / "notes"], progress=False)
    assert kb.ask("What is iGOT Karmayogi?", log_gap=False).confident
    assert not (tmp_path / "knowledge/chroma").exists()


def test_a_never_ingested_store_answers_from_many_threads_without_errors(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from knowledge.config import KnowledgeConfig
    from knowledge.store import Store

    stores = [Store(KnowledgeConfig(data_dir=tmp_path)) for _ in range(6)]
    with ThreadPoolExecutor(6) as pool:
        versions = list(pool.map(lambda store: (store.version(), store.count()), stores))
    assert versions == [("0", 0)] * 6
