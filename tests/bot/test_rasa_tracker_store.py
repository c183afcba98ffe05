"""The session-scoped Redis tracker store returns what Rasa's `RedisTrackerStore` returns.

tests/rasa/tracker_store_check.py (in `.venv-rasa`) drives both stores through the same
multi-session conversations against the local Redis; this test reads its report.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from bot import stack
from core.settings import PROJECT_ROOT

CHECK = PROJECT_ROOT / "tests" / "rasa" / "tracker_store_check.py"
REDIS_DB = 13


def _without_timestamps(view: dict[str, Any]) -> dict[str, Any]:
    events = [{k: v for k, v in e.items() if k != "timestamp"} for e in view["events"]]
    return {"events": events, "slots": view["slots"]}


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    redis = pytest.importorskip("redis")
    client = redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis on 127.0.0.1:6379 is needed: {exc}")
    if not stack.RASA_PYTHON.exists():
        pytest.fail("the Rasa environment is missing: run `make setup`")
    prefix = f"check{time.time_ns()}"
    out = tmp_path_factory.mktemp("store") / "report.json"
    env = os.environ | {"PYTHONPATH": str(PROJECT_ROOT), "RASA_TELEMETRY_ENABLED": "false"}
    try:
        done = subprocess.run(
            [str(stack.RASA_PYTHON), str(CHECK), "--redis-db", str(REDIS_DB),
             "--prefix", prefix, "--out", str(out)],
            cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-3000:]
        return dict(json.loads(Path(out).read_text(encoding="utf-8")))
    finally:
        keys = list(client.scan_iter(match=f"{prefix}*"))
        if keys:
            client.delete(*keys)


def test_every_turn_retrieves_what_rasas_redis_store_retrieves(report: dict[str, Any]) -> None:
    turns = report["turns"]
    assert len(turns) == 36  # 3 learners, 9 sessions, 4 turns each
    for row in turns:
        where = (row["sender"], row["session"], row["turn"])
        assert row["ours"]["last"] == row["stock"]["last"], where
        assert row["ours"]["full"] == row["stock"]["full"], where
    # The comparison is not of empty trackers: the last session only, and all of them.
    last = turns[-1]
    assert last["ours"]["last"]["events"][0]["name"] == "action_session_start"
    assert len(last["ours"]["full"]["events"]) > 4 * len(last["ours"]["last"]["events"])
    assert last["ours"]["last"]["slots"]["language"] == "hi"


def test_a_tracker_saved_whole_adds_only_its_new_event(report: dict[str, Any]) -> None:
    ours, stock = report["whole_ours"], report["whole_stock"]
    assert _without_timestamps(ours) == _without_timestamps(stock)
    assert ours["events"][-1]["value"] == "appended-whole"
    assert report["stored_events"] == len(ours["events"])  # nothing stored twice


def test_the_store_keeps_a_list_a_session_start_and_an_expiry(report: dict[str, Any]) -> None:
    assert report["keys"] == ["asha", "legacy", "meena", "ravi", "zara"]
    assert report["exists"] == [True, False]
    assert 0 < report["ttl"] <= 3600
    # asha's third session starts at the 49th stored event (2 sessions × 24 events).
    assert report["session_start"] == "48"


def test_a_conversation_stored_whole_is_converted_once(report: dict[str, Any]) -> None:
    assert report["legacy_after"] == report["legacy_before"]
    assert len(report["legacy_full"]["events"]) == 18
    assert report["legacy_string_left"] == 0


def test_workers_taking_turns_see_each_others_and_never_a_failed_turn(
    report: dict[str, Any],
) -> None:
    rows = report["alternating"]
    assert len(rows) == 6
    for number, row in enumerate(rows):
        assert row["ours"] == row["stock"] == row["other"], number
        assert "never-saved" not in json.dumps(row["ours"])
    assert len(rows[-1]["ours"]["events"]) > len(rows[0]["ours"]["events"])


def test_each_process_keeps_the_trackers_it_saved_outside_a_session_start(
    report: dict[str, Any],
) -> None:
    # No learner's last turn started a session, so each is kept; a kept tracker that a
    # failed turn changed is dropped at the next read.
    assert report["kept"] == ["asha", "meena", "ravi"]
    assert "zara" not in report["kept_after_failures"]
