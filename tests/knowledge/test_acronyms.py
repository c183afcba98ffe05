"""Acronyms spelt out in Indian scripts are read back as the acronym."""

from __future__ import annotations

import pytest

from knowledge.acronyms import readings
from knowledge.glossary import load as load_glossary
from knowledge.query import plan
from knowledge.text import plain_latin, romanize_word, word_tokens


@pytest.mark.parametrize(
    ("word", "script", "expected"),
    [
        ("एनपीएस", "Deva", ("nps",)), ("एलटीसी", "Deva", ("ltc",)), ("डीएससी", "Deva", ("dsc",)),
        ("जीएसटी", "Deva", ("gst",)), ("आईसीसी", "Deva", ("icc",)), ("এনপিএস", "Beng", ("nps",)),
        ("ஐசிசி", "Taml", ("icc",)), ("என்பிஎஸ்", "Taml", ("nps", "nbs")),
        ("सीपीग्राम्स", "Deva", ("cpgraams",)),
    ],
)  # fmt: skip
def test_letter_names_spell_the_acronym(word: str, script: str, expected: tuple[str, ...]) -> None:
    assert readings(word, script, romanize_word) == expected


@pytest.mark.parametrize(
    ("word", "script"),
    [("सीमा", "Deva"), ("केंद्र", "Deva"), ("बीमारी", "Deva"), ("आई", "Deva"), ("এই", "Beng"),
     ("ওই", "Beng"), ("படி", "Taml"), ("प्रशिक्षण", "Deva")],
)  # fmt: skip
def test_ordinary_words_are_not_acronyms(word: str, script: str) -> None:
    assert readings(word, script, romanize_word) == ()


def test_a_hindi_acronym_meets_the_english_one_in_search_and_for_the_model() -> None:
    assert "nps" in word_tokens("एनपीएस") and "nps" in word_tokens("NPS")
    assert set(word_tokens("सीपीग्राम्स")) & set(word_tokens("CPGRAMS"))
    assert plain_latin("एनपीएस का खाता", frozenset({"का"})).startswith("NPS ")
    # "DA" is the glossary's डीए (dearness allowance), written in English letters
    assert "dearness_allowance" in plan("DA kitna hai", load_glossary(), reads_indic=False).concepts
