"""Tokens for Indic scripts and Latin letters."""

from __future__ import annotations

from knowledge.text import (
    normalize,
    phonetic_key,
    plain_latin,
    romanize,
    tokenize,
    word_tokens,
    words,
)


def test_words_keep_combining_marks() -> None:
    assert words("प्रशिक्षण और पाठ्यक्रम") == ["प्रशिक्षण", "और", "पाठ्यक्रम"]
    assert words("பயிற்சி வகுப்பு") == ["பயிற்சி", "வகுப்பு"]
    assert words("প্রশিক্ষণ কোর্স") == ["প্রশিক্ষণ", "কোর্স"]


def test_zero_width_characters_and_indic_digits_are_normalised() -> None:
    assert normalize("प्र\u200dशिक्षण\u200b") == "प्रशिक्षण"
    assert "70:20:10" in tokenize("७०:२०:१० मॉडल")


def test_devanagari_gets_romanized_and_phonetic_tokens() -> None:
    tokens = tokenize("70:20:10 मॉडल")
    assert {"70:20:10", "मॉडल", "modal", "~mtl"} <= set(tokens)
    assert "~mtl" in tokenize("model")


def test_latin_is_lowercased_and_lightly_stemmed() -> None:
    assert tokenize("Officers") == ["officer", "~afsr", "=offic"]


def test_english_inflections_share_a_root() -> None:
    """ "contributes" meets "contribution" by its English root; romanized Hindi keeps its own
    tokens beside the root an English stemmer makes of it ("karyakal" is still "karyakal")."""
    roots = {w: {t for t in word_tokens(w) if t.startswith("=")} for w in
             ("contributes", "contribution", "contributed", "received", "receive")}  # fmt: skip
    assert roots["contributes"] == roots["contribution"] == roots["contributed"] == {"=contribut"}
    assert roots["received"] == roots["receive"] == {"=receiv"}
    assert word_tokens("karyakal")[0] == "karyakal"
    assert word_tokens("bus") == ("bus",)  # a root shorter than four letters is not indexed


def test_spelling_variants_share_a_key() -> None:
    assert phonetic_key("mission") == phonetic_key("mishan")
    assert phonetic_key("course") == phonetic_key("kors")
    assert phonetic_key("password") == phonetic_key("paasvard")
    assert phonetic_key("ab") == ""


def test_stopwords_are_dropped_in_any_script() -> None:
    stop = frozenset({"kya", "hai", "what", "is"})
    assert "kya" not in tokenize("RTI kya hai", stop)
    assert "क्या" not in tokenize("आरटीआई क्या है", stop)


def test_romanize_and_plain_latin() -> None:
    assert romanize("मिशन कर्मयोगी") == "mishan karmayogi"
    assert plain_latin("मिशन कर्मयोगी क्या है", frozenset({"kya", "hai"})) == "mishan karmayogi"
    assert romanize("கர்மயோகி").startswith("karmay")


def test_emoji_and_empty_give_no_tokens() -> None:
    assert tokenize("") == []
    assert tokenize("😀🙏🏽") == []
