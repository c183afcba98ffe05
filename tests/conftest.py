"""Fixtures shared by every test package."""

from __future__ import annotations

from pathlib import Path

import pytest

from learning.db import Sessions, make_engine, session_factory, upgrade


@pytest.fixture
def sessions(tmp_path: Path) -> Sessions:
    """A migrated SQLite learner store in this test's folder (for tests that need one real
    store; the store's own contract runs on SQLite and PostgreSQL in tests/learning)."""
    url = f"sqlite:///{tmp_path / 'k.db'}"
    engine = make_engine(url)
    upgrade(url, engine)
    return session_factory(engine)
