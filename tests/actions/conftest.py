"""Actions run against an in-memory learner store."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from actions import services
from learning.repository import InMemoryLearnerRepository


@pytest.fixture
def repo(monkeypatch: pytest.MonkeyPatch) -> Iterator[InMemoryLearnerRepository]:
    store = InMemoryLearnerRepository()
    monkeypatch.setattr(services, "learners", lambda: store)
    yield store
