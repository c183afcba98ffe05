"""Distinct values of an indexed column, one index probe per value (a "loose index scan").

`SELECT DISTINCT` or `GROUP BY` reads every entry of the index: 300,000 enrollments to list
a dozen courses. Neither PostgreSQL nor SQLite skips through an index by itself here, so the
probes are written as the recursive query both understand (PostgreSQL's wiki, "Loose indexscan"):
the smallest value, then repeatedly the smallest one above the last, until there is none.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute, Session


def distinct_values(session: Session, column: InstrumentedAttribute[Any], limit: int) -> list[Any]:
    """The first `limit` distinct non-NULL values of `column`, in order.

    `column` must lead an index, or each probe reads the whole table.
    """
    found = select(func.min(column).label("value")).cte("loose_scan", recursive=True)
    following = select(func.min(column)).where(column > found.c.value).scalar_subquery()
    found = found.union_all(select(following).where(found.c.value.is_not(None)))
    query = select(found.c.value).where(found.c.value.is_not(None)).limit(limit)
    return list(session.scalars(query))
