"""English acronyms spelt out in an Indian script: एनपीएस → "nps", सीपीग्राम्स → "cpgraams".

Officials write the service's acronyms (NPS, LTC, APAR, CPGRAMS, ICC) in Devanagari, Bengali
or Tamil by the names of their letters. Romanized letter by letter such a word is unlike the
acronym ("enpeees" is not "nps"), so a Hindi question about the एनपीएस never meets English
content about the NPS. A word that is two or more letter names, or two or more letter names
and then a word of at least three characters (सीपी + ग्राम्स), is read back as the acronym.
Tamil writes B and P, and D and T, alike (பி, டி): every reading is given, at most `MAX_READINGS`.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from functools import lru_cache

#: Most readings of one word (Tamil letter names are ambiguous).
MAX_READINGS = 4
#: A word after the letter names has at least this many characters ("ग्राम्स").
REST_CHARS = 3

_NAMES: dict[str, dict[str, tuple[str, ...]]] = {
    "Deva": {
        "ए": ("a",), "बी": ("b",), "सी": ("c",), "डी": ("d",), "ई": ("e",), "एफ": ("f",),
        "एफ़": ("f",), "जी": ("g",), "एच": ("h",), "आई": ("i",), "जे": ("j",), "के": ("k",),
        "एल": ("l",), "एम": ("m",), "एन": ("n",), "ओ": ("o",), "पी": ("p",), "क्यू": ("q",),
        "आर": ("r",), "एस": ("s",), "टी": ("t",), "यू": ("u",), "वी": ("v",),
        "डब्ल्यू": ("w",), "डबल्यू": ("w",), "एक्स": ("x",), "वाई": ("y",), "जेड": ("z",),
        "ज़ेड": ("z",),
    },
    "Beng": {
        "এ": ("a",), "বি": ("b",), "সি": ("c",), "ডি": ("d",), "ই": ("e",), "এফ": ("f",),
        "জি": ("g",), "এইচ": ("h",), "আই": ("i",), "জে": ("j",), "কে": ("k",), "এল": ("l",),
        "এম": ("m",), "এন": ("n",), "ও": ("o",), "পি": ("p",), "কিউ": ("q",), "আর": ("r",),
        "এস": ("s",), "টি": ("t",), "ইউ": ("u",), "ভি": ("v",), "ডব্লিউ": ("w",),
        "এক্স": ("x",), "ওয়াই": ("y",), "জেড": ("z",),
    },
    "Taml": {
        "ஏ": ("a",), "பி": ("p", "b"), "சி": ("c",), "டி": ("d", "t"), "ஈ": ("e",),
        "எஃப்": ("f",), "ஜி": ("g",), "எச்": ("h",), "ஹெச்": ("h",), "ஐ": ("i",),
        "ஜே": ("j",), "கே": ("k",), "எல்": ("l",), "எம்": ("m",), "என்": ("n",), "ஓ": ("o",),
        "க்யூ": ("q",), "ஆர்": ("r",), "எஸ்": ("s",), "யூ": ("u",), "வி": ("v",),
        "டபிள்யூ": ("w",), "எக்ஸ்": ("x",), "ஒய்": ("y",), "வை": ("y",), "இசட்": ("z",),
    },
}  # fmt: skip
#: Letter names and then a word: where the word starts, and each letter's readings before it.
Fused = tuple[int, tuple[tuple[str, ...], ...]]
_LONGEST = {script: max(map(len, names)) for script, names in _NAMES.items()}
#: Vowels' names: a word of these alone is a word (এই "this", ওই "that"), not an acronym.
_VOWELS = frozenset(["a", "e", "i", "o", "u"])


@lru_cache(maxsize=8192)
def readings(word: str, script: str, romanize: Callable[[str, str], str]) -> tuple[str, ...]:
    """The acronyms `word` spells (lowercase Latin), or () when it is not spelt by letters.
    Readings of the whole word by letter names come first; only when there are none is the
    word read as letter names and then a word.

    Args:
        word: One normalised word in an Indian script.
        script: Its script ("Deva", "Beng", "Taml"; others have no table and give ()).
        romanize: How to write a trailing word in Latin letters (`knowledge.text.romanize_word`).
    """
    names = _NAMES.get(script)
    if not names:
        return ()
    whole: list[str] = []
    fused: list[Fused] = []
    _spell(word, 0, (), names, _LONGEST[script], (whole, fused))
    if whole:
        return tuple(dict.fromkeys(whole))[:MAX_READINGS]
    readings_: list[str] = []
    for start, letters in fused:
        rest = romanize(word[start:], script)
        if rest:
            readings_ += [spelt + rest for spelt in _combinations(letters)]
    return tuple(dict.fromkeys(readings_))[:MAX_READINGS]


def _spell(
    word: str,
    start: int,
    letters: tuple[tuple[str, ...], ...],
    names: dict[str, tuple[str, ...]],
    longest: int,
    found: tuple[list[str], list[Fused]],
) -> None:
    """Every way `word[start:]` is letter names (`found[0]`), or letter names and then a word
    (`found[1]`: where the word starts, and the letters before it)."""
    whole, fused = found
    if len(whole) >= MAX_READINGS:
        return
    spelt = len(letters) >= 2 and any(set(options) - _VOWELS for options in letters)
    if start == len(word):
        if spelt:
            whole.extend(_combinations(letters))
        return
    rest = word[start:]
    if spelt and len(rest) >= REST_CHARS and unicodedata.category(rest[0]) == "Lo":
        fused.append((start, letters))  # a letter starts the word, not a vowel sign
    for size in range(min(longest, len(word) - start), 0, -1):
        options = names.get(word[start : start + size])
        if options:
            _spell(word, start + size, (*letters, options), names, longest, found)


def _combinations(letters: tuple[tuple[str, ...], ...]) -> list[str]:
    spelt = [""]
    for options in letters:
        spelt = [s + o for s in spelt for o in options][:MAX_READINGS]
    return spelt
