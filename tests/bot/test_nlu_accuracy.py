"""Intent accuracy on the held-out sets. CI fails below macro F1 0.85 in any language form of
the independent set (written blind: tests/nlu/independent/BRIEF.md), and below 0.85 on the
project's own set too."""

from __future__ import annotations

import pytest

from bot.nlu_eval import FORMS, MODEL_PATH, RASA_PYTHON, evaluate_all, format_table

pytestmark = pytest.mark.stack

CI_FLOOR = 0.85


def test_every_language_form_meets_the_macro_f1_floor_on_both_sets() -> None:
    if not (RASA_PYTHON.exists() and MODEL_PATH.exists()):
        pytest.fail("the Rasa environment and model are missing: run `make setup model`")
    scores = evaluate_all()
    table = format_table(scores)
    print(table)
    for name in ("own", "independent"):
        assert [s.language for s in scores if s.set == name] == list(FORMS), table
    for score in scores:
        assert score.examples >= 100, f"{score.set} {score.language}: set too small\n{table}"
        assert score.f1 >= CI_FLOOR, (
            f"{score.set} {score.language} below {CI_FLOOR}\n{table}\n{score.errors}"
        )
