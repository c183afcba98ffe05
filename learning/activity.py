"""The dashboard's rollups (learning/activity_models.py): written with each learning step, each
award, in the writer's transaction; rebuilt from the raw rows by one `INSERT … SELECT` each.

A week is a calendar week, Monday to Sunday in the deployment's time zone, numbered from the
week of Monday 5 January 1970. A learner's active weeks are a bit set relative to their latest
one, so the dashboard's weekly chart is a bit test per learner, not a count of distinct
learners over a year of rows.
"""

from __future__ import annotations

import functools
from datetime import date, datetime, timedelta, tzinfo
from typing import Any, cast

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Connection,
    DateTime,
    Integer,
    String,
    Table,
    bindparam,
    case,
    exists,
    func,
    literal,
    literal_column,
    select,
    text,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from learning.activity_models import CourseStatsRow, LearnerStatsRow
from learning.models import aware
from learning.store import dialect_insert

#: Weeks of activity a rollup remembers (a year; the chart shows 12).
WEEK_BITS = 52
EPOCH_MONDAY = date(1970, 1, 5)
_MONDAY_S = 4 * 86_400  # 1970-01-05 00:00, in seconds since the epoch
_WEEK_S = 7 * 86_400
_ONE = literal_column("CAST(1 AS BIGINT)", BigInteger)


def offset_s(at: datetime, zone: tzinfo) -> int:
    """The zone's offset from UTC at `at`, in seconds."""
    offset = aware(at).astimezone(zone).utcoffset()  # type: ignore[union-attr]
    return int(offset.total_seconds()) if offset else 0


def week_of(at: datetime, zone: tzinfo) -> int:
    """The number of the week `at` falls in, in `zone`."""
    moment = aware(at)
    assert moment is not None
    return (int(moment.timestamp()) + offset_s(moment, zone) - _MONDAY_S) // _WEEK_S


def week_start(week: int) -> date:
    """The Monday a week starts on."""
    return EPOCH_MONDAY + timedelta(weeks=week)


#: The chart's weeks go two to a sum, in lanes of `_LANE` bits: counts up to 2**31 learners.
_LANE = 32


