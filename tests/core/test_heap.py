"""core/heap.py: start-up objects are frozen out of garbage collection."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from core.heap import freeze_startup_heap


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()  # the test process must not keep its objects frozen


def test_the_objects_alive_at_the_end_of_start_up_are_frozen(unfrozen: None) -> None:
    kept = [[index] for index in range(10_000)]  # start-up objects the process keeps
    frozen = freeze_startup_heap("test")
    # What the call reports is what it froze (objects freed since leave the count: don't
    # compare it with a later `get_freeze_count`).
    assert frozen >= len(kept) and gc.get_freeze_count() > 0
    kept_ids = {id(row) for row in kept}
    assert not any(id(obj) in kept_ids for obj in gc.get_objects())  # no generation holds them
    later: list[list[int]] = [[]]  # objects made afterwards are collected as before
    assert any(obj is later for obj in gc.get_objects(generation=0))
