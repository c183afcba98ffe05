"""Headings found in plain text, so articles, circulars and FAQs chunk as lessons do.

A `.txt` file has no markup, but its structure is usually plain to see: a title on the first
line, section headings in capitals on lines of their own, and in an FAQ a question
before each answer. `structure` marks those lines as Markdown headings (title `#`, headings
in capitals `##`, FAQ questions `###`), so the chunker cuts at them and every passage keeps
the heading it sits under, which retrieval and answer selection both read. Everything else
is left as it is.
"""

from __future__ import annotations

import re

_QUESTION = re.compile(
    r"^\s*(?:q\s*\.?\s*\d*\s*[.:)\-–]|ques(?:tion)?\s*\.?\s*\d*\s*[.:)\-–]|प्रश्न\s*\d*\s*[.:)\-–]|"
    r"प्र\s*\.?\s*\d+\s*[.:)\-–])",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"[.।;,]\s*$")
#: Longest heading, in words.
HEADING_WORDS = 10
#: Longest FAQ question, in words.
QUESTION_WORDS = 30


def _words(line: str) -> int:
    return len(line.split())


def is_heading(line: str) -> bool:
    """A short line in capitals that is not a sentence ("SCOPE", "2. ADVANCE").

    Numbered lines in mixed case are left alone: in circulars they are mostly numbered
    paragraphs, and cutting at every one left passages too small to match a question asked
    in other words (measured on the blind dev set: Hindi questions lost hits).
    """
    text = line.strip()
    if not text or _words(text) > HEADING_WORDS or _SENTENCE_END.search(text):
        return False
    letters = [c for c in text if c.isalpha() and c.isascii()]
    capitals = len(letters) > 3 and sum(c.isupper() for c in letters) > 0.8 * len(letters)
    return capitals


def is_faq_question(line: str) -> bool:
    """An FAQ's question on a line of its own ("Q3. Who …?", "प्रश्न 2: …?")."""
    text = line.strip()
    if not text or _words(text) > QUESTION_WORDS:
        return False
    return bool(_QUESTION.match(text)) or (text.endswith(("?", "？")) and _words(text) >= 3)


def structure(text: str) -> str:
    """`text` with its title, section headings and FAQ questions marked as Markdown headings.

    Text that already has Markdown headings is returned as it is.
    """
    lines = text.splitlines()
    if any(re.match(r"^#{1,3}\s+\S", line) for line in lines):
        return text
    out: list[str] = []
    titled = False
    for number, line in enumerate(lines):
        stripped = line.strip()
        before = lines[number - 1].strip() if number else ""
        alone = not before  # a heading starts a block
        if not titled and stripped:
            titled = True
            if _words(stripped) <= 2 * HEADING_WORDS and not _SENTENCE_END.search(stripped):
                out.append(f"# {stripped}")
                continue
        if alone and is_faq_question(stripped):
            out.append(f"### {stripped}")
        elif alone and is_heading(stripped):
            out.append(f"## {stripped}")
        else:
            out.append(line)
    return "\n".join(out)
