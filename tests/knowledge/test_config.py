"""Configuration: offline model, E5 prefixes; nothing loads eagerly (settings: bot/container)."""

from __future__ import annotations

from pathlib import Path

from knowledge.base import KnowledgeBase
from knowledge.config import KnowledgeConfig, offline_model_path
from knowledge.embeddings import Embedder


def test_default_model_is_the_bundled_offline_copy() -> None:
    bundled = offline_model_path()
    assert bundled is not None and (bundled / "modules.json").is_file()
    assert KnowledgeConfig().model_path == str(bundled)
    assert not KnowledgeConfig().reads_indic


def test_e5_models_get_query_and_passage_prefixes() -> None:
    e5 = Embedder(KnowledgeConfig(model_name="intfloat/multilingual-e5-small"))
    assert e5.prepare("मिशन कर्मयोगी", query=True) == "query: मिशन कर्मयोगी"
    assert e5.prepare("text", query=False) == "passage: text"
    plain = Embedder(KnowledgeConfig())
    assert plain.prepare("What is RTI?", query=True) == "What is RTI?"
    assert plain.prepare("मिशन कर्मयोगी क्या है", query=False) == "mishan karmayogi"


def test_construction_loads_and_opens_nothing(tmp_path: Path) -> None:
    kb = KnowledgeBase(
        KnowledgeConfig(data_dir=tmp_path, model_name="no/such-model"),
        embedder=Embedder(KnowledgeConfig(model_name="no/such-model")),
    )
    assert not kb.embedder.loaded
    assert not (tmp_path / "knowledge").exists()
