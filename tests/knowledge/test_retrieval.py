"""Hybrid retrieval across languages and scripts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from knowledge import evaluate, retrieval
from knowledge.base import KnowledgeBase
from knowledge.retrieval import Filters

from .conftest import FIXTURES


def top(kb: KnowledgeBase, question: str, language: str = "", **filters: object) -> list[str]:
    query = kb.retriever.plan(question, language)
    return [h.text for h in kb.retriever.search(query, Filters(**filters))[:3]]  # type: ignore[arg-type]


def test_hybrid_beats_dense_only_and_bm25_only(kb: KnowledgeBase) -> None:
    questions = evaluate.read_questions(FIXTURES / "qa.jsonl")
    results = evaluate.run(kb, questions)
    scores = {mode: evaluate.aggregate(outcomes, 0.0) for mode, outcomes in results.items()}
    hybrid, dense, bm25 = scores["hybrid"], scores["dense"], scores["bm25"]
    assert hybrid.mrr > dense.mrr and hybrid.mrr > bm25.mrr, (hybrid, dense, bm25)
    assert hybrid.recall5 >= max(dense.recall5, bm25.recall5)


def test_romanized_hindi_finds_devanagari_content(kb: KnowledgeBase) -> None:
    assert "70 प्रतिशत" in top(kb, "70:20:10 model kya hai")[0]


def test_native_script_finds_latin_content(kb: KnowledgeBase) -> None:
    # "मिशन कर्मयोगी" is only ever written in Latin letters in the corpus.
    assert any("September 2020" in t for t in top(kb, "मिशन कर्मयोगी कब शुरू हुआ", "hi"))


def test_hindi_question_finds_english_only_content_through_the_glossary(kb: KnowledgeBase) -> None:
    texts = top(kb, "सूचना का अधिकार में पहली अपील कब करें", "hi", languages=("en",))
    assert any("First Appellate Authority" in t for t in texts)
    texts = top(kb, "प्रमाणपत्र कहाँ मिलेगा", "hi", languages=("en",))
    assert any("certificate on the iGOT platform" in t for t in texts)


def test_filters_keep_one_course(kb: KnowledgeBase) -> None:
    query = kb.retriever.plan("What should officers do with a request?")
    hits = kb.retriever.search(query, Filters(course="rti-basics"))
    assert hits and {h.metadata["course"] for h in hits} == {"rti-basics"}


def test_the_learners_language_is_preferred(kb: KnowledgeBase) -> None:
    query = kb.retriever.plan("phishing", "hi")
    assert kb.retriever.search(query)[0].metadata["language"] == "hi"
    query = kb.retriever.plan("phishing", "en")
    assert kb.retriever.search(query)[0].metadata["language"] == "en"


def test_tamil_and_bengali_script_find_latin_content(kb: KnowledgeBase) -> None:
    assert any("September 2020" in t for t in top(kb, "மிஷன் கர்மயோகி எப்போது தொடங்கப்பட்டது?", "ta"))
    assert any("September 2020" in t for t in top(kb, "মিশন কর্মযোগী কবে শুরু হয়?", "bn"))


def test_a_passage_found_in_english_is_given_in_the_learners_language(kb: KnowledgeBase) -> None:
    query = kb.retriever.plan("two-factor authentication OTP", "hi")
    best = kb.retriever.search(query)[0]
    assert best.metadata["language"] == "hi" and "ओटीपी" in best.text
    assert best.origin is None or kb.retriever.index.language(best.origin) == "en"


def test_the_lexical_index_follows_writes_here_at_once_and_elsewhere_within_a_second(
    make_kb: Callable[..., KnowledgeBase], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reader, writer = make_kb(), make_kb()  # two processes on one store
    first, second = tmp_path / "first", tmp_path / "second"
    for folder, text in ((first, "Tea breaks last fifteen minutes."),
                         (second, "Parking permits are issued by the estate office.")):  # fmt: skip
        folder.mkdir()
        (folder / "note.txt").write_text(f"Office note\n\n{text}\n", encoding="utf-8")
    reader.ingest([first], progress=False)
    reads = 0
    version = reader.store.version

    def counted() -> str:
        nonlocal reads
        reads += 1
        return version()

    monkeypatch.setattr(reader.store, "version", counted)
    clock = [1000.0]
    monkeypatch.setattr("knowledge.retrieval.time.monotonic", lambda: clock[0])
    for _ in range(3):
        assert reader.ask("How long do tea breaks last?").confident
    assert reads == 1  # three questions within a second: one read of the store's version
    writer.ingest([second], progress=False)
    assert "parking" not in reader.retriever.index.df  # another process's write, not yet seen
    clock[0] += retrieval.VERSION_CHECK_SECONDS + 0.01
    assert "parking" in reader.retriever.index.df and reads == 2
    third = tmp_path / "third"
    third.mkdir()
    (third / "note.txt").write_text("Office note\n\nCanteen coupons are sold on Mondays.\n")
    reader.ingest([third], progress=False)  # this process's own write: seen at once
    assert "canteen" in reader.retriever.index.df and reads == 3
