"""Quantity questions need a quantity: the check in every language form, and its effect."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.answer_type import (
    QUANTITY_PENALTY,
    answer_fit,
    asks_quantity,
    gives_quantity,
)

from .conftest import MakeKB


@pytest.mark.parametrize(
    "question",
    [
        "How many grievances were received in 2025?",
        "Within how many days must a PIO reply?",
        "PIO को कितने दिनों में सूचना देनी होती है?",
        "RTI application ki fees kitni hai",
        "விண்ணப்பக் கட்டணம் எவ்வளவு?",
        "তথ্যের অধিকার আবেদনের ফি কত?",
        "What is the monthly licence fee for a Type-IV house?",
        "At what rate is earnest money asked for?",
        "What interest is paid on a delayed bill?",
    ],
)
def test_quantity_questions_are_recognised(question: str) -> None:
    assert asks_quantity(question)


@pytest.mark.parametrize(
    "question",
    [
        "Who is the appellate authority?",
        "RTI kya hai",
        "शिकायत कहाँ करें?",
        "কে আবেদন করবেন?",
        # "rate" as a verb, far from "what"; a measure word in a question that is not "what"
        "What happens to grievances that citizens rate as poor?",
        "Is the fee refunded if the application is rejected?",
    ],
)
def test_other_questions_are_not_quantity_questions(question: str) -> None:
    assert not asks_quantity(question)


def test_a_quantity_is_a_new_figure_or_number_word() -> None:
    asked = "How many grievances were received in 2025?"
    assert gives_quantity("In 2025, 41,372 grievances were received.", asked)
    assert not gives_quantity("Grievances received in 2025 were reviewed.", asked)
    assert not gives_quantity("7.1 The Secretary reviews grievances monthly.", asked)
    assert gives_quantity("शिकायत तीन महीने के भीतर की जानी चाहिए।", "कितने समय में?")
    assert gives_quantity("The fee is Rs 10.", "fees kitni hai")


def test_an_answer_without_the_asked_quantity_is_less_sure() -> None:
    asked = "How many grievances were received in 2025?"
    assert answer_fit(asked, "Grievances of 2025 were reviewed.") == QUANTITY_PENALTY
    assert answer_fit(asked, "41,372 grievances were received in 2025.") == 1.0
    assert answer_fit("Who reviews grievances?", "The Secretary reviews them.") == 1.0


REVIEW = """Review of public grievances

A review of grievances received on the portal during 2025 showed that many were closed
without a speaking reply. Ministries shall review the quality of disposal every month.
"""
COUNT = """Grievance statistics

The portal received 41,372 grievances during 2025, of which 39,880 were disposed of.
"""


def test_a_quantity_question_abstains_unless_some_passage_gives_the_quantity(
    make_kb: MakeKB, tmp_path: Path
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "review.txt").write_text(REVIEW, encoding="utf-8")
    kb = make_kb()
    kb.ingest([docs], progress=False)
    asked = "How many grievances were received on the portal in 2025?"
    plain = "Were the grievances of 2025 closed with a speaking reply?"
    assert kb.ask(plain, log_gap=False).confident
    assert not kb.ask(asked, log_gap=False).confident
    (docs / "count.txt").write_text(COUNT, encoding="utf-8")
    kb.ingest([docs], progress=False)
    answer = kb.ask(asked, log_gap=False)
    assert answer.confident and "41,372" in answer.text


def test_numbers_that_name_are_no_quantity() -> None:
    asked = "How many files were closed?"
    assert not gives_quantity("Tel: 011-2306 3512", asked)
    assert not gives_quantity("Sardar Patel Bhavan, Sansad Marg, New Delhi-110001", asked)
    assert not gives_quantity(
        "Shri A. Rao, Room No. 258-A, Extension 2231, is nodal officer.", asked
    )
    assert not gives_quantity("कमरा नं. 412, दूरभाष 011-2306 3318", asked)
    assert gives_quantity("Room No. 12 closed 340 files.", asked)
