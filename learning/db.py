"""Engines, sessions and schema migrations for the learner store."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, exc, text
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
    engine = create_engine(url, pool_size=10, max_overflow=20)
    event.listen(engine, "checkin", _mark_idle)
    event.listen(engine, "checkout", _ping_if_idle)
    return engine


#: Seconds a pooled PostgreSQL connection may sit idle before it is pinged on checkout.
PING_AFTER_IDLE = 5.0


def _mark_idle(_: Any, record: Any) -> None:
    record.info["idle_since"] = time.monotonic()


def _ping_if_idle(dbapi_connection: Any, record: Any, _: Any) -> None:
    """SQLAlchemy's `pool_pre_ping`, but only for connections that sat idle a while.

    A restarted server or a proxy drops idle connections; one used a moment ago is alive, and
    pinging it anyway costs a round trip per transaction (a third of a busy worker's database
    time). A dead connection raises `DisconnectionError`, so the pool discards it and checks
    out another, as with pre-ping.
    """
    since = record.info.get("idle_since")
    if since is None or time.monotonic() - since < PING_AFTER_IDLE:
        return
    try:
        cursor = dbapi_connection.cursor()
        cursor.execute("SELECT 1")
        cursor.close()
        dbapi_connection.rollback()
    except Exception as error:
        raise exc.DisconnectionError(f"idle connection is gone: {error}") from error


@lru_cache(maxsize=16)
def cached_engine(url: str) -> Engine:
    """One engine per URL per process."""
    return make_engine(url)


class WriterQueue:
    """Queues a SQLite database's writers, in this process and across processes.

    SQLite has one writer at a time; a writer that finds the lock taken polls in SQLite's busy
    handler, sleeping 1, 2, 5, 10 … ms between tries, so a short write behind another short
    write waits milliseconds for nothing. Queued here instead (a thread lock, then an
    exclusive `flock` on a side file, which the kernel hands over the moment it is released),
    a writer starts as soon as the one before it commits. SQLite's own lock still guards the
    file; the busy timeout stays as the fallback for writers outside the queue (migrations,
    other tools).
    """

    def __init__(self, database: str) -> None:
        """Queue the writers of the SQLite file `database`."""
        self._path = Path(f"{database}.writers")
        self._thread_lock = threading.RLock()  # a nested writer fails in SQLite, not here
        self._handle: Any = None
        self._pid = 0
        self._depth = 0

    @contextmanager
    def turn(self) -> Iterator[None]:
        """Wait for this writer's turn; hold it for the block."""
        with self._thread_lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            if self._pid != os.getpid():  # a forked child must not share the parent's lock
                self._handle, self._pid = self._path.open("a"), os.getpid()
            fcntl.flock(self._handle, fcntl.LOCK_EX)
            self._depth = 1
            try:
                yield
            finally:
                self._depth = 0
                fcntl.flock(self._handle, fcntl.LOCK_UN)


class Sessions(sessionmaker[Session]):
    """Sessions that keep loaded values usable after commit.

    `sessions()` is for reading; `sessions.begin()` opens a writing transaction, which on
    SQLite takes the write lock at once (`BEGIN IMMEDIATE`), after the writers queued before
    it (`WriterQueue`), while reads never queue behind writers.
    """

    def __init__(self, engine: Engine) -> None:
        """Bind to `engine`; writers use the same pool, marked with the `WRITER` option."""
        super().__init__(engine, expire_on_commit=False)
        self.writer = engine.execution_options(**{WRITER: True})
        database = engine.url.database if engine.dialect.name == "sqlite" else None
        self._queue = writer_queue(database) if database and database != ":memory:" else None

    @contextmanager
    def begin(self) -> Iterator[Session]:
        """A session in a writing transaction, committed on success, rolled back on error."""
        if self._queue is None:
            with self(bind=self.writer) as session, session.begin():
                yield session
            return
        with self._queue.turn(), self(bind=self.writer) as session, session.begin():
            yield session


@lru_cache(maxsize=16)
def writer_queue(database: str) -> WriterQueue:
    """One queue per SQLite file per process (every `Sessions` on it shares it)."""
    return WriterQueue(str(Path(database).resolve()))


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
