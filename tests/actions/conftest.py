"""Actions are built with `ActionServices` holding fakes or real services, as the root would."""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from actions.services import ActionServices
from core.i18n import get_catalog
from learning.content_loader import load
from learning.db import Sessions
from learning.journey import Journey
from learning.records import RecordStore
from learning.repository import InMemoryLearnerRepository, SqlLearnerRepository

CONTENT = Path(__file__).parents[1] / "fixtures" / "content"


def _no_knowledge() -> Any:
    raise AssertionError("this test did not expect a question to the knowledge base")


@pytest.fixture
def repo() -> InMemoryLearnerRepository:
    """An in-memory learner store."""
    return InMemoryLearnerRepository()


@pytest.fixture
def services(repo: InMemoryLearnerRepository) -> ActionServices:
    """Services over the in-memory store; tests replace parts with `dataclasses.replace`."""
    no_journey = cast(Journey, SimpleNamespace())  # fails loudly if an action reaches for it
    return ActionServices(
        learners=repo, journey=no_journey, catalog=get_catalog(), knowledge=_no_knowledge
    )


@pytest.fixture
def store(sessions: Sessions) -> SqlLearnerRepository:
    """A SQLite learner store."""
    return SqlLearnerRepository(sessions)


@pytest.fixture
def real(
    sessions: Sessions, store: SqlLearnerRepository, services: ActionServices
) -> ActionServices:
    """The real course engine on the fixture course, over the same SQLite file."""
    journey = Journey(load(CONTENT), RecordStore(sessions), rng=random.Random(0))
    return replace(services, learners=store, journey=journey)
