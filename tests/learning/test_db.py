"""Migrations: empty to head, idempotent, concurrent-safe, and in step with the models."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import learning.channel_models  # noqa: F401  # the channel tables are on Base too
from learning.db import Sessions, make_engine, session_factory, upgrade
from learning.models import Base


def test_upgrade_creates_the_schema_and_is_idempotent(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(db_url, engine)
    upgrade(db_url, engine)
    tables = set(sa.inspect(engine).get_table_names())
    assert {"learners", "channel_links", "enrollments", "outbox", "alembic_version"} <= tables
    assert {"processed_updates", "button_keys", "outbound_messages", "opt_events"} <= tables
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == "0005"
    engine.dispose()


def test_migrations_match_the_models(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(db_url, engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == []


def test_concurrent_upgrades_do_not_collide(db_url: str) -> None:
    engines = [make_engine(db_url) for _ in range(4)]
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda e: upgrade(db_url, e), engines))
    with engines[0].connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM alembic_version")).scalar() == 1
    for engine in engines:
        engine.dispose()


def test_sqlite_readers_never_wait_for_a_writer(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path / 'rw.db'}")
    sessions = session_factory(engine)
    with sessions.begin() as setup:
        setup.execute(sa.text("CREATE TABLE learners (id TEXT PRIMARY KEY)"))
    with ThreadPoolExecutor(2) as pool:
        with sessions.begin() as writer:
            writer.execute(sa.text("INSERT INTO learners (id) VALUES ('w')"))
            started = time.perf_counter()
            # A reader in another thread, mid-write, reads the last committed state at once.
            count = pool.submit(_count, sessions).result()
            assert count == 0 and time.perf_counter() - started < 1.0
            # A second writer waits for the write lock instead of failing half-way.
            second = pool.submit(_write_later, sessions)
            time.sleep(0.3)
            assert not second.done()
        assert second.result(timeout=5) == 2
    engine.dispose()


def _count(sessions: Sessions) -> int:
    with sessions() as session:
        return int(session.execute(sa.text("SELECT count(*) FROM learners")).scalar() or 0)


def _write_later(sessions: Sessions) -> int:
    with sessions.begin() as session:
        session.execute(sa.text("INSERT INTO learners (id) VALUES ('x')"))
        return int(session.execute(sa.text("SELECT count(*) FROM learners")).scalar() or 0)
