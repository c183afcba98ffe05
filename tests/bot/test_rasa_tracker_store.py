"""The session-scoped Redis tracker store returns what Rasa's `RedisTrackerStore` returns.

tests/rasa/tracker_store_check.py (in `.venv-rasa`) drives both stores through the same
multi-session conversations against the local Redis; this test reads its report.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from core.settings import PROJECT_ROOT
from tests.bot.redis_checks import run_redis_check

CHECK = PROJECT_ROOT / "tests" / "rasa" / "tracker_store_check.py"


def _without_timestamps(view: dict[str, Any]) -> dict[str, Any]:
    events = [{k: v for k, v in e.items() if k != "timestamp"} for e in view["events"]]
    return {"events": events, "slots": view["slots"]}


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return run_redis_check(CHECK, tmp_path_factory.mktemp("store"), "check")


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
    assert report["keys"] == ["asha", "legacy", "meena", "ravi", "yara", "zara"]
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


def test_a_save_after_another_workers_turn_adds_its_turn_after_it(
    report: dict[str, Any],
) -> None:
    # Both workers read the tracker; the second saves a turn that starts a session after the
    # first saved its own: what it remembered of Redis is stale, so it must not append as if
    # nothing had changed (the session would start inside the first worker's turn).
    ours, stock = report["interleaved"]["ours"], report["interleaved"]["stock"]
    for view in ("full", "last"):
        assert _without_timestamps(ours[view]) == _without_timestamps(stock[view]), view
    texts = [e.get("text") for e in ours["full"]["events"] if e["event"] == "user"]
    assert texts == ["message 0 of session 0", "message 1 of session 0", "message 0 of session 1"]
    assert ours["last"]["events"][0]["name"] == "action_session_start"
    assert ours["last"]["slots"]["language"] == "ta"


def test_a_turn_costs_two_round_trips(report: dict[str, Any]) -> None:
    # A new learner's first turn: one script reads (nothing stored, nothing to convert), one
    # appends; the next turn reads the session it started; a kept tracker is checked with a
    # two-command pipeline. Each save appends with one script, if Redis still holds what the
    # worker saw.
    trips = report["round_trips"]
    assert trips["first"] == trips["second"] == ["EVALSHA", "EVALSHA"]
    assert trips["kept"] == ["PIPELINE", "EVALSHA"]
