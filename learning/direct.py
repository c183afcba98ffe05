"""Hot statements on PostgreSQL, run on the driver's connection without SQLAlchemy's execution.

SQLAlchemy compiles a Core statement once and caches it, but every execution still builds an
execution context, a cursor result and its rows, and sets and resets the connection's
isolation level: about 0.15 ms of client CPU per statement on the benchmark machine, three
times what psycopg takes for the same prepared statement (docs/PERFORMANCE.md, the eleventh
look). A turn runs about four such statements. Here the statement is compiled once per
dialect and set of parameter names, SQLAlchemy's own compiled SQL and bind processors are kept,
and psycopg runs it on a connection checked out of the engine's pool, in autocommit, with the
rows returned as named tuples (attribute access, indexing and unpacking, as SQLAlchemy's rows).

A statement this path cannot run exactly as SQLAlchemy would (a column default computed in
Python, a type that converts result values, an expanding parameter) is left to SQLAlchemy:
`plan` returns None and the caller executes it the ordinary way. Driver errors become the
SQLAlchemy exceptions callers already catch (`IntegrityError`, `OperationalError`), and a
connection found dead is invalidated, so the pool replaces it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from psycopg.rows import namedtuple_row
from sqlalchemy import Engine, exc
from sqlalchemy.engine import Dialect


@dataclass(frozen=True)
class Plan:
    """A compiled statement ready for the driver.

    Attributes:
        sql: The SQL as SQLAlchemy renders it for the dialect (named ``%(name)s`` parameters).
        fixed: Parameters whose values the statement carries (literals, scalar defaults).
        processors: Bind processors by parameter name (e.g. Boolean's), applied as SQLAlchemy
            would.
        renames: Caller's key → rendered parameter name, where they differ.
        returns_rows: Whether the statement returns rows (a SELECT, or RETURNING).
    """

    sql: str
    fixed: dict[str, Any]
    processors: dict[str, Any]
    renames: dict[str, str]
    returns_rows: bool

    def parameters(self, values: dict[str, Any]) -> dict[str, Any]:
        """The driver's parameters for the caller's `values`."""
        params = dict(self.fixed)
        for key, value in values.items():
            params[self.renames.get(key, key)] = value
        for name, process in self.processors.items():
            if name in params:
                params[name] = process(params[name])
        return params


@lru_cache(maxsize=1024)
def plan(statement: Any, dialect: Dialect, keys: frozenset[str]) -> Plan | None:
    """The driver-ready form of `statement` for parameters named `keys`, or None when only
    SQLAlchemy's own execution gives the same result (see the module's docstring)."""
    compiled = statement.compile(dialect=dialect, column_keys=sorted(keys))
    if (
        compiled.update_prefetch
        or compiled.postfetch_lastrowid
        or compiled.literal_execute_params
        or compiled.post_compile_params
        or compiled.escaped_bind_names
        or compiled.positional
    ):
        return None
    fixed: dict[str, Any] = {}
    for column in compiled.insert_prefetch:
        default = column.default
        if default is None or not default.is_scalar:
            return None  # a default computed in Python at execution time
        fixed[column.key] = default.arg
    processors: dict[str, Any] = {}
    renames: dict[str, str] = {}
    for bind, name in compiled.bind_names.items():
        if bind.expanding or bind.callable is not None:
            return None
        if bind.key != name and bind.key in keys:
            renames[bind.key] = name
        if not bind.required and name not in keys:  # a literal, or an optional parameter
            fixed.setdefault(name, bind.value)
        process = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            processors[name] = process
    columns = list(statement.exported_columns)  # a SELECT's, or a write's RETURNING
    if any(c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns):
        return None
    return Plan(compiled.string, fixed, processors, renames, bool(columns))


def run(engine: Engine, found: Plan, values: dict[str, Any]) -> list[Any]:
    """Run a planned statement on a pooled connection in autocommit; its rows, if any."""
    params = found.parameters(values)
    pooled = engine.raw_connection()
    try:
        driver = pooled.driver_connection
        driver.autocommit = True  # type: ignore[union-attr]
        try:
            with driver.cursor(row_factory=namedtuple_row) as cursor:  # type: ignore[union-attr]
                cursor.execute(found.sql, params)
                if not found.returns_rows or cursor.description is None:
                    return []
                return cursor.fetchall()
        finally:
            if not driver.closed:  # type: ignore[union-attr]
                driver.autocommit = False  # type: ignore[union-attr]
    except engine.dialect.loaded_dbapi.Error as error:
        gone = engine.dialect.is_disconnect(error, pooled, None)
        if gone:
            pooled.invalidate(error)
        raise exc.DBAPIError.instance(
            found.sql,
            params,
            error,
            engine.dialect.loaded_dbapi.Error,
            connection_invalidated=gone,
            dialect=engine.dialect,
        ) from error
    finally:
        pooled.close()
