"""Migrations: empty to head, idempotent, concurrent-safe, and in step with the models."""

from __future__ import annotations

import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

import learning.activity_models  # the dashboard's rollups
import learning.channel_models  # the channel tables are on Base too
import learning.dashboard_insight_gaps  # and the dashboard's gap questions
import learning.dashboard_models  # noqa: F401  # and the dashboard's sign-in tables
from core.settings import PROJECT_ROOT
from learning import db
from learning.db import Sessions, make_engine, session_factory, upgrade
from learning.models import Base
from learning.store import core_rows, single_statement_reads


def test_upgrade_creates_the_schema_and_is_idempotent(db_url: str) -> None:
    engine = make_engine(db_url)
    upgrade(db_url, engine)
    upgrade(db_url, engine)
    tables = set(sa.inspect(engine).get_table_names())
    assert {"learners", "channel_links", "enrollments", "outbox", "alembic_version"} <= tables
    assert {"processed_updates", "button_keys", "outbound_messages", "opt_events"} <= tables
    assert {"dashboard_links", "dashboard_sessions", "gap_questions"} <= tables
    with engine.connect() as conn:
        head = ScriptDirectory.from_config(db.alembic_config()).get_current_head()
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == head
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


def test_a_postgresql_connection_dropped_while_idle_is_replaced_not_failed(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An idle pooled connection the server dropped (a restart, a proxy timeout) is pinged
    on checkout and replaced, as with SQLAlchemy's pre-ping."""
    monkeypatch.setattr(db, "PING_AFTER_IDLE", 0.0)
    engine = make_engine(postgres_url)
    with engine.connect() as conn:
        victim = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
    admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": victim})
    admin.dispose()
    with engine.connect() as conn:  # the pooled connection is dead: replaced on checkout
        assert conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one() != victim
    engine.dispose()


_HOLD_TURN = """
import sys, time
from learning.db import writer_queue
with writer_queue(sys.argv[1]).turn():
    print("holding", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def test_sqlite_writers_queue_across_processes_and_start_when_the_turn_is_handed_over(
    tmp_path: Path,
) -> None:
    """A writer in another process holds its turn: this one waits for it, then writes at once
    (no busy-handler polling, no "database is locked")."""
    database = tmp_path / "queue.db"
    engine = make_engine(f"sqlite:///{database}")
    sessions = session_factory(engine)
    with sessions.begin() as setup:
        setup.execute(sa.text("CREATE TABLE counter (n INTEGER)"))
        setup.execute(sa.text("INSERT INTO counter VALUES (0)"))
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_TURN, str(database.resolve()), "0.4"],
        stdout=subprocess.PIPE, text=True, cwd=PROJECT_ROOT,
    )  # fmt: skip
    assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
    started = time.perf_counter()
    with sessions.begin() as session:
        session.execute(sa.text("UPDATE counter SET n = n + 1"))
    waited = time.perf_counter() - started
    assert holder.wait(timeout=10) == 0
    assert 0.2 < waited < 3.0  # it queued behind the other process's turn


def test_sqlite_writers_in_many_threads_all_land(
    tmp_path: Path,
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'threads.db'}")
    sessions = session_factory(engine)
    with sessions.begin() as setup:
        setup.execute(sa.text("CREATE TABLE counter (n INTEGER)"))
        setup.execute(sa.text("INSERT INTO counter VALUES (0)"))

    def bump(_: int) -> None:
        with sessions.begin() as session:
            session.execute(sa.text("UPDATE counter SET n = n + 1"))

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(bump, range(400)))
    with sessions() as session:
        assert session.execute(sa.text("SELECT n FROM counter")).scalar() == 400
    engine.dispose()


def test_single_statement_reads_run_outside_a_transaction_on_postgresql_and_stay_prepared(
    db_url: str,
) -> None:
    """`core_rows` reads on PostgreSQL send no BEGIN and no ROLLBACK, so psycopg's prepared
    statements (which a ROLLBACK deallocates) survive and a hot read is planned once; on
    SQLite the engine is left as it is."""
    engine = make_engine(db_url)
    upgrade(db_url, engine)
    sessions = session_factory(engine)
    query = sa.select(sa.literal(1).label("one")).where(sa.bindparam("x") == sa.bindparam("x"))
    if engine.dialect.name == "sqlite":
        assert single_statement_reads(engine) is engine
        assert core_rows(sessions, query, x=1)[0].one == 1
        engine.dispose()
        return
    for _ in range(8):  # psycopg prepares a statement on its 5th run on a connection
        assert core_rows(sessions, query, x=1)[0].one == 1
    with single_statement_reads(engine).connect() as conn:
        prepared = conn.execute(sa.text("SELECT count(*) FROM pg_prepared_statements")).scalar()
        status = conn.connection.dbapi_connection.info.transaction_status  # type: ignore[union-attr]
    assert status == psycopg.pq.TransactionStatus.IDLE  # the read left no transaction open
    assert prepared and prepared >= 1
    with engine.connect() as conn:  # the ordinary engine is still transactional
        conn.execute(sa.text("SELECT 1"))
        status = conn.connection.dbapi_connection.info.transaction_status  # type: ignore[union-attr]
    assert status == psycopg.pq.TransactionStatus.INTRANS
    engine.dispose()
