"""Text normalisation and tokenisation for Indian scripts and Latin letters.

Every word becomes a few tokens so that one index serves every way a learner writes:

- the word itself, NFC-normalised, zero-width characters removed, combining marks kept (a
  plain `\\w+` split would cut "प्रशिक्षण" at each vowel sign), Latin lowercased and lightly
  stemmed ("officers" → "officer");
- for an Indic word, its romanized form ("कर्मयोगी" → "karmayogi", via indic-transliteration's
  OPTITRANS as `core.scripts.to_latin` spells Hindi), so Latin queries meet native content;
- a phonetic key of the Latin form ("~krmygi"), which lets spelling variants meet: "model"
  and "मॉडल" (romanized "modal"), "mission" and "मिशन" ("mishan"), "course" and "कोर्स";
- for a long Indic word, a prefix ("^प्रशि"), a crude stem for inflected forms;
- for a Latin word, its English root by the Snowball stemmer ("=contribut" for "contributes"
  and "contribution"), beside the word itself, so romanized Hindi keeps its own tokens;
- for an acronym spelt in an Indian script, the acronym (एनपीएस → "nps"; `knowledge.acronyms`).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache

import snowballstemmer
from indic_transliteration import sanscript

from core.scripts import detect_script, script_of, to_latin
from knowledge.acronyms import readings

#: Bump when tokens change: stored token lists of another version are recomputed.
TOKENIZER_VERSION = "6"

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e"), None)
_INDIC_DIGITS = {
    ord(chr(base + i)): str(i)
    for base in (0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6, 0x0D66)
    for i in range(10)
}
_PUNCT = {ord("\u0964"): ". ", ord("\u0965"): ". "}  # danda, double danda
_TABLE = {**_INVISIBLE, **_INDIC_DIGITS, **_PUNCT}


def _marks() -> str:
    ranges = ((0x0300, 0x036F), (0x0900, 0x0DFF), (0x1CD0, 0x1CFF), (0xA8E0, 0xA8FF))
    chars = (chr(c) for low, high in ranges for c in range(low, high + 1))
    return "".join(c for c in chars if unicodedata.category(c).startswith("M"))


_WORD = re.compile(r"(?:[^\W_]|[" + re.escape(_marks()) + r"])+")
_NUMBER_GROUP = re.compile(r"\d+(?:[:./-]\d+)+")
_ASCII_LETTERS = re.compile(r"[^a-z]")
#: Prefixes of the tokens derived from a word (not the word as written): phonetic key,
#: Indic prefix, English root.
DERIVED = ("~", "^", "=")
#: English roots shorter than this are not indexed ("bus" and "bu" are not one word).
ROOT_CHARS = 4
_ENGLISH = snowballstemmer.stemmer("english")
_STEM_RULES = (("ies", "y", 5), ("sses", "ss", 5), ("ss", "ss", 3), ("s", "", 4))
_INDIC_SCRIPTS = {"Deva", "Beng", "Taml", "Telu", "Knda", "Mlym", "Gujr", "Guru", "Orya"}
_SANSCRIPT = {
    "Beng": sanscript.BENGALI, "Telu": sanscript.TELUGU, "Knda": sanscript.KANNADA,
    "Mlym": sanscript.MALAYALAM, "Gujr": sanscript.GUJARATI, "Guru": sanscript.GURMUKHI,
    "Orya": sanscript.ORIYA,
}  # fmt: skip
_TAMIL_LATIN = "k ng ch nj t n th n p m y r l v zh l r n j sh s h"
_TAMIL_CONSONANTS = dict(zip("கஙசஞடணதநபமயரலவழளறனஜஷஸஹ", _TAMIL_LATIN.split(), strict=True))
_TAMIL_VOWELS = dict(zip("அஆஇஈஉஊஎஏஐஒஓஔ", "a aa i ii u uu e ee ai o oo au".split(), strict=True))  # noqa: SIM905
_TAMIL_SIGNS = dict(zip("ாிீுூெேைொோௌ", "aa i ii u uu e ee ai o oo au".split(), strict=True))  # noqa: SIM905
_DIGRAPHS = (
    ("chh", "C"), ("ch", "C"), ("sh", "s"), ("ph", "f"), ("th", "t"), ("dh", "d"), ("bh", "b"),
    ("gh", "g"), ("kh", "k"), ("jh", "j"), ("zh", "l"), ("ck", "k"), ("q", "k"), ("x", "ks"),
    ("w", "v"), ("z", "j"), ("g", "k"), ("d", "t"), ("b", "p"), ("j", "C"),
)  # fmt: skip
_SOFT_C = re.compile(r"c(?=[eiy])")


@lru_cache(maxsize=8)
def token_version(stopwords: frozenset[str]) -> str:
    """Identifies the tokens a text gets: the tokenizer version and the stop word list."""
    digest = hashlib.sha256("\n".join(sorted(stopwords)).encode()).hexdigest()[:8]
    return f"{TOKENIZER_VERSION}.{digest}"


def normalize(text: str) -> str:
    """NFC, without zero-width characters, with Indic digits as ASCII and dandas as full stops."""
    return unicodedata.normalize("NFC", text).translate(_TABLE)


def words(text: str) -> list[str]:
    """The words of `text`: runs of letters, digits and combining marks (any script)."""
    return _WORD.findall(normalize(text))


def _stem(word: str) -> str:
    for suffix, replacement, shortest in _STEM_RULES:
        if len(word) >= shortest and word.endswith(suffix):
            return word[: -len(suffix)] + replacement
    return word


def _tamil_latin(word: str) -> str:
    out: list[str] = []
    for i, char in enumerate(word):
        nxt = word[i + 1] if i + 1 < len(word) else ""
        if char in _TAMIL_CONSONANTS:
            out.append(_TAMIL_CONSONANTS[char])
            if nxt not in _TAMIL_SIGNS and nxt != "\u0bcd":
                out.append("a")
        elif char in _TAMIL_SIGNS:
            out.append(_TAMIL_SIGNS[char])
        elif char in _TAMIL_VOWELS:
            out.append(_TAMIL_VOWELS[char])
        elif char == "\u0b83":
            out.append("h")
    return "".join(out)


@lru_cache(maxsize=65536)
def romanize_word(word: str, script: str) -> str:
    """One Indic word in plain lowercase Latin letters ("" when it cannot be romanized)."""
    if script == "Deva":
        latin = to_latin(word, "hi")
    elif script == "Taml":
        latin = _tamil_latin(word)
    elif script in _SANSCRIPT:
        latin = sanscript.transliterate(word, _SANSCRIPT[script], sanscript.OPTITRANS)
    else:
        return ""
    return _ASCII_LETTERS.sub("", latin.lower())


def plain_latin(text: str, stopwords: frozenset[str]) -> str:
    """The meaningful words of `text`, romanized: what an English-only model is shown.

    Function words are dropped because in romanized Hindi they dominate every sentence
    ("... ka ... hai") and make unrelated passages look alike to such a model.
    """
    out = []
    for word in words(text):
        if is_stopword(word, stopwords):
            continue
        script = _word_script(word)
        if script in _INDIC_SCRIPTS:
            spelt = readings(word, script, romanize_word)
            out.append(spelt[0].upper() if spelt else romanize_word(word, script) or word)
        else:
            out.append(word)
    return " ".join(out)


def romanize(text: str) -> str:
    """`text` with every Indic word written in Latin letters (other text is kept)."""

    def one(match: re.Match[str]) -> str:
        word = match.group(0)
        script = _word_script(word)
        if script in _INDIC_SCRIPTS:
            return romanize_word(word, script) or word
        return word

    return _WORD.sub(one, normalize(text))


def phonetic_key(latin: str) -> str:
    """A spelling-tolerant key of a Latin word: its first letter and its consonants.

    Aspirates fold into plain consonants and voiced into voiceless ones (Tamil script does not
    tell them apart), soft c into s, w into v; vowels after the first letter, a non-initial h
    and doubled letters are dropped: "mission" and "mishan" → "msn".
    """
    word = _ASCII_LETTERS.sub("", latin.lower())
    if len(word) < 3:
        return ""
    word = _SOFT_C.sub("s", word)
    for source, target in _DIGRAPHS:
        word = word.replace(source, target)
    word = word.replace("c", "k").replace("C", "c")
    head = "a" if word[0] in "aeiou" else word[0]
    tail = "".join(ch for ch in word[1:] if ch not in "aeiouh")
    out = head
    for ch in tail:
        if ch != out[-1]:
            out += ch
    return out if len(out) >= 3 else ""


def _word_script(word: str) -> str | None:
    for char in word:
        script = script_of(char)
        if script:
            return script
    return None


@lru_cache(maxsize=262144)
def word_tokens(word: str) -> tuple[str, ...]:
    """The index tokens of one normalised word (see the module docstring)."""
    script = _word_script(word)
    if script is None:
        return (word,)
    if script == "Latn":
        folded = word.casefold()
        base = _stem(folded)
        key = phonetic_key(base)
        tokens = [base, "~" + key] if key else [base]
        root = _ENGLISH.stemWord(folded)  # "contributes", "contribution" → "contribut"
        if root != base and len(root) >= ROOT_CHARS:
            tokens.append("=" + root)
        return tuple(tokens)
    if script not in _INDIC_SCRIPTS:
        return (word.casefold(),)
    tokens = [word]
    latin = romanize_word(word, script)
    if latin and latin != word:
        tokens.append(latin)
        key = phonetic_key(latin)
        if key:
            tokens.append("~" + key)
    if len(word) > 6:
        tokens.append("^" + word[:5])
    for acronym in readings(word, script, romanize_word):  # एनपीएस → "nps"
        base = _stem(acronym)
        tokens.append(base)
        key = phonetic_key(base) if len(base) > 5 else ""  # an acronym and a word: spellings vary
        if key:
            tokens.append("~" + key)
    return tuple(dict.fromkeys(tokens))


def is_stopword(word: str, stopwords: frozenset[str]) -> bool:
    """Whether a word, or its romanized form, is a stop word."""
    if word.casefold() in stopwords:
        return True
    variants = word_tokens(word)
    return len(variants) > 1 and not variants[1].startswith(DERIVED) and variants[1] in stopwords


def tokenize(text: str, stopwords: frozenset[str] = frozenset()) -> list[str]:
    """Index tokens of `text`, in order, stop words dropped (a word may give several tokens)."""
    text = normalize(text)
    tokens = list(_NUMBER_GROUP.findall(text))
    for word in _WORD.findall(text):
        if not is_stopword(word, stopwords):
            tokens.extend(word_tokens(word))
    return tokens


def content_words(text: str, stopwords: frozenset[str] = frozenset()) -> list[str]:
    """The words of `text` that carry meaning (stop words and single letters dropped)."""
    return [
        word
        for word in words(text)
        if (len(word) > 1 or word.isdigit()) and not is_stopword(word, stopwords)
    ]


def dominant_script(text: str) -> str | None:
    """The script most letters of `text` are written in (ISO 15924), None without letters."""
    return detect_script(normalize(text))
