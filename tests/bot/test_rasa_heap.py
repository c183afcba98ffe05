"""After a Rasa worker loads its model, the objects alive then are frozen out of garbage
collection, and a later model load puts them back (tests/rasa/heap_check.py, `.venv-rasa`)."""

from __future__ import annotations

from core.settings import PROJECT_ROOT
from tests.bot.rasa_checks import needs_model, run_model_check

CHECK = PROJECT_ROOT / "tests" / "rasa" / "heap_check.py"


@needs_model
def test_the_model_is_frozen_after_start_and_a_reload_unfreezes_it() -> None:
    report = run_model_check(CHECK)
    assert report["wraps"]  # Rasa's own listener still does the loading
    assert report["agent"] and report["intent"] == "greet"  # the loaded model works
    assert report["before"] == 0
    assert report["frozen"] > 100_000  # the model's objects, out of every collection
    assert report["after_reload"] == 0  # a model load unfreezes them, for good
