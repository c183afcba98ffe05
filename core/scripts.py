"""Unicode scripts: detect what a learner typed in, and write Hindi in Latin letters and back.

Romanized Hindi ("Hinglish" spelling) is built on indic-transliteration's OPTITRANS scheme.
Of the schemes sanscript offers, OPTITRANS is the one made for lay readers: ITRANS, HK, SLP1
and Velthuis use capitals or punctuation for sounds (``kShamA``, ``kSamA``, ``k.samaa``), and
IAST/ISO need diacritics (``kṣamā``) that ordinary readers and phone keyboards do not have.
Karmabot derives a scheme from OPTITRANS that is all lowercase and has no diacritics:

- retroflex and dental letters merge (ट/त → t, ड/द → d, ण/न → n), ष/श → sh, छ → chh,
  क्ष → ksh, ज्ञ → gy, ऋ → ri, ड़ → d, ज़ → z, फ़ → f, ऑ → o;
- long vowels are doubled inside a word (आ → aa, ई → ee, ऊ → oo) but written short at its end,
  as Hindi readers write them (आपका → aapka, कर्मयोगी → karmayogi, शुरू → shuru);
- anusvara and chandrabindu become n (m before p, b, m): हूँ → hoon, लंबा → lamba, and a
  word-final ें is ein, ीं is in (में → mein, नहीं → nahin); िए/ए → iye/aye (लिए → liye,
  गए → gaye).

Before that, Hindi schwa deletion marks the inherent ``a`` that speakers drop with a virama:
at the end of a word (मिशन → mishan, not mishana) unless the word ends in a conjunct with a
semivowel (मंत्र → mantra), and in a VC_CV context from the right (करना → karna).
Everything that is not Devanagari (Latin, digits, punctuation, emoji, {placeholders}) is kept.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from indic_transliteration import sanscript
from indic_transliteration.sanscript.schemes.roman import RomanScheme

#: Unicode blocks of the scripts Karmabot tells apart, as ISO 15924 codes (sorted by start).
_BLOCKS: tuple[tuple[int, int, str], ...] = (
    (0x0041, 0x024F, "Latn"), (0x0370, 0x03FF, "Grek"), (0x0400, 0x052F, "Cyrl"),
    (0x0590, 0x05FF, "Hebr"), (0x0600, 0x06FF, "Arab"), (0x0750, 0x077F, "Arab"),
    (0x0900, 0x097F, "Deva"), (0x0980, 0x09FF, "Beng"), (0x0A00, 0x0A7F, "Guru"),
    (0x0A80, 0x0AFF, "Gujr"), (0x0B00, 0x0B7F, "Orya"), (0x0B80, 0x0BFF, "Taml"),
    (0x0C00, 0x0C7F, "Telu"), (0x0C80, 0x0CFF, "Knda"), (0x0D00, 0x0D7F, "Mlym"),
    (0x0D80, 0x0DFF, "Sinh"), (0x0E00, 0x0E7F, "Thai"), (0x0F00, 0x0FFF, "Tibt"),
    (0x1C50, 0x1C7F, "Olck"), (0x1CD0, 0x1CFF, "Deva"), (0x1E00, 0x1EFF, "Latn"),
    (0x3040, 0x30FF, "Jpan"), (0x3400, 0x9FFF, "Hani"), (0xA8E0, 0xA8FF, "Deva"),
    (0xABC0, 0xABFF, "Mtei"), (0xAC00, 0xD7AF, "Hang"), (0xFF21, 0xFF5A, "Latn"),
)  # fmt: skip
_STARTS = [low for low, _, _ in _BLOCKS]
#: ISO 15924 code for letters of a script not listed above.
UNKNOWN_SCRIPT = "Zzzz"
_LANGUAGE_OF_SCRIPT = {
    "Deva": "hi", "Taml": "ta", "Beng": "bn", "Gujr": "gu", "Telu": "te",
    "Knda": "kn", "Mlym": "ml", "Guru": "pa", "Orya": "or",
}  # fmt: skip


def script_of(char: str) -> str | None:
    """The ISO 15924 script of one letter or combining mark; None for anything else."""
    if not (char.isalpha() or unicodedata.category(char).startswith("M")):
        return None
    code = ord(char)
    index = bisect_right(_STARTS, code) - 1
    if index >= 0 and code <= _BLOCKS[index][1]:
        return _BLOCKS[index][2]
    return UNKNOWN_SCRIPT


def detect_script(text: str) -> str | None:
    """The dominant script of the letters in `text`, as an ISO 15924 code.

    Letters and their vowel signs are counted per script, so "मेरा progress दिखाओ" is Deva.
    Zero-width characters, digits, emoji and punctuation do not count; on a tie an Indic
    script wins over Latin.

    Args:
        text: Any text.

    Returns:
        "Deva", "Taml", "Latn", ... ("Zzzz" for letters of an unlisted script), or None when
        the text has no letters at all.
    """
    counts: dict[str, int] = {}
    for char in text:
        script = script_of(char)
        if script:
            counts[script] = counts.get(script, 0) + 1
    if not counts:
        return None
    return max(counts, key=lambda s: (counts[s], s != "Latn"))


def language_for_script(script: str | None) -> str | None:
    """The language a script implies (Deva → hi); None for Latin, which is ambiguous."""
    return _LANGUAGE_OF_SCRIPT.get(script or "")


# --- Hindi in Latin letters ------------------------------------------------------------------

_VIRAMA = "\u094d"
_NUKTA = "\u093c"
_MODIFIERS = "\u0901\u0902\u0903"  # chandrabindu, anusvara, visarga
_SEMIVOWELS = "यरलव"
_DEVA_WORD = re.compile(r"[\u0900-\u0963\u0971-\u097f\u200c\u200d]+")
_DEVA_LEFTOVER = re.compile(r"[\u0900-\u097f]")
_LATIN_WORD = re.compile(r"[a-z]+")
_DEVA_DIGITS = str.maketrans("०१२३४५६७८९।॥॰", "0123456789...")
_PRE = (
    ("\u0949", "\u094b"), ("\u0911", "\u0913"), ("\u0945", "\u0947"), ("\u090d", "\u090f"),
    ("\u093d", ""), ("\u200c", ""), ("\u200d", ""), ("िए", "िये"), ("इए", "इये"),
)  # fmt: skip
_LABIAL_ANUSVARA = re.compile("\u0902(?=[पफबभम])")
#: (Devanagari ending, its Latin spelling, Hinglish spelling, shortest word it applies to)
_ENDINGS = (
    ("ीं", "een", "in", 1), ("ें", "en", "ein", 1), ("ा", "aa", "a", 1), ("आ", "aa", "a", 2),
    ("ी", "ee", "i", 1), ("ई", "ee", "i", 2), ("ू", "oo", "u", 1), ("ऊ", "oo", "u", 2),
    ("ाँ", "aan", "an", 4), ("ां", "aan", "an", 4), ("ए", "ae", "aye", 2),
)  # fmt: skip
_LAY = {
    "vowels": {"आ": "aa", "ई": "ee", "ऊ": "oo", "ऋ": "ri", "ॠ": "ri", "ऌ": "lri", "ॡ": "lri",
               "ऎ": "e", "ऒ": "o", "ऍ": "e", "ऑ": "o"},
    "yogavaahas": {"ं": "n", "ः": "h", "ँ": "n"},
    "consonants": {"छ": "chh", "ट": "t", "ठ": "th", "ड": "d", "ढ": "dh", "ण": "n", "ङ": "n",
                   "ञ": "n", "ष": "sh", "ळ": "l", "क्ष": "ksh", "ज्ञ": "gy"},
    "extra_consonants": {"क़": "k", "ख़": "kh", "ग़": "g", "ड़": "d", "ढ़": "dh", "य़": "y",
                         "ऱ": "r", "ऴ": "l"},
    "symbols": {"ॐ": "om"},
}  # fmt: skip


def _nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


@lru_cache(maxsize=1)
def _lay_map() -> tuple[Any, dict[str, str]]:
    """The Devanagari → lay Latin scheme map, and decomposed → precomposed nukta letters."""
    base = sanscript.SCHEMES[sanscript.OPTITRANS]
    data: dict[str, Any] = {}
    for group in ("vowels", "yogavaahas", "virama", "consonants", "extra_consonants", "symbols"):
        overrides = {_nfd(k): v for k, v in _LAY.get(group, {}).items()}
        data[group] = {k: overrides.get(_nfd(k), v) for k, v in base[group].items()}
    data["alternates"] = {}
    scheme = RomanScheme(data=data, name="karmabot_lay_hindi")
    scheme_map = sanscript.SchemeMap(sanscript.SCHEMES[sanscript.DEVANAGARI], scheme)
    deva = sanscript.SCHEMES[sanscript.DEVANAGARI]
    composed = {_nfd(k): k for k in deva["extra_consonants"] if len(k) == 1}
    return scheme_map, composed


def _is_consonant(char: str) -> bool:
    return "\u0915" <= char <= "\u0939" or "\u0958" <= char <= "\u095f"


def _delete_schwas(word: str) -> str:
    """Mark the inherent vowels Hindi speakers do not pronounce with a virama."""
    units: list[list[str]] = []  # [consonant or vowel (+ nukta), vowel sign / virama / ""]
    for char in word:
        if _is_consonant(char) or not units or "\u0904" <= char <= "\u0914":
            units.append([char, ""])
        elif char == _NUKTA:
            units[-1][0] += char
        else:
            units[-1][1] += char
    inherent = [_is_consonant(u[0][0]) and not u[1].strip(_MODIFIERS) for u in units]
    voiced = [not u[1].startswith(_VIRAMA) for u in units]
    after_cluster = len(units) > 1 and not voiced[-2]
    keeps_final = after_cluster and units[-1][0][0] in _SEMIVOWELS  # मंत्र, पत्र, वाक्य
    if len(units) > 1 and inherent[-1] and not keeps_final and not units[-1][1]:
        units[-1][1] = _VIRAMA
        voiced[-1] = False
    index = len(units) - 2
    while index >= 1:
        if inherent[index] and voiced[index - 1] and voiced[index + 1] and not units[index][1]:
            units[index][1] = _VIRAMA
            voiced[index] = False
            index -= 2
        else:
            index -= 1
    return "".join(c + v for c, v in units)


@lru_cache(maxsize=8192)
def _romanize_word(word: str) -> str:
    """One Devanagari word in lay Hinglish spelling."""
    scheme_map, composed = _lay_map()
    word = unicodedata.normalize("NFC", word)
    for decomposed, precomposed in composed.items():
        word = word.replace(decomposed, precomposed)
    for source, target in _PRE:
        word = word.replace(source, target)
    word = _LABIAL_ANUSVARA.sub("म्", word)
    latin = sanscript.transliterate(_delete_schwas(word), scheme_map=scheme_map)
    for ending, spelled, hinglish, shortest in _ENDINGS:
        if word.endswith(ending) and len(word) >= shortest and latin.endswith(spelled):
            latin = latin[: -len(spelled)] + hinglish
            break
    return _DEVA_LEFTOVER.sub("", latin.lower())


def to_latin(text: str, language: str = "hi", spellings: Mapping[str, str] | None = None) -> str:
    """Hindi (or another Devanagari language) in plain lowercase Latin letters.

    Args:
        text: Text that may mix Devanagari with anything else.
        language: The text's language; only Devanagari languages (hi, mr, ne, ...) are
            transliterated, any other text is returned unchanged.
        spellings: Fixed Latin spellings for whole words, keyed by NFC Devanagari, e.g.
            {"कोर्स": "course"} so that English loanwords read as English.

    Returns:
        The text with every Devanagari word romanized (नमस्ते → namaste) and Devanagari
        digits and dandas turned into ASCII; everything else is untouched.
    """
    if language.split("-")[0] not in ("hi", "mr", "ne", "mai", "bho", "sa"):
        return text
    fixed = spellings or {}

    def word(match: re.Match[str]) -> str:
        deva = match.group(0)
        return fixed.get(unicodedata.normalize("NFC", deva)) or _romanize_word(deva)

    return _DEVA_WORD.sub(word, text).translate(_DEVA_DIGITS)


# --- Latin letters back to the native script -------------------------------------------------

_NATIVE = {"hi": sanscript.DEVANAGARI, "mr": sanscript.DEVANAGARI, "ta": sanscript.TAMIL,
           "bn": sanscript.BENGALI, "gu": sanscript.GUJARATI, "pa": sanscript.GURMUKHI,
           "te": sanscript.TELUGU, "kn": sanscript.KANNADA, "ml": sanscript.MALAYALAM,
           "or": sanscript.ORIYA}  # fmt: skip
_TO_OPTITRANS = (
    ("chh", "Ch"), ("oo", "U"), ("ee", "I"), ("ao", "Ao"), ("w", "v"), ("q", "k"),
)  # fmt: skip
_HINGLISH_ENDINGS = (("ein", "eM"), ("ain", "aiM"), ("in", "IM"), ("on", "oM"))


def _optitrans_hindi_word(match: re.Match[str]) -> str:
    """One Hinglish word in OPTITRANS, following the conventions `to_latin` writes."""
    word = match.group(0)
    for source, target in _TO_OPTITRANS:
        word = word.replace(source, target)
    for ending, nasal in _HINGLISH_ENDINGS:
        if len(word) > len(ending) and word.endswith(ending):
            return word[: -len(ending)] + nasal  # mein → में, nahin → नहीं
    if len(word) > 1 and word[-1] == "a" and word[-2] != "a":
        return word + "a"  # kya, hua: a written final "a" is long; the inherent one is silent
    if len(word) > 2 and word[-1] == "i" and word[-2] not in "aeiouAIU":
        return word[:-1] + "I"  # karmayogi, meri
    if word[-1] not in "aeiouAIU":
        return word + "a"  # kab → कब, not कब्
    return word


def to_native(text: str, language: str = "hi") -> str:
    """Best-effort Latin → native script, for matching romanized queries (not for display).

    Args:
        text: Romanized text such as "mission karmayogi kab shuru hua".
        language: Target language; Hindi gets Hinglish spelling conventions (final a is long,
            no virama on a final consonant), other languages a plain OPTITRANS reading.

    Returns:
        The text in the language's script; unchanged if the language has no Indic script.
    """
    target = _NATIVE.get(language.split("-")[0])
    if target is None:
        return text
    lowered = text.lower()
    if target == sanscript.DEVANAGARI:
        lowered = _LATIN_WORD.sub(_optitrans_hindi_word, lowered)
        return sanscript.transliterate(lowered, sanscript.OPTITRANS, target)
    lowered = lowered.replace("chh", "Ch").replace("zh", "L")
    return sanscript.transliterate(lowered, sanscript.OPTITRANS_DRAVIDIAN, target)
