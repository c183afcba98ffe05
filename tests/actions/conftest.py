"""Actions are built with `ActionServices` holding fakes or real services, as the root would."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import pytest

from actions.services import ActionServices
from core.i18n import get_catalog
from learning.journey import Journey
from learning.repository import InMemoryLearnerRepository


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
