"""bot/rasa_history.py gives what Rasa gives: applied events, past states, copies, predictions.

tests/rasa/history_check.py (in `.venv-rasa`) grows one tracker event by event through a
conversation with forms, hidden rule turns, reverts, a restart and new sessions, and compares
the carried-forward results and the tracker copies with Rasa's functions after every event.
tests/rasa/window_check.py compares the trained policies' predictions from their last states
only with their predictions from every state.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from bot import stack
from core.settings import PROJECT_ROOT

CHECK = PROJECT_ROOT / "tests" / "rasa" / "history_check.py"


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    if not stack.RASA_PYTHON.exists():
        pytest.fail("the Rasa environment is missing: run `make setup`")
    out = tmp_path_factory.mktemp("history") / "report.json"
    env = os.environ | {"RASA_TELEMETRY_ENABLED": "false"}
    done = subprocess.run(
        [str(stack.RASA_PYTHON), str(CHECK), "--out", str(out)], cwd=PROJECT_ROOT, env=env,
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(json.loads(Path(out).read_text(encoding="utf-8")))


def test_every_event_gives_rasas_applied_events_and_states(report: dict[str, Any]) -> None:
    assert report["mismatches"] == []
    assert report["events"] >= 300 and report["comparisons"] == 5 * report["events"]
    assert report["states"] >= 40  # long enough that carrying forward matters


def test_states_asked_for_every_few_events_are_rasas_across_reverts_between_calls(
    report: dict[str, Any],
) -> None:
    sparse = report["sparse"]
    assert sparse["mismatches"] == []
    assert sparse["compared"] >= 5 * 200 and sparse["regrown"] >= 10


def test_each_event_is_folded_about_once_not_once_per_call(report: dict[str, Any]) -> None:
    # Rasa folds the whole session on every call: ~events²/2 steps here (~50,000).
    assert report["folded_events"] < 1.5 * report["events"]


def test_a_copy_is_what_rasas_replay_gives_and_is_independent(report: dict[str, Any]) -> None:
    copies = report["copies"]
    assert copies["compared"] == report["events"] and copies["in_loop"] >= 10
    assert copies["mismatches"] == []
    assert copies["leaks"] == []


WINDOW_CHECK = PROJECT_ROOT / "tests" / "rasa" / "window_check.py"


def test_trained_policies_predict_the_same_from_their_last_states_only(tmp_path: Path) -> None:
    if not (stack.RASA_PYTHON.exists() and stack.MODEL_PATH.exists()):
        pytest.fail("the Rasa environment and model are missing: run `make setup model`")
    out = tmp_path / "window.json"
    env = os.environ | {"RASA_TELEMETRY_ENABLED": "false"}
    done = subprocess.run(
        [str(stack.RASA_PYTHON), str(WINDOW_CHECK), "--model", str(stack.MODEL_PATH),
         "--out", str(out)],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["policies"] == ["MemoizationPolicy", "RulePolicy"]
    assert report["windows"] == {"MemoizationPolicy": 3, "RulePolicy": 4}
    assert report["mismatches"] == []
    # The windows cut nearly every time, and the rules were exercised, not just fallbacks.
    assert report["predictions"] > 2000 and report["cut"] > 0.95 * report["predictions"]
    assert report["rule_hits"] > 1000
