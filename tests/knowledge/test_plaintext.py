"""Plain-text documents get their headings found, so they chunk by section and FAQ entry."""

from __future__ import annotations

from pathlib import Path

from knowledge.chunking import split
from knowledge.loaders import load
from knowledge.plaintext import is_faq_question, is_heading, structure

CIRCULAR = """Office Memorandum on Leave Travel Concession

No. 31011/2/2026-Estt.(A)
Government of India

1. Eligibility
All regular employees with one year of service may avail LTC.

2. ADVANCE
An advance of 90 per cent of the fare may be drawn.
2.1 The advance is drawn no earlier than 65 days before the journey.
"""

FAQ = """FAQ: Grievances

Q1. Within how many days is a grievance disposed of?
Within 21 days of receipt.

प्रश्न 2: शिकायत कौन देख सकता है?
कोई भी नागरिक।
"""


def test_capital_headings_are_found_but_sentences_and_numbered_paragraphs_are_not() -> None:
    assert is_heading("2. ADVANCE") and is_heading("SCOPE") and not is_heading("1. Eligibility")
    assert not is_heading("2.1 The advance is drawn no earlier than 65 days before the journey.")
    assert not is_heading("All regular employees with one year of service may avail LTC.")


def test_faq_questions_are_found_in_english_and_hindi() -> None:
    assert is_faq_question("Q1. Within how many days is a grievance disposed of?")
    assert is_faq_question("प्रश्न 2: शिकायत कौन देख सकता है?")
    assert not is_faq_question("Within 21 days of receipt.")


def test_structure_marks_title_sections_and_questions() -> None:
    lines = structure(CIRCULAR).splitlines()
    assert lines[0] == "# Office Memorandum on Leave Travel Concession"
    assert "1. Eligibility" in lines and "## 2. ADVANCE" in lines
    assert "2.1 The advance is drawn no earlier than 65 days before the journey." in lines
    faq = structure(FAQ).splitlines()
    assert "### Q1. Within how many days is a grievance disposed of?" in faq
    assert "### प्रश्न 2: शिकायत कौन देख सकता है?" in faq
    assert structure("# Already markdown\ntext") == "# Already markdown\ntext"


def test_a_text_file_chunks_by_section_with_each_heading(tmp_path: Path) -> None:
    path = tmp_path / "faq.txt"
    path.write_text(FAQ, encoding="utf-8")
    chunks = split(load(path))
    headings = [c.metadata["heading"] for c in chunks]
    assert "Q1. Within how many days is a grievance disposed of?" in headings
    answer = next(c for c in chunks if c.metadata["heading"].startswith("Q1."))
    assert "21 days" in answer.text and "नागरिक" not in answer.text
