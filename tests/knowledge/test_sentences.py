"""The sentences that answer: chosen inside a passage, never a heading, byline or question."""

from __future__ import annotations

import pytest

from knowledge.glossary import load as load_glossary
from knowledge.lexical import LexicalIndex
from knowledge.query import plan
from knowledge.sentences import best_window, is_scaffolding, split, split_marked
from knowledge.store import Record

CIRCULAR = """No. 12/4/2026-Estt.
Subject: Leave Travel Concession for the block 2026-29
The undersigned is directed to refer to the rules on LTC.
3.2 A member of the family is treated as dependent if the income does not exceed Rs. 12,500
per month.
3.3 The advance may be drawn 65 days before the journey.
"""

FAQ = """FREQUENTLY ASKED QUESTIONS
Q3. Within how many days must a grievance be disposed of?
Ans. A grievance must be disposed of within 21 days of its receipt.
Q4. Who reviews pending grievances?
Ans. The Joint Secretary reviews them every month.
"""


@pytest.fixture(scope="module")
def index() -> LexicalIndex:
    passages = [CIRCULAR, FAQ, "Unrelated text about passwords and phishing emails."]
    records = [Record(str(n), p, {}) for n, p in enumerate(passages)]
    return LexicalIndex(records, load_glossary().stopwords)


def ask(index: LexicalIndex, question: str, text: str) -> str:
    glossary = load_glossary()
    query = plan(question, glossary, reads_indic=False, language="en")
    window = best_window(query, text, "", index, glossary.stopwords, limit=700)
    assert window is not None
    return window.text


def test_an_abbreviation_does_not_end_a_sentence_and_a_wrapped_line_is_rejoined() -> None:
    sentences = split(CIRCULAR)
    assert "3.3 The advance may be drawn 65 days before the journey." in sentences
    assert any(s.endswith("does not exceed Rs. 12,500 per month.") for s in sentences)


@pytest.mark.parametrize(
    "line",
    ["No. 12/4/2026-Estt.", "Subject: Leave Travel Concession", "FREQUENTLY ASKED QUESTIONS",
     "Q3. Within how many days?", "By Ravi Kumar", "NEW DELHI, March 3 —", "1. Eligibility",
     "विषय: अवकाश यात्रा रियायत", "All officers and staff of the Ministry of Textiles"],
)  # fmt: skip
def test_headings_labels_bylines_and_questions_are_scaffolding(line: str) -> None:
    assert is_scaffolding(line)


@pytest.mark.parametrize(
    "line", ["- Fee: Rs 10", "The fee is Rs 10.", "3.3 The advance may be drawn 65 days before."]
)
def test_content_lines_are_not_scaffolding(line: str) -> None:
    assert not is_scaffolding(line)


def test_the_answer_is_the_sentence_with_the_fact_not_the_whole_circular(
    index: LexicalIndex,
) -> None:
    answer = ask(index, "up to what monthly income is a family member dependent", CIRCULAR)
    assert "12,500" in answer and "Subject" not in answer and len(answer) < 160


def test_an_faq_answers_with_its_answer_not_with_its_own_question(index: LexicalIndex) -> None:
    answer = ask(index, "how many days to dispose of a grievance", FAQ)
    assert answer.startswith("A grievance must be disposed of within 21 days")
    assert "Q3" not in answer and "Joint Secretary" not in answer


def test_a_passage_of_nothing_but_headings_has_no_answer(index: LexicalIndex) -> None:
    glossary = load_glossary()
    query = plan("grievance days", glossary, reads_indic=False, language="en")
    text = "GRIEVANCES\nSubject: Grievances"
    assert best_window(query, text, "", index, glossary.stopwords, 700) is None


MEMORANDUM = """3. Leave records shall be updated in the HRMS by the 5th of every month.
4. Queries may be sent to the Leave Cell.

(R. K. Verma)
Under Secretary (Establishment)
Tel: 011-2309 4411

To:
All sections of the Department of Fisheries

Copy to:
1. PS to Secretary (Fisheries)
2. Leave Cell, Krishi Bhawan

Krishi Bhawan, Dr. Rajendra Prasad Road, New Delhi-110001
"""


def test_an_item_keeps_its_number_and_a_lone_number_is_no_sentence() -> None:
    sentences = split("Copy to:\n1. PS to Secretary. 2. All Heads of Division\n10. It issues. 2.")
    assert sentences == [
        "Copy to:", "1. PS to Secretary.", "2. All Heads of Division", "10. It issues.", "2."
    ]  # fmt: skip
    assert is_scaffolding("2.") and is_scaffolding("(b)") and is_scaffolding("(R. K. Verma)")


def test_addressees_addresses_and_contact_lines_never_answer(index: LexicalIndex) -> None:
    marked = dict(split_marked(MEMORANDUM))
    assert marked["1. PS to Secretary (Fisheries)"] and marked["2. Leave Cell, Krishi Bhawan"]
    assert marked["All sections of the Department of Fisheries"]
    assert marked["Krishi Bhawan, Dr. Rajendra Prasad Road, New Delhi-110001"]
    assert not marked["4. Queries may be sent to the Leave Cell."]
    assert is_scaffolding("Tel: 011-2309 4411") and is_scaffolding("दूरभाष: 011-2306 1127")
    assert not is_scaffolding("Telangana has 33 districts.")
    # The closing names the Leave Cell and Krishi Bhawan too; the answer is the body's sentence.
    answer = ask(index, "where is the leave cell in krishi bhawan to send queries", MEMORANDUM)
    assert answer == "4. Queries may be sent to the Leave Cell."


def test_a_line_after_a_blank_line_starts_anew_even_in_lower_case() -> None:
    text = "E-OFFICE GUIDELINES\n\ne-Office shall be used for all files.\nand wrapped here."
    assert split(text) == [
        "E-OFFICE GUIDELINES", "e-Office shall be used for all files.", "and wrapped here."
    ]  # fmt: skip
    assert split("The fee is paid\nonline by the applicant.") == [
        "The fee is paid online by the applicant."
    ]
