"""Conversation tests: Rasa's own `rasa test core` over tests/stories, failing on any error."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from bot.stack import MODEL_PATH, RASA_BIN
from core.settings import PROJECT_ROOT

pytestmark = pytest.mark.stack


def test_conversation_stories_pass_with_no_prediction_errors(tmp_path: Path) -> None:
    if not (RASA_BIN.exists() and MODEL_PATH.exists()):
        pytest.fail("the Rasa environment and model are missing: run `make setup model`")
    env = os.environ | {
        "KARMABOT_ACTION_PORT": "5055",
        "KARMABOT_TRACKER_DB": str(tmp_path / "tracker.db"),
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "RASA_TELEMETRY_ENABLED": "false",
    }
    out = tmp_path / "results"
    done = subprocess.run(
        [str(RASA_BIN), "test", "core", "--model", str(MODEL_PATH),
         "--stories", "tests/stories", "--endpoints", "endpoints.yml",
         "--fail-on-prediction-errors", "--out", str(out)],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    failed = out / "failed_test_stories.yml"
    detail = failed.read_text() if failed.exists() else done.stdout[-3000:] + done.stderr[-3000:]
    assert done.returncode == 0, detail
    assert "Correct:" in (done.stdout + done.stderr) or (out / "story_report.json").exists()
