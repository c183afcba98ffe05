"""How sure an answer is: coverage of the question's words, and dense similarity.

*Coverage* is the IDF-weighted share of the question's meaningful words (glossary concepts
count as one word, matched in any language or spelling) that the passage contains. A word
that appears nowhere in the content weighs as much as the rarest word, so "pension rules for
army officers" has low coverage over courses that never mention pensions or the army.
*Similarity* is the cosine between the question and the passage embeddings. The threshold
on their blend is calibrated on the eval set (`knowledge eval-rag --calibrate`).
"""

from __future__ import annotations

from knowledge.documents import Hit
from knowledge.lexical import LexicalIndex
from knowledge.query import QueryPlan
from knowledge.text import DERIVED, tokenize

#: Cosine similarities below FLOOR count as 0, above CEIL as 1 (offline MiniLM model).
SIMILARITY_FLOOR = 0.15
SIMILARITY_CEIL = 0.65
COVERAGE_WEIGHT = 0.7
UNSEEN_WEIGHT = 1.5


def passage_tokens(hit: Hit, stopwords: frozenset[str]) -> set[str]:
    """The tokens of a passage with its heading (the lesson title heads a lesson's opening).

    The lesson title is not added to every section: it would make all sections of a lesson
    cover the lesson's topic equally well and hide which one answers.
    """
    meta = hit.metadata
    context = str(meta.get("heading") or meta.get("title") or "")
    return set(tokenize(f"{context}\n{hit.text}", stopwords))


def group_weight(tokens: frozenset[str], index: LexicalIndex) -> float:
    """How much a question word matters: its IDF; more than any IDF if no content has it.

    A word that appears nowhere in the content ("pension", "passport") is the strongest sign
    that the question is about something the courses do not cover.
    """
    plain = [t for t in tokens if not t.startswith(DERIVED)] or list(tokens)
    known = [index.idf(t) for t in plain if index.df.get(t)]
    if known:
        return min(known)
    if any(index.df.get(t) for t in tokens):  # known only by spelling key or stem
        return index.idf("\u2205 unseen")
    return UNSEEN_WEIGHT * index.idf("\u2205 unseen")


def coverage(query: QueryPlan, tokens: set[str], index: LexicalIndex) -> float:
    """IDF-weighted share of the question's word groups found in `tokens` (0 to 1)."""
    total = matched = 0.0
    for group in query.groups:
        weight = group_weight(group.tokens, index)
        total += weight
        if group.found_in(tokens):
            matched += weight
    return matched / total if total else 0.0


def blend(cover: float, similarity: float | None, reads: bool = True) -> float:
    """The confidence (0 to 1) from coverage and cosine similarity.

    `reads` says whether the model understood the question as written; when it did not, its
    similarity is only a weak hint.
    """
    if similarity is None:
        return cover
    span = SIMILARITY_CEIL - SIMILARITY_FLOOR
    sim = min(1.0, max(0.0, (similarity - SIMILARITY_FLOOR) / span))
    return COVERAGE_WEIGHT * cover + (1.0 - COVERAGE_WEIGHT) * sim
