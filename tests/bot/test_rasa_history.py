"""Applied events and past states carried forward (bot/rasa_history.py) equal Rasa's own.

tests/rasa/history_check.py (in `.venv-rasa`) grows one tracker event by event through a
conversation with forms, hidden rule turns, reverts, a restart and new sessions, and compares
the carried-forward results with Rasa's functions after every event.
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


def test_each_event_is_folded_about_once_not_once_per_call(report: dict[str, Any]) -> None:
    # Rasa folds the whole session on every call: ~events²/2 steps here (~50,000).
    assert report["folded_events"] < 1.5 * report["events"]
