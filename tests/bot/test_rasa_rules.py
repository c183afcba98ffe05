"""The patched rule matching finds exactly the rules Rasa's finds (tests/rasa/rules_check.py,
in `.venv-rasa`, on the trained model and real conversation states)."""

from __future__ import annotations

from core.settings import PROJECT_ROOT
from tests.bot.rasa_checks import needs_model, run_model_check

CHECK = PROJECT_ROOT / "tests" / "rasa" / "rules_check.py"


@needs_model
def test_the_rules_that_fit_a_conversation_are_the_ones_rasa_finds() -> None:
    report = run_model_check(CHECK)
    assert report["calls"] >= 40  # lookups made while predicting the conversations
    # Each state, each prefix of it, each lookup; plus the rules' own states, conversation
    # starts and "should not be set" features, which Rasa's checks treat specially.
    assert report["compared"] >= 10_000
    assert report["found"] >= 5_000  # not only empty answers compared
    assert report["differ"] == 0
