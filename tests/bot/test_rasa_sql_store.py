"""Rasa's SQL tracker store, patched to read only the last session, stores and returns what the
stock one does, and reads a last session through the index on SQLite and PostgreSQL.

tests/rasa/sql_store_check.py (in `.venv-rasa`) drives the store through multi-session
conversations; this test runs it patched and `--stock`, each on an empty database, and
compares the reports turn by turn (bot/rasa_patches.py `_tracker_store_session_query`).
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
from tests.learning.conftest import fresh_database, postgres_url  # noqa: F401  (fixture)

CHECK = PROJECT_ROOT / "tests" / "rasa" / "sql_store_check.py"


def run_check(url: str, out: Path, *, stock: bool) -> dict[str, Any]:
    env = os.environ | {"RASA_TELEMETRY_ENABLED": "false", "SQLALCHEMY_SILENCE_UBER_WARNING": "1"}
    done = subprocess.run(
        [str(stack.RASA_PYTHON), str(CHECK), *(["--stock"] if stock else []),
         "--url", url, "--out", str(out)],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(json.loads(out.read_text(encoding="utf-8")))


def without_timestamps(turns: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for row in turns:
        for view in (row["last"], row["full"]):
            for event in view["events"]:
                event.pop("timestamp", None)
    return turns


@pytest.fixture(params=["sqlite", "postgresql"])
def reports(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, dict[str, Any]]:
    if not stack.RASA_PYTHON.exists():
        pytest.fail("the Rasa environment is missing: run `make setup`")
    found = {}
    for run in ("patched", "stock"):
        url = fresh_database(request.param, request, tmp_path / run)
        (tmp_path / run).mkdir(exist_ok=True)
        found[run] = run_check(url, tmp_path / f"{run}.json", stock=run == "stock")
        found[run]["backend"] = request.param
    return found


def test_every_turn_stores_and_retrieves_what_stock_rasa_does(
    reports: dict[str, dict[str, Any]],
) -> None:
    patched, stock = reports["patched"], reports["stock"]
    assert "_tracker_store_session_query" in patched["installed"] and stock["installed"] == []
    # Several sessions each, so "last session" is a real cut of the history.
    last = stock["turns"][-1]
    assert last["rows"] > len(last["last"]["events"]) and last["full"] != last["last"]
    kinds = [event["event"] for event in last["last"]["events"]]
    assert kinds.count("session_started") == 1, kinds
    assert without_timestamps(patched["turns"]) == without_timestamps(stock["turns"])
    assert patched["nobody"] is None and stock["nobody"] is None


def test_the_last_session_is_read_through_the_index(reports: dict[str, dict[str, Any]]) -> None:
    patched, stock = reports["patched"], reports["stock"]
    if patched["backend"] == "sqlite":
        assert (
            "USING INDEX karmabot_events_sender_timestamp (sender_id=? AND timestamp>?)"
            in (patched["plan"])
        ), patched["plan"]
    else:
        assert (
            "Index Cond: (((sender_id)::text = 'meena'::text) AND (\"timestamp\" >="
            in (patched["plan"])
        ), patched["plan"]
    assert "karmabot_events" not in stock["plan"]  # stock Rasa has no such index
