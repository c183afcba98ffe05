"""The ground of the learner-record store: idempotent inserts and the outbox writer.

Every recording is idempotent on a natural key, enforced by a unique constraint and written with
``INSERT … ON CONFLICT DO NOTHING … RETURNING``: a double-tapped button, a retried request or two
workers at once record a thing once, and only the call that inserted the row does the follow-up
work. The learning events a recording produces go into the outbox in the same transaction
(learning/outbox.py), so the learner record and what is synced can never disagree.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import cache, lru_cache
from typing import Any, TypeVar

from sqlalchemy import (
    DateTime,
    Engine,
    Integer,
    Select,
    String,
    Text,
    bindparam,
    column,
    exists,
    inspect,
    literal,
    select,
    values,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from learning import direct
from learning.events import LearningEvent
from learning.models import Base, OutboxRow

Clock = Callable[[], datetime]
_Row = TypeVar("_Row")
_Value = TypeVar("_Value")


def _insert(session: Session) -> Any:
    """The dialect's INSERT construct (it has ``on_conflict_do_nothing``)."""
    return dialect_insert(session.get_bind().dialect.name)


def dialect_insert(dialect: str) -> Any:
    """The INSERT construct of the dialect named `dialect`."""
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


@cache
def skip_duplicates(
    table: type[Base] | Any, dialect: str, *, returning: bool = False, whole_row: bool = False
) -> Any:
    """``INSERT … ON CONFLICT DO NOTHING`` into `table` for the dialect, built once for hot
    paths (the values come as execution parameters); with ``RETURNING`` its primary key
    (`returning`) or every column (`whole_row`), so a row back means this call inserted it."""
    statement = dialect_insert(dialect)(table).on_conflict_do_nothing()
    if whole_row:
        return statement.returning(*inspect(table).columns)
    return statement.returning(*inspect(table).primary_key) if returning else statement


def insert_once(session: Session, table: type[Base], values: dict[str, Any]) -> bool:
    """Insert a row unless one with the same unique key exists; True if this call inserted it.

    The statement is built once per table (`skip_duplicates`, on the Core table, so the ORM's
    bulk-insert path is not involved) and the values are bound as parameters.
    """
    dialect = session.get_bind().dialect.name
    statement = skip_duplicates(table.__table__, dialect, returning=True)
    return session.execute(statement, values).first() is not None


def read_one(
    sessions: sessionmaker[Session],
    statement: Select[_Row],
    convert: Callable[[_Row], _Value],
) -> _Value | None:
    """The one row a query finds, converted while its session is open; None if none."""
    with sessions() as session:
        row = session.scalars(statement).one_or_none()
        return convert(row) if row is not None else None


@lru_cache(maxsize=16)
def single_statement_reads(engine: Engine) -> Engine:
    """`engine` for reads of one statement each: on PostgreSQL in autocommit, else itself.

    A lone SELECT in autocommit is its own transaction and sees what a READ COMMITTED
    transaction's statement would, without the BEGIN before it and the ROLLBACK the pool sends
    when the connection comes back: two round trips of three. It also keeps psycopg's prepared
    statements, which every ROLLBACK deallocates, so hot queries are parsed and planned once per
    connection instead of once per call. SQLite's BEGIN and ROLLBACK never leave the process;
    its engine stays as it is.
    """
    if engine.dialect.name == "sqlite":
        return engine
    return engine.execution_options(isolation_level="AUTOCOMMIT")


def core_rows(sessions: sessionmaker[Session], statement: Any, **values: Any) -> list[Any]:
    """The rows a Core query (built once, with bound parameters) returns for `values`, read
    on a connection of the sessions' engine, with no transaction around it on PostgreSQL
    (`single_statement_reads`): no ORM session or identity map (D34)."""
    return _one_statement(sessions.kw["bind"], statement, values)


