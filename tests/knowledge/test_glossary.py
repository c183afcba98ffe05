"""The glossary is data and drives cross-language expansion."""

from __future__ import annotations

import re

from knowledge.glossary import load
from knowledge.query import plan
from knowledge.text import tokenize, words

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


def test_glossary_forms_do_not_match_words_that_only_sound_alike() -> None:
    """The learner's own word is matched by its spelling key; the glossary's forms are not.

    বদলি ("transfer") and বদলে ("instead of") share a spelling key; a passage that says
    "instead of" is no answer to "mera transfer kab hoga".
    """
    query = plan("mera transfer kab hoga", load(), reads_indic=False, language="hi")
    (group,) = query.groups
    assert group.label == "transfer"
    assert group.found_in(set(tokenize("নিয়মের বদলে ভূমিকা"))) is False
    assert group.found_in(set(tokenize("কর্মকর্তার বদলি হলে")))
    assert group.found_in(set(tokenize("अधिकारी का तबादला हुआ")))
    typo = plan("mera tabadala kab hoga", load(), reads_indic=False, language="hi")
    assert typo.groups[0].found_in(set(tokenize("अधिकारी का तबादला हुआ")))


def test_general_service_vocabulary_crosses_languages() -> None:
    """Everyday service words (leave, pension, transfer) are concepts in every language."""
    glossary = load()
    for text, concept in (
        ("chhutti", "leave"), ("छुट्टी", "leave"), ("விடுப்பு", "leave"), ("ছুটি", "leave"),
        ("tabadla", "transfer"), ("तबादला", "transfer"), ("বদলি", "transfer"),
    ):  # fmt: skip
        assert concept in [m.concept.id for m in glossary.find(words(text))], text


def test_everyday_office_words_reach_english_content_from_every_language() -> None:
    """The general vocabulary carries words no course is about (boats, objections, pending
    files) from Hindi, romanized Hindi, Tamil and Bengali questions to English documents."""
    glossary = load()
    for text, concept in [
        ("जिले में कितनी नावें हैं", "boat"), ("kitni naav hain", "boat"),
        ("आपत्ति कब तक दर्ज करें", "objection"), ("fail kitne din se lambit hai", "pending"),
        ("எத்தனை படகுகள் உள்ளன", "boat"), ("কতগুলি ফাইল বিচারাধীন", "pending"),
    ]:  # fmt: skip
        query = plan(text, glossary, reads_indic=False)
        assert concept in query.concepts, (text, query.concepts)
    query = plan("आपत्ति कब तक दर्ज करें", glossary, reads_indic=False)
    assert "objection" in query.tokens and "objection" in query.dense_text


def test_a_word_is_matched_as_written_before_its_romanized_form() -> None:
    """রাতে ("at night") romanizes to "rate": the English word is not also "night", and the
    Bengali word is not also "rate"; a word with no match as written still meets its
    romanized forms (Hindi typed in Latin letters)."""
    glossary = load()
    for text, concepts in [
        ("rate", ["rate"]), ("রাতে", ["night"]), ("रात", ["night"]), ("raat", ["night"]),
        ("pramaan patra", ["certificate"]),
    ]:  # fmt: skip
        assert [m.concept.id for m in glossary.find(words(text))] == concepts, text


def test_no_concept_is_defined_twice() -> None:
    """YAML keeps the last of two equal keys without a word: a concept written twice would
    silently lose the terms of the first."""
    from collections import Counter

    from knowledge.glossary import GLOSSARY_PATH

    ids = re.findall(r"^  ([\w-]+):\s*$", GLOSSARY_PATH.read_text(encoding="utf-8"), re.MULTILINE)
    assert len(ids) > 400
    assert [i for i, n in Counter(ids).items() if n > 1] == []
