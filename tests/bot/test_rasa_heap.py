"""After a Rasa worker loads its model, the objects alive then are frozen out of garbage
collection, and a later model load puts them back (tests/rasa/heap_check.py, `.venv-rasa`)."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from bot import stack
from core.settings import PROJECT_ROOT

CHECK = PROJECT_ROOT / "tests" / "rasa" / "heap_check.py"


@pytest.mark.skipif(
    not (stack.RASA_PYTHON.exists() and stack.MODEL_PATH.exists()),
    reason="needs .venv-rasa and the trained model (make setup model)",
)
def test_the_model_is_frozen_after_start_and_a_reload_unfreezes_it() -> None:
    env = os.environ | {"PYTHONPATH": str(PROJECT_ROOT), "RASA_TELEMETRY_ENABLED": "false"}
    done = subprocess.run(
        [str(stack.RASA_PYTHON), str(CHECK), str(stack.MODEL_PATH)],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["wraps"]  # Rasa's own listener still does the loading
    assert report["agent"] and report["intent"] == "greet"  # the loaded model works
    assert report["before"] == 0
    assert report["frozen"] > 100_000  # the model's objects, out of every collection
    assert report["after_reload"] == 0  # a model load unfreezes them, for good
