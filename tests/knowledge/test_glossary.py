"""The glossary is data and drives cross-language expansion."""

from __future__ import annotations

from knowledge.glossary import load
from knowledge.query import plan
from knowledge.text import words

REQUIRED = [
    "course", "training", "officer", "competency", "certificate", "platform", "commission",
    "rti", "information", "appeal", "password", "phishing",
]  # fmt: skip


def test_glossary_covers_required_concepts_in_every_language() -> None:
    glossary = load()
    concepts = {c.id: c for c in glossary.concepts}
    for concept_id in REQUIRED:
        for language in ("en", "hi", "hi-Latn", "ta", "bn"):
            assert concepts[concept_id].in_language(language), (concept_id, language)


def test_concepts_are_found_in_any_script_and_spelling() -> None:
    glossary = load()
    for text in ("प्रमाणपत्र", "pramaan patra", "certificate", "சான்றிதழ்", "সার্টিফিকেট"):
        assert [m.concept.id for m in glossary.find(words(text))] == ["certificate"], text
    found = glossary.find(words("soochna ka adhikar"))
    assert [m.concept.id for m in found] == ["rti"]


def test_a_hindi_question_is_expanded_with_english_terms() -> None:
    query = plan("प्रमाणपत्र कब मिलता है", load(), reads_indic=False)
    assert "certificate" in query.tokens
    assert "certificate" in query.dense_text
    assert query.language == "hi"
