"""What a certificate can carry as a name: any script, no payloads, digits or symbols."""

from __future__ import annotations

import unicodedata

import pytest

from learning.name import MAX_LENGTH, certificate_name, normal_name


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("  Asha   Rao ", "Asha Rao"),
        ("K. R. D'Souza-Iyer", "K. R. D'Souza-Iyer"),
        (unicodedata.normalize("NFD", "Renée"), "Renée"),
        ("मीरा अय्यर", "मीरा अय्यर"),
        ("கா. முத்துலட்சுமி", "கா. முத்துலட்சுமி"),
        ("ശ്രീ\u200dകുമാർ", "ശ്രീ\u200dകുമാർ"),  # a joiner inside a Malayalam name
        ("Li", "Li"),
        ("a" * MAX_LENGTH, "a" * MAX_LENGTH),
    ],
)
def test_names_in_any_script_are_kept_normalized(text: str, name: str) -> None:
    assert certificate_name(text) == name


@pytest.mark.parametrize(
    "text",
    [None, "", "   ", "x", "A1", "R2-D2", "/confirm_name", "Asha 🌸", "what?", ". -",
     "a" * (MAX_LENGTH + 1)],
)  # fmt: skip
def test_what_is_not_a_name_is_refused(text: str | None) -> None:
    assert certificate_name(text) is None


def test_a_stored_name_is_never_empty() -> None:
    assert normal_name(" Asha\tRao\n") == "Asha Rao"
    with pytest.raises(ValueError):
        normal_name(" \n ")
