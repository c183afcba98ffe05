"""Typed quiz answers in every language form."""

from __future__ import annotations

import pytest

from learning.quiz import parse_option


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("b", 1), ("B", 1), ("2", 1), ("option 2", 1), ("Option B.", 1), ("answer is b", 1),
        ("the second one", 1), ("second", 1), ("2nd", 1), ("my answer: c", 2),
        ("दूसरा", 1), ("विकल्प 3", 2), ("उत्तर ब", 1), ("२", 1), ("पहला वाला", 0),
        ("doosra", 1), ("doosra option", 1), ("b wala", 1), ("teesra", 2),
        ("இரண்டாவது", 1), ("மூன்றாவது விருப்பம்", 2), ("பதில் 2", 1), ("௨", 1),
        ("দ্বিতীয়", 1), ("৩", 2),
    ],
)  # fmt: skip
def test_typed_answers_name_an_option(text: str, expected: int | None) -> None:
    assert parse_option(text, 4) == expected


@pytest.mark.parametrize("text", ["", "e", "5", "0", "a or b", "what is RTI", "option", "😀"])
def test_text_that_names_no_single_option(text: str) -> None:
    assert parse_option(text, 4) is None


def test_options_beyond_the_question_are_rejected() -> None:
    assert parse_option("c", 2) is None
    assert parse_option("2", 2) == 1
