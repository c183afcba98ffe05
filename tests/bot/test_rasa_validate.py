"""The patched `jsonschema.validate` accepts and rejects action-server replies exactly as
jsonschema's own does, with the same error (tests/rasa/validate_check.py, in `.venv-rasa`)."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from bot import stack
from core.settings import PROJECT_ROOT

CHECK = PROJECT_ROOT / "tests" / "rasa" / "validate_check.py"


@pytest.mark.skipif(not stack.RASA_PYTHON.exists(), reason="needs .venv-rasa (make setup)")
def test_action_replies_are_judged_as_jsonschema_judges_them() -> None:
    env = os.environ | {"PYTHONPATH": str(PROJECT_ROOT), "RASA_TELEMETRY_ENABLED": "false"}
    done = subprocess.run(
        [str(stack.RASA_PYTHON), str(CHECK)],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    stock, patched = report["stock"], report["patched"]
    # Not a comparison of two empty lists: four valid replies (every kind of event Karmabot
    # sends among them), twelve invalid ones of different kinds.
    assert [row["valid"] for row in stock] == [True] * 4 + [False] * 12
    assert patched == stock
    # The valid ones were decided by the fast path (only the event's own oneOf branch); the
    # invalid ones fell through to jsonschema's full validation, which raised Rasa's error.
    assert report["fast"] == [row["valid"] for row in stock]
