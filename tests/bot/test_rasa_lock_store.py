"""The atomic Redis lock store: one round trip to take a lock, one to give it back, and
never two turns of one learner at once, where Rasa's `RedisLockStore` lets them overlap.

tests/rasa/lock_store_check.py (in `.venv-rasa`) drives both stores against the local Redis;
this test reads its report.
"""

from __future__ import annotations

from typing import Any

import pytest

from core.settings import PROJECT_ROOT
from tests.bot.redis_checks import run_redis_check

CHECK = PROJECT_ROOT / "tests" / "rasa" / "lock_store_check.py"


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return run_redis_check(CHECK, tmp_path_factory.mktemp("lock"), "lockcheck")


def test_a_lock_costs_two_round_trips_instead_of_seven(report: dict[str, Any]) -> None:
    assert report["stock"]["commands"] == ["GET", "SET", "GET", "GET", "SET", "GET", "DEL"]
    assert report["ours"]["commands"] == ["EVALSHA", "EVALSHA"]


def test_contending_workers_never_hold_one_learners_lock_together(
    report: dict[str, Any],
) -> None:
    ours = report["ours"]["contended"]
    assert ours == {"overlaps": 0, "done": 60, "left": 0}  # 4 workers × 15 turns, in turn


def test_a_ticket_left_by_a_killed_worker_expires_and_its_key_too(
    report: dict[str, Any],
) -> None:
    abandoned = report["abandoned"]
    assert 0.25 <= abandoned["waited"] < 3  # the dead ticket lived 0.3 s
    assert abandoned["ticket"] == 1 and abandoned["left"] == 0
    assert 60 <= abandoned["ttl"] <= 61  # the key outlives its last ticket by a minute


def test_rasas_store_and_ours_share_one_lock_during_an_upgrade(report: dict[str, Any]) -> None:
    mixed = report["side_by_side"]
    assert mixed["first"] == 0 and mixed["seen_by_ours"] == 0
    assert mixed["waiting"] and mixed["queued"] == [0, 1]  # Rasa reads our ticket
    assert mixed["second"] == 1 and mixed["left"] == 0
