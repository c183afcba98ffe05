"""The bilingual domain glossary (knowledge/glossary.yml) and query expansion.

The glossary is data: concepts such as "course" or "RTI" with their terms in en, hi, hi-Latn
(romanized Hindi), ta and bn, and stop words per language. A query that names a concept in
any language is expanded with the concept's terms in every other language, so "प्रमाणपत्र कब
मिलेगा" also searches for "certificate" when only English content and an English-only model
are there.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from core.scripts import script_of
from knowledge.text import DERIVED, normalize, word_tokens, words

GLOSSARY_PATH = Path(__file__).with_name("glossary.yml")
_MAX_TERM_WORDS = 4


@dataclass(frozen=True, eq=False)
class Concept:
    """One glossary entry: its terms per language ("en", "hi", "hi-Latn", "ta", "bn")."""

    id: str
    terms: Mapping[str, tuple[str, ...]]

    def all_terms(self) -> list[str]:
        """Every term of the concept, all languages."""
        return [term for terms in self.terms.values() for term in terms]

    def in_language(self, language: str) -> tuple[str, ...]:
        """The concept's terms in one language (empty if it has none)."""
        return self.terms.get(language, ())


@dataclass(frozen=True)
class Match:
    """A concept named in a query: where (word positions) and which concept."""

    concept: Concept
    start: int
    end: int


def match_forms(word: str) -> tuple[str, ...]:
    """The forms a word is matched by: base token and romanized form; for a Latin word its
    phonetic key when that is long enough not to collide ("aadhaar" and "uttar" share "atr");
    for a long Indic word its prefix, which inflected forms share."""
    variants = word_tokens(word)
    forms = [v for v in variants if not v.startswith(DERIVED)]
    latin = script_of(word[0]) == "Latn"
    key = next((v for v in variants if v.startswith("~")), "")
    if latin and len(key) >= 5:
        forms.append(key)
    stem = next((v for v in variants if v.startswith("^")), "")
    if stem and not latin:  # agglutinated forms: விண்ணப்பக் / விண்ணப்பம்
        forms.append(stem)
    return tuple(forms)


class Glossary:
    """Concepts indexed by the match forms of their terms, plus stop words."""

    def __init__(self, concepts: Sequence[Concept], stopwords: Iterable[str] = ()) -> None:
        """Index `concepts` for matching; `stopwords` are normalised and lowercased."""
        self.concepts = tuple(concepts)
        self.stopwords = frozenset(normalize(w).casefold() for w in stopwords)
        self._index: dict[tuple[str, ...], list[Concept]] = {}
        # The keys of terms written in Latin letters (English, romanized Hindi), apart from
        # the romanized forms of terms in Indian scripts: রাতে ("at night") romanizes to "rate".
        self._latin: dict[tuple[str, ...], list[Concept]] = {}
        for concept in self.concepts:
            for term in concept.all_terms():
                latin = all(script_of(w[0]) == "Latn" for w in words(term))
                for key in self._term_keys(term):
                    for index in (self._index, self._latin) if latin else (self._index,):
                        bucket = index.setdefault(key, [])
                        if concept not in bucket:
                            bucket.append(concept)

    @staticmethod
    def _term_keys(term: str) -> set[tuple[str, ...]]:
        term_words = words(term)
        if not term_words or len(term_words) > _MAX_TERM_WORDS:
            return set()
        keys: set[tuple[str, ...]] = {()}
        for word in term_words:
            keys = {(*key, form) for key in keys for form in match_forms(word)}
        return keys

    def find(self, query_words: Sequence[str]) -> list[Match]:
        """Concepts named in `query_words`, longest match first, without overlaps."""
        forms = [match_forms(w) for w in query_words]
        latin = [script_of(w[0]) == "Latn" for w in query_words]
        taken: set[int] = set()
        found: list[Match] = []
        for size in range(min(_MAX_TERM_WORDS, len(forms)), 0, -1):
            for start in range(len(forms) - size + 1):
                span = range(start, start + size)
                if taken.intersection(span):
                    continue
                concepts = self._lookup(
                    forms[start : start + size], all(latin[start : start + size])
                )
                for concept in concepts:
                    found.append(Match(concept, start, start + size))
                if concepts:
                    taken.update(span)
        return sorted(found, key=lambda m: m.start)

    def _lookup(self, forms: Sequence[tuple[str, ...]], latin: bool) -> list[Concept]:
        """The concepts whose terms have these forms. Words are first matched as written:
        in Latin letters against the terms written in Latin letters, in an Indian script by
        their own script (and prefix), so "rate" is not also রাতে ("at night"), nor রাতে
        "rate"; only when that finds nothing do romanized forms and spelling keys count."""
        keys: list[tuple[str, ...]] = [()]
        for options in forms:
            keys = [(*key, form) for key in keys for form in options][:64]
        unkeyed = [key for key in keys if not any(f.startswith("~") for f in key)]
        written = [key for key in unkeyed if latin or not any(map(str.isascii, key))]
        written_index = self._latin if latin else self._index
        passes = ((written_index, written), (self._index, unkeyed), (self._index, keys))
        for index, candidates in passes:
            concepts = list(dict.fromkeys(c for key in candidates for c in index.get(key, [])))
            if concepts:
                return concepts
        return []


def _terms(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(str(v) for v in value if v)
    return ()


def parse(data: Mapping[str, Any]) -> Glossary:
    """A glossary from its YAML structure: {concepts: {id: {lang: [terms]}}, stopwords: {...}}."""
    concepts = []
    for concept_id, entry in (data.get("concepts") or {}).items():
        if isinstance(entry, dict):
            terms = {str(lang): _terms(v) for lang, v in entry.items()}
            concepts.append(Concept(str(concept_id), terms))
    stopwords: list[str] = []
    for value in (data.get("stopwords") or {}).values():
        for line in _terms(value):
            stopwords.extend(line.split())
    return Glossary(concepts, stopwords)


@lru_cache(maxsize=4)
def load(path: Path = GLOSSARY_PATH) -> Glossary:
    """The glossary in `path` (the packaged knowledge/glossary.yml by default), cached."""
    return parse(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
