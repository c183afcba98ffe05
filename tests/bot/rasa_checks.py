"""Run a check script in `.venv-rasa` on the trained model and read its JSON report."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from bot import stack
from core.settings import PROJECT_ROOT

needs_model = pytest.mark.skipif(
    not (stack.RASA_PYTHON.exists() and stack.MODEL_PATH.exists()),
    reason="needs .venv-rasa and the trained model (make setup model)",
)


def run_model_check(check: Path) -> dict[str, Any]:
    """Run `check MODEL_PATH`; the report is the last line it prints."""
    env = os.environ | {"PYTHONPATH": str(PROJECT_ROOT), "RASA_TELEMETRY_ENABLED": "false"}
    done = subprocess.run(
        [str(stack.RASA_PYTHON), str(check), str(stack.MODEL_PATH)],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report