def chart_sums(row: Any, weeks: int) -> list[ColumnElement[int]]:
    """Sums over rollup rows (`row`, a table or alias) that share one latest week, of the
    learners active in each of the `weeks` (an even number) weeks up to it, two weeks a sum.

    Grouped by `row.active_week` (and kept to the latest weeks the chart can show), so no row
    needs a shift that depends on its own week; `chart_counts` lines the groups up. Each pair
    of bits is spread into two lanes of a sum by one multiplication, as 1 + 2**(_LANE - 1)
    moves bit 1 to bit _LANE and bit 0 nowhere.
    """
    spread = literal(1 + (1 << (_LANE - 1)), BigInteger)
    lanes = literal(1 | (1 << _LANE), BigInteger)
    pairs = [(row.weeks.op(">>")(literal(2 * pair, Integer)).op("&")(3) * spread).op("&")(lanes)
             for pair in range(weeks // 2)]  # fmt: skip
    return [func.coalesce(func.sum(each), 0) for each in pairs]


def chart_counts(groups: list[tuple[int, list[int]]], first: int, weeks: int) -> list[int]:
    """The learners active in each of the `weeks` weeks from week `first`, oldest first, from
    (latest week, `chart_sums` answers) per group."""
    mask = (1 << _LANE) - 1
    counts = [0] * weeks
    for latest, sums in groups:
        back = [n for total in sums for n in (int(total) & mask, int(total) >> _LANE)]
        for bit, n in enumerate(back):  # bit i: the week `latest - i`
            index = latest - bit - first
            if 0 <= index < weeks:
                counts[index] += n
    return counts


@functools.cache
def _upsert(dialect: str, row: type[LearnerStatsRow | CourseStatsRow]) -> Any:
    """The upsert of `row`'s rollup in `dialect`, built once: the values are bound when it
    runs (building the merge expressions and their cache key each time was most of a write)."""
    table = row.__table__
    statement = dialect_insert(dialect)(table)
    keys = [c.name for c in table.primary_key]
    return statement.on_conflict_do_update(
        index_elements=keys, set_=_merged(table, statement.excluded)
    )


def step_ctes(after: Any, *, lesson: bool) -> list[Any]:
    """PostgreSQL: `record_step`'s two upserts as data-modifying CTEs that write only when the
    CTE `after` gives a row, for a statement that records a step and its rollups at once.

    The values are the statement's parameters: ``learner_id``, ``course_id``, ``at`` (the
    step's time) and ``week`` (`week_of` it in the deployment's zone).
    """
    happened = exists(select(literal(1)).select_from(after))
    values: dict[str, Any] = {
        "learner_id": bindparam("learner_id", type_=String),
        "lessons_completed": literal(int(lesson), Integer),
        "courses_completed": literal(0, Integer),
        "last_active_at": bindparam("at", type_=DateTime(timezone=True)),
        "active_week": bindparam("week", type_=Integer),
        "weeks": literal(1, BigInteger),
    }
    ctes = []
    course = bindparam("course_id", type_=String)
    for row, own in ((LearnerStatsRow, {"points": literal(0, Integer)}),
                     (CourseStatsRow, {"course_id": course})):  # fmt: skip
        table = cast(Table, row.__table__)
        columns = values | own
        source = select(*(v.label(k) for k, v in columns.items())).where(happened)
        statement = postgresql.insert(table).from_select(list(columns), source)
        statement = statement.on_conflict_do_update(
            index_elements=[c.name for c in table.primary_key],
            set_=_merged(table, statement.excluded),
        )
        ctes.append(statement.cte(f"{table.name}_step"))
    return ctes


def _merged(table: Any, new: Any) -> dict[str, Any]:
    """The columns of a stored rollup `table` after a write whose values are `new` (`excluded`):
    counts added, the last step and the latest week the later ones, the week merged in."""
    old_week, was, now = table.c.active_week, table.c.weeks, new.active_week
    ahead, behind = now - old_week, old_week - now
    kept = was.op("&")(_ONE.op("<<")(WEEK_BITS - ahead) - 1)
    weeks = case(
        (old_week.is_(None), new.weeks),
        (now.is_(None), was),
        (ahead >= WEEK_BITS, 1),
        (ahead >= 0, kept.op("<<")(ahead).op("|")(1)),
        (behind < WEEK_BITS, was.op("|")(_ONE.op("<<")(behind))),
        else_=was,
    )
    last, at = table.c.last_active_at, new.last_active_at
    counts = ("lessons_completed", "courses_completed", "points")
    return {
        **{c: table.c[c] + new[c] for c in counts if c in table.c},
        "last_active_at": case((last.is_(None), at), (at > last, at), else_=last),
        "active_week": case((old_week.is_(None), now), (now > old_week, now), else_=old_week),
        "weeks": weeks,
    }


def _add(
    session: Session, learner_id: str, course_id: str | None, step: datetime | None,
    zone: tzinfo | None = None, *, lessons: int = 0, courses: int = 0, points: int = 0,
) -> None:  # fmt: skip
    """Add to the learner's rollup and (with `course_id`) their course's, upserting each."""
    values: dict[str, Any] = {"lessons_completed": lessons, "courses_completed": courses,
                              "last_active_at": step, "active_week": None, "weeks": 0}  # fmt: skip
    if step is not None and zone is not None:
        values.update(active_week=week_of(step, zone), weeks=1)
    rows: list[tuple[Any, dict[str, Any]]] = [(LearnerStatsRow, {"points": points})]
    if course_id is not None:
        rows.append((CourseStatsRow, {"course_id": course_id}))
    dialect = session.get_bind().dialect.name
    for row, own in rows:
        session.execute(_upsert(dialect, row), {"learner_id": learner_id, **own, **values})


def record_step(
    session: Session, zone: tzinfo, learner_id: str, course_id: str, at: datetime, *, lesson: bool
) -> None:
    """A lesson completed or a quiz started at `at`, in the caller's transaction."""
    _add(session, learner_id, course_id, at, zone, lessons=int(lesson))


def add_points(session: Session, learner_id: str, points: int) -> None:
    """Karma Points awarded, in the caller's transaction."""
    _add(session, learner_id, None, None, points=points)


def course_completed(session: Session, learner_id: str, course_id: str) -> None:
    """An enrollment marked completed, in the caller's transaction."""
    _add(session, learner_id, course_id, None, courses=1)


def _week_sql(dialect: str, at: str) -> str:
    """The week number of a stored time `at` (parameter :offset_s: the zone's offset)."""
    if dialect == "postgresql":
        seconds = f"CAST(floor(extract(epoch FROM {at})) AS BIGINT)"
    else:
        seconds = f"CAST(strftime('%s', {at}) AS INTEGER)"
    return f"CAST(({seconds} + :offset_s - {_MONDAY_S}) / {_WEEK_S} AS INTEGER)"


def _activity_sql(dialect: str, keys: str) -> str:
    """Each learner's (or learner and course's) last step, latest week and week bit set."""
    steps = " UNION ALL ".join(
        f"SELECT {keys}, {_week_sql(dialect, at)} AS w, {at} AS at FROM {table}"
        for table, at in (("lesson_completions", "completed_at"), ("quiz_attempts", "started_at"))
    )
    weekly = f"SELECT {keys}, w, max(at) AS at FROM ({steps}) AS s GROUP BY {keys}, w"
    ranked = f"SELECT *, max(w) OVER (PARTITION BY {keys}) AS top FROM ({weekly}) AS ww"
    bits = f"CASE WHEN top - w < {WEEK_BITS} THEN CAST(1 AS BIGINT) << (top - w) ELSE 0 END"
    return (
        f"SELECT {keys}, max(at) AS last_active_at, max(top) AS active_week, "
        f"CAST(sum({bits}) AS BIGINT) AS weeks FROM ({ranked}) AS r GROUP BY {keys}"
    )


def rebuild_sql(dialect: str) -> list[str]:
    """The statements that rebuild every rollup from the raw rows (parameter :offset_s)."""
    found = ["DELETE FROM learner_course_stats", "DELETE FROM learner_stats"]
    columns = "lessons_completed, courses_completed, last_active_at, active_week, weeks"
    for table, keys in (("learner_stats", "learner_id"),
                        ("learner_course_stats", "learner_id, course_id")):  # fmt: skip
        extra = ", points" if table == "learner_stats" else ""
        chosen = ", ".join(f"a.{k}" for k in keys.split(", "))
        found.append(
            f"INSERT INTO {table} ({keys}, {columns}{extra}) "
            f"SELECT {chosen}, 0, 0, a.last_active_at, a.active_week, a.weeks{extra and ', 0'} "
            f"FROM ({_activity_sql(dialect, keys)}) AS a"
        )
        counts = [
            ("lessons_completed", f"SELECT {keys}, count(*) AS n FROM lesson_completions"),
            (
                "courses_completed",
                f"SELECT {keys}, count(*) AS n FROM enrollments WHERE completed_at IS NOT NULL",
            ),
        ]
        if extra:
            counts.append(("points", f"SELECT {keys}, sum(points) AS n FROM points_ledger"))
        for column, query in counts:
            found.append(_counted(table, keys, column, f"{query} GROUP BY {keys}"))
    return found


def _counted(table: str, keys: str, column: str, select: str) -> str:
    """An upsert of one count (`n` of `select`) into the rollups of `table`."""
    columns = ["lessons_completed", "courses_completed", "active_week", "last_active_at", "weeks"]
    columns += ["points"] if table == "learner_stats" else []
    values = ["n" if c == column else ("NULL" if c in ("active_week", "last_active_at") else "0")
              for c in columns]  # fmt: skip
    return (
        f"INSERT INTO {table} ({keys}, {', '.join(columns)}) "
        f"SELECT {keys}, {', '.join(values)} FROM ({select}) AS c WHERE true "
        f"ON CONFLICT ({keys}) DO UPDATE SET {column} = excluded.{column}"
    )


def rebuild(connection: Connection, zone: tzinfo, now: datetime) -> None:
    """Rebuild every rollup from the raw rows, in the connection's transaction (migration 0010,
    the bench). Weeks use the zone's offset at `now` (exact unless it changes with seasons)."""
    params = {"offset_s": offset_s(now, zone)}
    for statement in rebuild_sql(connection.dialect.name):
        connection.execute(text(statement), params)
