"""The sentences that answer: one to three, chosen inside a passage, never a heading alone.

A passage is split into sentences (Latin and Indic full stops, question and exclamation marks,
line breaks). Lines that cannot answer anything on their own — a heading or title, a byline, a
dateline, an office memorandum's "No.", "Subject:", "To:" or "Dated" line, a contact line, an
FAQ's question, and a memorandum's closing (the addressees under "To:" or "Copy to:", a postal
address) — are *scaffolding*: they may give context (their words count towards the passage's
heading), but an answer never starts with one. Each other sentence is scored by the
IDF-weighted coverage of the question's word groups (`knowledge.confidence.coverage`), with the
passage's heading words counted in; the best sentence is taken, then the next one while it adds
coverage or the first is too short to stand alone, up to three sentences and `limit`
characters. The coverage of the chosen window is what the answer's confidence is built from, so
a passage that mentions every word of the question, but never together, is less sure than one
sentence that does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge.confidence import coverage
from knowledge.lexical import LexicalIndex
from knowledge.query import QueryPlan
from knowledge.text import tokenize

#: Most sentences in an answer.
MAX_SENTENCES = 3
#: A sentence shorter than this is joined by the next one.
SHORT = 60
#: A sentence adds itself to the answer when it raises coverage by at least this.
GAIN = 0.05
_SPLIT = re.compile(r"(?<=[.?!।॥])\s+")
_STOPS = (".", "?", "!", "।", "॥", ":", ";")
#: Words whose full stop does not end a sentence ("Rs. 12,500", "No. 14/2", "Shri. Rao").
_ABBREVIATION = re.compile(
    r"(?:^|\s)(?:rs|no|nos|dr|mr|mrs|ms|smt|shri|sri|govt|dept|sr|jr|st|viz|etc|vol|sec|para|"
    r"art|cl|min|max|approx|ltd|pvt|e\.g|i\.e|[a-z])\.$",
    re.IGNORECASE,
)
_BULLET = re.compile(r"^\s*[-*•]\s+")
_NUMBERED = re.compile(r"^\s*\(?[0-9a-zA-Z]{1,3}[.)]\s+")
_LABEL = re.compile(
    r"^\s*(?:f\.?\s*no\.?|no\.|subject|sub\.|to|from|dated|date|ref\.?|reference|copy to|"
    r"by|posted|updated|published|विषय|सेवा में|दिनांक|संख्या|प्रेषक|द्वारा|प्रतिलिपि)\s*[:.\-–]",
    re.IGNORECASE,
)
#: A contact line: "Tel: 011-2306 3512", "Phone No. 2231", "दूरभाष: ...", "E-mail: ...".
_CONTACT = re.compile(
    r"^\s*(?:(?:tel|telephone|phone|fax|mobile|दूरभाष|फ़ैक्स|फैक्स)\.?\s*(?:no\.?)?\s*[:.]?\s*[+(]?\d"
    r"|(?:e-?mail|ई-मेल)\s*:)",
    re.IGNORECASE,
)
#: The line that opens a memorandum's list of addressees ("To:", "Copy to:", "प्रतिलिपि:").
_ADDRESSEES = re.compile(
    r"^\s*(?:to|copy\s+to|copy|distribution|सेवा\s+में|प्रतिलिपि|प्रति)\s*[:.\-–]?\s*$",
    re.IGNORECASE,
)
#: A postal address line: it ends in a PIN code ("Sansad Marg, New Delhi-110001").
_ADDRESS = re.compile(r"[-–,\s][1-9]\d{2}\s?\d{3}\.?\s*$")
#: Longest address line, in words (a long sentence ending in a six-digit figure is no address).
ADDRESS_WORDS = 15
#: A piece that is only an item's or paragraph's number ("2.", "3.1", "(b)", "iv)").
_NUMBER_ONLY = re.compile(r"^\(?(?:\d{1,3}(?:\.\d{1,3})*|[a-z]|[ivx]{1,4})[.)]$", re.IGNORECASE)
#: A line that is only a file or reference number ("No. 12/4/2026-Estt.", "F.No. A-11013/2").
_FILE_NUMBER = re.compile(r"^\s*(?:f\.?\s*)?no\.?\s*[\w/().,:-]+(?:\s+[\w/().,:-]+)?\s*$", re.I)
#: A line wholly in brackets: a signatory's name "(Meera Iyer)", an office "(Admn. I Section)".
_BRACKETED = re.compile(r"^\s*\([^()]*\)\s*$")
_BYLINE = re.compile(r"^\s*(?:by|written by|reported by)\s+\S", re.IGNORECASE)
_DATELINE = re.compile(r"^[A-Z][A-Z .,'-]{2,40}(?:,\s*[A-Za-z]{3,9}\.?\s+\d{1,2})?\s*[:—–-]+\s*$")
_QUESTION_MARK = re.compile(r"^\s*(?:q|q\.|ques|question|प्रश्न|प्र)\s*\.?\s*\d*\s*[:.)\-–]", re.I)
_ANSWER_MARK = re.compile(r"^\s*(?:a|a\.|ans|answer|उत्तर|उ)\s*\.?\s*\d*\s*[:.)\-–]\s*", re.I)
_END = re.compile(r"[.!।॥:;,)\]\"”’']\s*$")


@dataclass(frozen=True)
class Window:
    """The chosen sentences and how much of the question they cover."""

    text: str
    coverage: float


def split(text: str) -> list[str]:
    """The sentences and lines of a passage, in order, stripped (an abbreviation's full stop
    does not end a sentence, and an item's number stays with its item)."""
    return [sentence for sentence, _ in split_marked(text)]


def split_marked(text: str) -> list[tuple[str, bool]]:
    """`split`, each sentence with whether it is part of a memorandum's closing: its list of
    addressees ("To:", "Copy to:" and the lines under it, up to a blank line) or a postal
    address. Such lines never answer, whatever words they share with a question."""
    lines: list[tuple[str, bool]] = []
    listing = blank = False
    for line in text.splitlines():  # a hard-wrapped sentence goes on in lower case: rejoin
        if not line.strip():
            listing, blank = False, True
            continue
        wrapped = lines and not blank and line[:1].islower()
        blank = False
        if wrapped and not lines[-1][0].rstrip().endswith(_STOPS):
            lines[-1] = (f"{lines[-1][0].rstrip()} {line.strip()}", lines[-1][1])
            continue
        address = len(line.split()) <= ADDRESS_WORDS and bool(_ADDRESS.search(line))
        closing = listing or address
        listing = listing or bool(_ADDRESSEES.match(line))
        lines.append((line, closing))
    sentences: list[tuple[str, bool]] = []
    for line, closing in lines:
        pieces = [p.strip() for p in _SPLIT.split(line) if p.strip()]
        number = None
        for position, piece in enumerate(pieces):
            if number is not None:
                piece, number = f"{number} {piece}", None
            elif position and _ABBREVIATION.search(sentences[-1][0]):
                sentences[-1] = (f"{sentences[-1][0]} {piece}", closing)
                continue
            if _NUMBER_ONLY.match(piece) and position + 1 < len(pieces):
                number = piece
                continue
            sentences.append((piece, closing))
    return sentences


def is_question(sentence: str) -> bool:
    """An FAQ's question (or any sentence asking one)."""
    return sentence.rstrip().endswith(("?", "？")) or bool(_QUESTION_MARK.match(sentence))


def is_scaffolding(sentence: str) -> bool:
    """Whether a line cannot answer on its own: a heading, title, byline, dateline, a
    memorandum's labelled line, or a question."""
    text = sentence.strip()
    if not text or is_question(text) or _LABEL.match(text) or _BYLINE.match(text):
        return True
    if _CONTACT.match(text) or _NUMBER_ONLY.match(text) or _BRACKETED.match(text):
        return True
    if _FILE_NUMBER.match(text):
        return True
    if _DATELINE.match(text):
        return True
    if _BULLET.match(text):  # a list item is content, however short ("- Fee: Rs 10")
        return False
    body = _NUMBERED.sub("", text)
    letters = [c for c in body if c.isalpha()]
    shouting = len(letters) > 3 and sum(c.isupper() for c in letters) > 0.8 * len(letters)
    heading = len(body.split()) <= 12 and not _END.search(body) and not any(map(str.isdigit, body))
    return shouting or heading


def clean(sentence: str) -> str:
    """A sentence as shown: an FAQ's "A:" / "Ans." / "उत्तर:" marker dropped."""
    return _ANSWER_MARK.sub("", sentence, count=1).strip()


def best_window(
    query: QueryPlan,
    text: str,
    heading: str,
    index: LexicalIndex,
    stopwords: frozenset[str],
    limit: int,
) -> Window | None:
    """The one to three sentences of `text` that answer `query` best, or None when every
    line is scaffolding."""
    marked = split_marked(text)
    sentences = [sentence for sentence, _ in marked]
    context = set(tokenize(heading, stopwords)) if heading else set()
    tokens = [set(tokenize(s, stopwords)) for s in sentences]
    candidates = [
        i for i, (s, closing) in enumerate(marked) if not closing and not is_scaffolding(s)
    ]
    if not candidates:
        return None
    answering = set(candidates)
    scores = {i: coverage(query, tokens[i] | context, index) for i in candidates}
    first = max(candidates, key=lambda i: (scores[i], -i))
    chosen, covered = [first], tokens[first] | context
    score, size = scores[first], len(clean(sentences[first]))
    for nxt in range(first + 1, len(sentences)):
        if len(chosen) >= MAX_SENTENCES or nxt not in answering:
            break
        gained = coverage(query, covered | tokens[nxt], index)
        extra = len(clean(sentences[nxt])) + 1
        if size + extra > limit or (gained < score + GAIN and size >= SHORT):
            break
        chosen.append(nxt)
        covered |= tokens[nxt]
        score, size = gained, size + extra
    return Window(" ".join(clean(sentences[i]) for i in chosen), score)
