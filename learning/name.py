"""Learners' names as certificates carry them: what counts as a name, and how it is stored.

A name comes from the roster, from the learner's channel profile (confirmed once in chat) or
typed by the learner. Any script is welcome; what a certificate cannot carry is a button
payload, digits, emoji or stray symbols.
"""

from __future__ import annotations

import unicodedata

#: Shortest and longest name, in characters (after normalizing).
MIN_LENGTH, MAX_LENGTH = 2, 100
#: Characters besides letters, marks and spaces that names use ("K. R. D'Souza-Iyer, Jr").
NAME_PUNCTUATION = frozenset(".'’-,")
#: Zero-width (non-)joiners: part of how some Indic names are spelt.
JOINERS = frozenset("\u200c\u200d")


def normal_name(name: str) -> str:
    """`name` as stored: NFC, trimmed, inner runs of whitespace as one space.

    Raises:
        ValueError: Nothing is left.
    """
    cleaned = unicodedata.normalize("NFC", " ".join(name.split()))
    if not cleaned:
        raise ValueError("a name cannot be empty")
    return cleaned


def certificate_name(text: str | None) -> str | None:
    """`text` normalized, if a certificate can carry it as a name; else None.

    A name has 2 to 100 characters, at least two of them letters, and otherwise only marks,
    spaces, joiners and `NAME_PUNCTUATION`.

    Examples:
        >>> certificate_name("  Asha   Rao ")
        'Asha Rao'
        >>> certificate_name("मीरा अय्यर")
        'मीरा अय्यर'
        >>> certificate_name("/confirm_name") is None, certificate_name("A1") is None
        (True, True)
    """
    if not text or not text.strip():
        return None
    name = normal_name(text)
    if not MIN_LENGTH <= len(name) <= MAX_LENGTH:
        return None
    if sum(unicodedata.category(c).startswith("L") for c in name) < 2:
        return None
    if not all(_allowed(c) for c in name):
        return None
    return name


def _allowed(char: str) -> bool:
    return (
        unicodedata.category(char)[0] in "LM"
        or char == " "
        or char in NAME_PUNCTUATION
        or char in JOINERS
    )
