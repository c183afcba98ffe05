"""Script detection and Hindi romanization (core/scripts.py)."""

from __future__ import annotations

import re
import unicodedata

import pytest

from core.scripts import detect_script, language_for_script, to_latin, to_native

DEVANAGARI = re.compile(r"[\u0900-\u097f]")


@pytest.mark.parametrize(
    ("text", "script"),
    [
        ("नमस्ते", "Deva"),
        ("வணக்கம்", "Taml"),
        ("নমস্কার", "Beng"),
        ("નમસ્તે", "Gujr"),
        ("నమస్కారం", "Telu"),
        ("ನಮಸ್ಕಾರ", "Knda"),
        ("നമസ്കാരം", "Mlym"),
        ("ਸਤ ਸ੍ਰੀ ਅਕਾਲ", "Guru"),
        ("ନମସ୍କାର", "Orya"),
        ("hello", "Latn"),
        ("mission karmayogi kab shuru hua", "Latn"),
        ("ሰላም", "Zzzz"),
    ],
)
def test_detect_script_of_single_script_text(text: str, script: str) -> None:
    assert detect_script(text) == script


@pytest.mark.parametrize(
    ("text", "script"),
    [
        ("मेरा progress दिखाओ", "Deva"),  # Hindi with an English word
        ("please show my courses, धन्यवाद", "Latn"),
        ("iGOT என்றால் என்ன?", "Taml"),
        ("🙏 नमस्ते 🙏", "Deva"),
        ("न\u200bम\u200dस्\u200cते", "Deva"),  # zero-width characters inside a word
        ("\u200bhi\u200c\ufeff", "Latn"),
        ("Option 2 👍", "Latn"),
    ],
)
def test_detect_script_of_mixed_text(text: str, script: str) -> None:
    assert detect_script(text) == script


@pytest.mark.parametrize("text", ["", "123", "👍🙏🎉", "!!! ???", "\u200b\u200d\ufeff", "१२३ ।"])
def test_text_without_letters_has_no_script(text: str) -> None:
    assert detect_script(text) is None


def test_language_for_script() -> None:
    expected = {"Deva": "hi", "Taml": "ta", "Beng": "bn", "Gujr": "gu", "Telu": "te",
                "Knda": "kn", "Mlym": "ml", "Guru": "pa", "Orya": "or"}  # fmt: skip
    for script, language in expected.items():
        assert language_for_script(script) == language
    assert language_for_script("Latn") is None
    assert language_for_script("Zzzz") is None
    assert language_for_script(None) is None


@pytest.mark.parametrize(
    ("hindi", "latin"),
    [
        ("नमस्ते", "namaste"),
        ("कर्मयोगी", "karmayogi"),
        ("आपका", "aapka"),
        ("कोर्स", "kors"),
        ("मिशन", "mishan"),
        ("करना", "karna"),
        ("सीखने", "seekhne"),
        ("मंत्र", "mantra"),
        ("धर्म", "dharm"),
        ("में", "mein"),
        ("नहीं", "nahin"),
        ("हूँ", "hoon"),
        ("शुरू", "shuru"),
        ("के लिए", "ke liye"),
        ("गए", "gaye"),
        ("ज्ञान", "gyaan"),
        ("क्षमा", "kshama"),
        ("छोटा", "chhota"),
        ("लंबा", "lamba"),
        ("कृपया", "kripya"),
        ("पढ़ाई", "padhaai"),
        ("कर्मा पॉइंट्स", "karma points"),
        ("क्या", "kya"),
        ("हाँ", "haan"),
    ],
)
def test_to_latin_samples(hindi: str, latin: str) -> None:
    assert to_latin(hindi) == latin


def test_to_latin_handles_decomposed_and_composed_nukta_letters() -> None:
    composed = "\u095brूर"  # ज़ as one code point
    decomposed = unicodedata.normalize("NFD", "ज़रूर")
    assert to_latin(composed) == to_latin(decomposed) == "zaroor"
    assert to_latin("फ़ाइल") == "faail"


def test_to_latin_keeps_everything_that_is_not_devanagari() -> None:
    text = "नमस्ते{name_suffix}! Hello, Asha 🙏 — 2 मिनट।\n{points} ✓ “{question}”"
    expected = "namaste{name_suffix}! Hello, Asha 🙏 — 2 minat.\n{points} ✓ “{question}”"
    assert to_latin(text) == expected
    assert to_latin("अंक १२३") == "ank 123"


def test_to_latin_leaves_no_devanagari_at_all() -> None:
    every = [chr(c) for c in range(0x0900, 0x0980) if unicodedata.category(chr(c)) != "Cn"]
    assert not DEVANAGARI.search(to_latin("".join(every)))
    assert not DEVANAGARI.search(to_latin(" ".join("क" + c for c in every)))


def test_to_latin_uses_fixed_spellings_and_only_touches_devanagari_languages() -> None:
    assert to_latin("कोर्स देखें", "hi", {"कोर्स": "course"}) == "course dekhein"
    assert to_latin("वणक्कम् வணக்கம்", "ta") == "वणक्कम् வணக்கம்"
    assert to_latin("नमस्ते", "hi-Latn") == "namaste"


@pytest.mark.parametrize(
    ("latin", "hindi"),
    [
        ("namaste", "नमस्ते"),
        ("karmayogi", "कर्मयोगी"),
        ("kya hai", "क्या है"),
        ("mein", "में"),
        ("kab shuru hua", "कब शुरु हुआ"),
    ],
)
def test_to_native_hindi(latin: str, hindi: str) -> None:
    assert to_native(latin) == hindi


def test_to_native_other_languages() -> None:
    tamil = to_native("vanakkam", "ta")
    assert detect_script(tamil) == "Taml"
    assert detect_script(to_native("Mission Karmayogi", "hi")) == "Deva"
    assert to_native("hello", "en") == "hello"
