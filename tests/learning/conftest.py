"""Database fixtures: every learner-store test runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.learning.sync_support import Fakes, Store, opened, served

POSTGRES_ADMIN_URL = os.environ.get(
    "KARMABOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def postgres_or_skip() -> sa.Engine:
    """An admin engine on the local PostgreSQL, or skip (fail under KARMABOT_REQUIRE_POSTGRES)."""
    engine = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect():
            pass
    except sa.exc.OperationalError as exc:
        if os.environ.get("KARMABOT_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL is required but unreachable: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    return engine


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL database for this test session, dropped afterwards."""
    admin = postgres_or_skip()
    name = f"karmabot_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        from learning.db import cached_engine

        cached_engine.cache_clear()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def fresh_database(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database URL: SQLite in tmp_path, or the session's PostgreSQL database wiped."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'karmabot.db'}"
    url: str = request.getfixturevalue("postgres_url")
    engine = sa.create_engine(url)
    with engine.begin() as conn:  # each test starts from an empty database
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database on each backend."""
    return fresh_database(request.param, request, tmp_path)


@pytest.fixture
def fakes() -> Iterator[Fakes]:
    """A fake LRS and a fake Sunbird on loopback (tests/learning/sync_support.py)."""
    with served() as running:
        yield running


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """A migrated store with one learner, Asha, on each database."""
    with opened(db_url) as opened_store:
        yield opened_store
