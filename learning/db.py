"""Engines, sessions and schema migrations for the learner store."""

from __future__ import annotations

import fcntl
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).with_name("migrations")
#: Key of the PostgreSQL advisory lock that serialises concurrent migrations.
MIGRATION_LOCK_KEY = 0x4B41524D  # "KARM"


def _sqlite_pragmas(dbapi_connection: Any, _: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=5000")
    # WAL is a property of the file; only a new file needs switching. Switching needs an
    # exclusive lock that SQLite may refuse at once, without the busy handler, when several
    # connections open a new file together: then try again shortly.
    for attempt in range(50):
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                cursor.execute("PRAGMA journal_mode=WAL")
            break
        except sqlite3.OperationalError:
            if attempt == 49:
                raise
            time.sleep(0.1)
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_autocommit_driver(dbapi_connection: Any, _: Any) -> None:
    # Let SQLAlchemy, not the sqlite3 module, issue BEGIN (see `_sqlite_begin`).
    dbapi_connection.isolation_level = None


#: Execution option that marks a connection as a writer (see `Sessions.begin`).
WRITER = "karmabot_writer"


def _sqlite_begin(connection: Any) -> None:
    # A writer takes the write lock when its transaction starts. A deferred transaction that
    # reads and then writes fails at once with SQLITE_BUSY when another writer got in between;
    # an immediate one waits its turn (busy_timeout) instead. Readers stay deferred: in WAL
    # mode they read a snapshot and never wait for a writer.
    mode = "IMMEDIATE" if connection.get_execution_options().get(WRITER) else "DEFERRED"
    connection.exec_driver_sql(f"BEGIN {mode}")


def make_engine(url: str) -> Engine:
    """An engine for `url`: SQLite in WAL mode with a busy timeout, or a pooled PostgreSQL."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_autocommit_driver)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


@lru_cache(maxsize=16)
def cached_engine(url: str) -> Engine:
    """One engine per URL per process."""
    return make_engine(url)


class Sessions(sessionmaker[Session]):
    """Sessions that keep loaded values usable after commit.

    `sessions()` is for reading; `sessions.begin()` opens a writing transaction, which on
    SQLite takes the write lock at once (`BEGIN IMMEDIATE`), while reads never queue behind
    writers.
    """

    def __init__(self, engine: Engine) -> None:
        """Bind to `engine`; writers use the same pool, marked with the `WRITER` option."""
        super().__init__(engine, expire_on_commit=False)
        self.writer = engine.execution_options(**{WRITER: True})

    @contextmanager
    def begin(self) -> Iterator[Session]:
        """A session in a writing transaction, committed on success, rolled back on error."""
        with self(bind=self.writer) as session, session.begin():
            yield session


def session_factory(engine: Engine) -> Sessions:
    """Read sessions, and writing transactions through `.begin()`."""
    return Sessions(engine)


def alembic_config(connection: Any = None) -> Config:
    """Alembic configured from the package, with no alembic.ini needed."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[Any]:
    """A connection holding a lock that serialises migrations across processes."""
    if engine.dialect.name == "sqlite":
        database = engine.url.database
        lock_path = Path(f"{database}.migrate.lock") if database else None
        with engine.connect() as connection:
            if lock_path is None:  # in-memory database: nothing to share
                yield connection
                return
            with lock_path.open("w") as handle:
                fcntl.flock(handle, fcntl.LOCK_EX)
                try:
                    yield connection
                finally:
                    fcntl.flock(handle, fcntl.LOCK_UN)
        return
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK_KEY})
        connection.commit()
        try:
            yield connection
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK_KEY})
            connection.commit()


def upgrade(url: str, engine: Engine | None = None) -> None:
    """Upgrade the database at `url` to the latest revision; safe to call concurrently."""
    engine = engine or cached_engine(url)
    if engine.dialect.name == "sqlite" and engine.url.database:
        Path(engine.url.database).parent.mkdir(parents=True, exist_ok=True)
    with _migration_lock(engine) as connection:
        command.upgrade(alembic_config(connection), "head")
        connection.commit()
