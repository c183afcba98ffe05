"""Intent accuracy on the held-out test sets: CI fails below F1 0.85 in any language form."""

from __future__ import annotations

import pytest

from bot.nlu_eval import FORMS, MODEL_PATH, RASA_PYTHON, evaluate_all, format_table

pytestmark = pytest.mark.stack

CI_FLOOR = 0.85


def test_every_language_form_meets_the_intent_f1_floor() -> None:
    if not (RASA_PYTHON.exists() and MODEL_PATH.exists()):
        pytest.fail("the Rasa environment and model are missing: run `make setup model`")
    scores = evaluate_all()
    assert [s.language for s in scores] == list(FORMS)
    table = format_table(scores)
    print(table)
    for score in scores:
        assert score.examples >= 100, f"{score.language}: held-out set too small\n{table}"
        assert score.f1 >= CI_FLOOR, f"{score.language} below {CI_FLOOR}\n{table}\n{score.errors}"