def write_one(sessions: sessionmaker[Session], statement: Any, **values: Any) -> list[Any]:
    """Run one writing statement (built once, with bound parameters) as a transaction of its
    own; returns the rows of its ``RETURNING``, if any.

    On PostgreSQL it runs in autocommit, like `core_rows`: a lone statement is atomic by
    itself, so the BEGIN and COMMIT around it would be two more round trips for nothing. For a
    write that must go together with another, use a session's transaction instead. On SQLite
    it is an ordinary writing transaction (which queues for the write lock,
    `learning.db.Sessions.begin`)."""
    engine: Engine = sessions.kw["bind"]
    if engine.dialect.name == "sqlite":
        with sessions.begin() as session:
            rows = session.execute(statement, values)
            return list(rows) if rows.returns_rows else []  # type: ignore[attr-defined]
    return _one_statement(engine, statement, values)


def _one_statement(engine: Engine, statement: Any, values: dict[str, Any]) -> list[Any]:
    """Run one statement with no transaction around it on PostgreSQL; its rows, if any.

    On PostgreSQL a statement with a plan runs on the driver (learning/direct.py). An engine
    with statement listeners (tracing, statement counts in tests) keeps SQLAlchemy's execution,
    so they see every statement; so does SQLite, whose statements never leave the process."""
    if engine.dialect.name == "postgresql" and not engine.dispatch.before_cursor_execute:
        found = direct.plan(statement, engine.dialect, frozenset(values))
        if found is not None:
            return direct.run(engine, found, values)
    with single_statement_reads(engine).connect() as connection:
        result = connection.execute(statement, values)
        return list(result) if result.returns_rows else []


class OutboxWriter:
    """Queues learning events in the outbox, one row per configured sink.

    Args:
        sinks: The names of the sinks events go to (e.g. "lrs", "sunbird"); none queues nothing.
    """

    def __init__(self, sinks: Sequence[str] = ()) -> None:
        self.sinks = tuple(sinks)

    def emit(self, session: Session, *events: LearningEvent | None) -> None:
        """Queue events for every sink in the caller's transaction (duplicates ignored)."""
        rows = [
            {
                "sink": sink,
                "event_id": each["event_id"],
                "attempts": 0,
                "created_at": each["event_at"],
                "next_attempt_at": each["event_at"],
                "payload": each["payload"],
            }
            for each in (self.event_values(e) for e in events if e is not None)  # encoded once
            for sink in self.sinks
        ]
        if rows:
            # executemany form: the statement compiles once and is cached, and SQLAlchemy still
            # sends all rows in one INSERT (insertmanyvalues).
            session.execute(_insert(session)(OutboxRow).on_conflict_do_nothing(), rows)

    def queue_after(self, after: Any) -> Any | None:
        """PostgreSQL: `emit` of one event as a data-modifying CTE that queues it only when the
        CTE `after` gives a row, for a statement that records a step and its event at once;
        None without sinks. Its parameters come from `event_values`."""
        return _queued_after(self.sinks, after) if self.sinks else None

    @staticmethod
    def event_values(event: LearningEvent) -> dict[str, Any]:
        """An event's outbox columns, the same for every sink: its id, time and JSON payload
        (the parameters of `queue_after`'s CTE; `emit` builds its rows from them too)."""
        payload = json.dumps(event.to_dict(), ensure_ascii=False)
        return {"event_id": event.id, "event_at": event.timestamp, "payload": payload}


@cache
def _queued_after(sinks: tuple[str, ...], after: Any) -> Any:
    """The outbox rows of one event, one per sink, inserted when `after` has a row."""
    names = values(column("sink", String), name="sinks").data([(sink,) for sink in sinks])
    at = bindparam("event_at", type_=DateTime(timezone=True))
    source = select(
        names.c.sink,
        bindparam("event_id", type_=String),
        literal(0, Integer),
        at,
        at,
        bindparam("payload", type_=Text),
    ).where(exists(select(literal(1)).select_from(after)))
    columns = ["sink", "event_id", "attempts", "created_at", "next_attempt_at", "payload"]
    insert = postgresql.insert(OutboxRow).from_select(columns, source)
    return insert.on_conflict_do_nothing().cte("queued")
