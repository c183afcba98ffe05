"""Turn a learner's question into search terms: cleaned, tokenised, expanded by the glossary.

A question becomes *groups* of tokens, one per word that carries meaning (or per glossary
concept it names). A group matches a passage when any of its tokens does: the word in its
own script, romanized, by phonetic key, or translated through the glossary. The groups give
BM25 its query and the answer's confidence its word coverage.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge.glossary import Glossary
from knowledge.text import (
    DERIVED,
    content_words,
    dominant_script,
    is_stopword,
    normalize,
    plain_latin,
    tokenize,
    word_tokens,
    words,
)

#: Questions are cut to this many characters (a 5,000-character paste is not a question).
MAX_QUERY_CHARS = 600
MAX_GROUPS = 24
_SPACES = re.compile(r"\s+")
_HINGLISH_WORDS = (
    "kya hai hain kab kaise kaun kyon kyun kitne kitna kitni kahan kis kisko mein ka ki ke "
    "ko se aur nahi nahin hota hoti hote karna karte kare batao bataiye samjhao matlab liye"
)
_HINGLISH = frozenset(_HINGLISH_WORDS.split())


Term = tuple[frozenset[str], ...]


@dataclass(frozen=True)
class Group:
    """One meaningful word (or glossary concept) of the question.

    Attributes:
        label: The word, or the concept id.
        tokens: Every token that stands for it (the lexical query uses these).
        terms: Alternatives, each a sequence of words given as their token variants; the group
            is in a passage when every word of one alternative is.
    """

    label: str
    tokens: frozenset[str]
    terms: tuple[Term, ...]

    def found_in(self, passage: set[str]) -> bool:
        """Whether the passage's tokens contain one of the alternatives."""
        return any(all(word & passage for word in term) for term in self.terms)


def _term(text: str, stop: frozenset[str], keys: bool = True) -> Term:
    """The words of `text` as their token variants; without spelling keys unless `keys`."""
    return tuple(
        frozenset(t for t in word_tokens(word) if keys or not t.startswith(("~", "=")))
        for word in words(text)
        if not is_stopword(word, stop)
    )


@dataclass(frozen=True)
class QueryPlan:
    """A question prepared for retrieval."""

    text: str
    script: str | None
    language: str
    groups: tuple[Group, ...]
    tokens: tuple[str, ...]
    dense_text: str
    concepts: tuple[str, ...]

    @property
    def empty(self) -> bool:
        """Whether nothing searchable is left (empty, emoji only, stop words only...)."""
        return not self.groups


def clean(question: str) -> str:
    """The question normalised, on one line, at most `MAX_QUERY_CHARS` characters."""
    text = _SPACES.sub(" ", normalize(question or "")).strip()
    return text[:MAX_QUERY_CHARS]


def guess_language(text: str) -> str:
    """The language a question is written in: by script, "hi" for romanized Hindi, else "en"."""
    script = dominant_script(text)
    by_script = {"Deva": "hi", "Taml": "ta", "Beng": "bn", "Telu": "te", "Knda": "kn"}
    if script in by_script:
        return by_script[script]
    lowered = set(re.findall(r"[a-z]+", text.lower()))
    return "hi" if len(lowered & _HINGLISH) >= 1 and script == "Latn" else "en"


def plan(question: str, glossary: Glossary, reads_indic: bool, language: str = "") -> QueryPlan:
    """Analyse a question.

    Args:
        question: Whatever the learner typed.
        glossary: Concepts for cross-language expansion, and stop words.
        reads_indic: Whether the embedding model reads Indian scripts (else romanize for it).
        language: The learner's language if known; guessed from the text otherwise.

    Returns:
        The plan; `plan.empty` when nothing in the question can be searched for.
    """
    text = clean(question)
    stop = glossary.stopwords
    found = content_words(text, stop)[: MAX_GROUPS * 2]
    matches = glossary.find(found)
    covered: set[int] = set()
    groups: list[Group] = []
    concept_terms: list[str] = []
    for match in matches:
        span = " ".join(found[match.start : match.end])
        # Spelling keys bridge the learner's own spellings; the glossary's forms are spelt
        # right, and their keys would meet unrelated words (বদলি "transfer", বদলে "instead").
        glossed = [_term(t, stop, keys=False) for t in match.concept.all_terms()]
        terms = [_term(span, stop), *glossed]
        terms = [t for t in terms if t]
        tokens = {tok for term in terms if len(term) == 1 for tok in term[0]}
        tokens |= {
            tok for term in terms for word in term for tok in word if not tok.startswith(DERIVED)
        }
        groups.append(Group(match.concept.id, frozenset(tokens), tuple(dict.fromkeys(terms))))
        covered.update(range(match.start, match.end))
        concept_terms.extend(match.concept.in_language("en")[:2])
    for position, word in enumerate(found):
        if position not in covered:
            term = _term(word, stop)
            if term:
                groups.append(Group(word, term[0], (term,)))
    groups = _merge(groups)[:MAX_GROUPS]
    own = tokenize(" ".join(found), stop)[:64]
    # The learner's own words count twice, glossary expansions and spelling keys once.
    strong = [t for t in dict.fromkeys(own) if not t.startswith(DERIVED)]
    flat = strong + list(dict.fromkeys(own + [t for g in groups for t in sorted(g.tokens)]))
    language = language or guess_language(text)
    script = dominant_script(text)
    native = script not in (None, "Latn") or language != "en"
    dense = plain_latin(text, stop) if native and not reads_indic else text
    extra = [t for t in dict.fromkeys(concept_terms) if t.lower() not in dense.lower()]
    if extra:
        dense = f"{dense} ({', '.join(extra)})"
    return QueryPlan(
        text=text,
        script=script,
        language=language,
        groups=tuple(groups),
        tokens=tuple(flat),
        dense_text=dense,
        concepts=tuple(dict.fromkeys(m.concept.id for m in matches)),
    )


def _merge(groups: list[Group]) -> list[Group]:
    """Groups with the same label (a word repeated, a concept named twice) counted once."""
    merged: dict[str, Group] = {}
    for group in groups:
        key = group.label.casefold()
        if key in merged:
            old = merged[key]
            merged[key] = Group(group.label, old.tokens | group.tokens, old.terms + group.terms)
        else:
            merged[key] = group
    return list(merged.values())
