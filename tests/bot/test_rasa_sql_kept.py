"""The SQL tracker store that keeps the trackers it saved (bot/rasa_sql_store.py, the embedded
profile's) returns what Rasa's `SQLTrackerStore` returns, turn by turn, and never a kept
tracker that another process, another writer or a failed turn made stale.

tests/rasa/sql_kept_check.py (in `.venv-rasa`, with Karmabot's patches) drives both stores;
this test reads its report.
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
from tests.bot.test_rasa_tracker_store import _without_timestamps

CHECK = PROJECT_ROOT / "tests" / "rasa" / "sql_kept_check.py"


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    if not stack.RASA_PYTHON.exists():
        pytest.fail("the Rasa environment is missing: run `make setup`")
    folder = tmp_path_factory.mktemp("kept")
    out = folder / "report.json"
    env = os.environ | {"PYTHONPATH": str(PROJECT_ROOT), "RASA_TELEMETRY_ENABLED": "false"}
    done = subprocess.run(
        [str(stack.RASA_PYTHON), str(CHECK), "--dir", str(folder), "--out", str(out)],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(json.loads(Path(out).read_text(encoding="utf-8")))


def test_every_turn_retrieves_what_rasas_sql_store_retrieves(report: dict[str, Any]) -> None:
    turns = report["turns"]
    assert len(turns) == 36
    for row in turns:  # each store made its own events: the same but for their timestamps
        assert _without_timestamps(row["ours"]) == _without_timestamps(row["stock"]), row
    # The kept tracker is served to every turn but a learner's first: after a turn that
    # started a session, the session as Rasa would read it is kept.
    learners = len({row["sender"] for row in turns})
    assert report["served_kept"] == len(turns) - learners == 33


def test_appended_rows_are_the_rows_rasa_writes(report: dict[str, Any]) -> None:
    """Kept trackers are appended without Rasa's save; the table must not tell."""
    stock, ours = report["rows"]["stock"], report["rows"]["ours"]
    assert len(ours) == len(stock) > 100
    assert ours == stock
    assert all(row["timestamp_column_is_the_events"] for row in ours)


def test_a_new_learner_written_elsewhere_first_is_not_served_stale(
    report: dict[str, Any],
) -> None:
    raced = report["new_raced"]
    """What is served is what the database holds (Rasa's save then skips as many events
    as are stored, as it does for any tracker)."""
    assert raced["first"]
    assert raced["ours"] == raced["fresh"]
    assert "from-the-other-process" in json.dumps(raced["fresh"])


def test_a_turn_that_started_a_session_is_not_kept(report: dict[str, Any]) -> None:
    assert report["kept"] == ["asha", "meena", "ravi"]  # their last turns are inside a session


def test_two_processes_see_each_others_turns_and_never_a_failed_one(
    report: dict[str, Any],
) -> None:
    rows = report["alternating"]
    assert len(rows) == 6
    for number, row in enumerate(rows):
        ours, other = _without_timestamps(row["ours"]), _without_timestamps(row["other"])
        assert ours == other == _without_timestamps(row["stock"]), number
        assert row["ours"] == row["other"], number  # the very events one of them stored
        assert "never-saved" not in json.dumps(row["ours"])


def test_a_row_written_by_another_writer_is_seen(report: dict[str, Any]) -> None:
    seen = report["other_writer"]
    assert seen["kept_before"] is True
    assert "written-elsewhere" in json.dumps(_without_timestamps(seen["seen"]))


def test_a_kept_tracker_is_saved_without_counting_the_session(report: dict[str, Any]) -> None:
    # Every save of a kept tracker (24 in the conversations, more later) skips Rasa's count.
    assert report["uncounted_saves"] >= 24


def test_a_back_dated_event_gives_what_rasas_store_gives(report: dict[str, Any]) -> None:
    rows = report["back_dated"]
    for number, row in enumerate(rows):
        assert _without_timestamps(row["ours"]) == _without_timestamps(row["stock"]), number
    assert rows[2]["kept_before"] is True  # the back-dated save was of a kept tracker
    assert "back-dated" not in json.dumps(rows[2]["stock"])  # Rasa's read drops it
