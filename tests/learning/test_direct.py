"""Hot statements on PostgreSQL run on the driver (learning/direct.py) and give what
SQLAlchemy's own execution gives: the same rows, names and types, the same exceptions, and
connections that go back to the pool as they came."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from learning import direct
from learning import repository as learners
from learning.attempts import _OPEN, _RESULTS
from learning.channel_models import OptEventRow
from learning.completions import _COMPLETED
from learning.content_loader import load
from learning.db import make_engine, session_factory, upgrade
from learning.enrollments import _ACTIVE, _ACTIVE_ENROLLMENT, _ALL, _ONE
from learning.journey import Journey
from learning.models import LessonCompletionRow, utcnow
from learning.overview import _IN_COURSE, _OVERVIEW
from learning.points import _TOTAL
from learning.records import PointsRules, RecordStore
from learning.store import core_rows, write_one
from tests.learning.conftest import fresh_database

CONTENT = Path(__file__).parents[1] / "fixtures" / "content"


@pytest.fixture
def pg(request: pytest.FixtureRequest, tmp_path: Path) -> sa.Engine:
    """A migrated PostgreSQL database (skipped when PostgreSQL is unreachable)."""
    url = fresh_database("postgresql", request, tmp_path)
    engine = make_engine(url)
    upgrade(url, engine)
    yield engine  # type: ignore[misc]
    engine.dispose()


def _through_sqlalchemy(engine: sa.Engine, statement: Any, values: dict[str, Any]) -> list[Any]:
    with engine.connect() as connection:
        return list(connection.execute(statement, values))


def test_hot_reads_give_what_sqlalchemy_gives(pg: sa.Engine) -> None:
    """A learner half way through a course: every hot read, both ways, row for row."""
    sessions = session_factory(pg)
    records = RecordStore(sessions, points=PointsRules(10, 20, 50))
    journey = Journey(load(CONTENT), records, rng=random.Random(1))
    repo = learners.SqlLearnerRepository(sessions)
    learner = repo.confirm_name(repo.get_or_create("telegram", "7", name="Asha").id, "Asha")
    journey.enroll(learner, "demo")
    for _ in range(4):  # lessons 1 and 2 done, the quiz started
        journey.next_step(learner)
    keys = {"learner_id": learner.id, "course_id": "demo"}
    reads = {
        "by sender": (learners._BY_SENDER, {"sender_id": learner.id, "channel": "rest"}),
        "by channel": (learners._BY_CHANNEL, {"channel": "telegram", "channel_user_id": "7"}),
        "one": (_ONE, keys),
        "all": (_ALL, {"learner_id": learner.id}),
        "active": (_ACTIVE, {"learner_id": learner.id}),
        "place": (_ACTIVE_ENROLLMENT, keys),
        "overview": (_OVERVIEW, {"learner_id": learner.id}),
        "in course": (_IN_COURSE, keys),
        "open quiz": (_OPEN, {"learner_id": learner.id}),
        "results": (_RESULTS, keys),
        "completed": (_COMPLETED, keys),
        "points": (_TOTAL, {"learner_id": learner.id}),
    }
    for name, (statement, values) in reads.items():
        values = {k: v for k, v in values.items() if k in statement.compile().params}
        plan = direct.plan(statement, pg.dialect, frozenset(values))
        assert plan is not None, name  # the hot path is taken
        ours = direct.run(pg, plan, values)
        theirs = _through_sqlalchemy(pg, statement, values)
        assert [tuple(r) for r in ours] == [tuple(r) for r in theirs], name
        assert [type(v) for r in ours for v in r] == [type(v) for r in theirs for v in r], name
        assert all(r._fields == tuple(t._fields) for r, t in zip(ours, theirs, strict=True))
    assert {r.lesson_id for r in core_rows(sessions, _COMPLETED, **keys)} == {"l1", "l2"}
    assert core_rows(sessions, _OPEN, learner_id=learner.id)[0].total == 2
    assert core_rows(sessions, _TOTAL, learner_id=learner.id)[0][0] == 20


def test_writes_bind_booleans_and_scalar_defaults_as_sqlalchemy_would(pg: sa.Engine) -> None:
    """A first contact (one CTE with column defaults filled in) and an update RETURNING."""
    sessions = session_factory(pg)
    repo = learners.SqlLearnerRepository(sessions)
    learner = repo.get_or_create("web", "w1", name="Ravi", language="hi")
    with pg.connect() as connection:
        row = connection.execute(
            sa.text("SELECT name_confirmed, access, reminders_enabled FROM learners")
        ).one()
    assert tuple(row) == (False, "learner", True)
    changed = repo.set_language(learner.id, "ta", "latin", chosen=False)
    assert (changed.language, changed.script, changed.language_chosen) == ("ta", "latin", False)
    assert repo.get(learner.id) == changed
    update = learners._update_of(frozenset({"reminders_enabled"}))
    assert direct.plan(update, pg.dialect, frozenset({"learner_id", "at", "reminders_enabled"}))


def test_a_python_default_is_left_to_sqlalchemy(pg: sa.Engine) -> None:
    """An insert whose column default is computed in Python has no plan; it still runs."""
    sessions = session_factory(pg)
    learner = learners.SqlLearnerRepository(sessions).get_or_create("web", "d1")
    statement = sa.insert(OptEventRow.__table__)  # at: default=utcnow, in Python
    values = {"learner_id": learner.id, "enabled": False, "source": "web"}
    assert direct.plan(statement, pg.dialect, frozenset(values)) is None
    write_one(sessions, statement, **values)
    with pg.connect() as connection:
        stamp = connection.execute(sa.text("SELECT at FROM opt_events")).scalar_one()
    assert abs((stamp - utcnow()).total_seconds()) < 60


def test_driver_errors_are_sqlalchemys_and_the_connection_goes_back_clean(
    pg: sa.Engine,
) -> None:
    sessions = session_factory(pg)
    learner = learners.SqlLearnerRepository(sessions).get_or_create("web", "e1")
    statement = sa.insert(LessonCompletionRow.__table__)
    row = {"learner_id": learner.id, "course_id": "c", "lesson_id": "l", "language": "en",
           "completed_at": utcnow()}  # fmt: skip
    if direct.plan(statement, pg.dialect, frozenset(row)) is None:
        pytest.fail("a plain insert with every column given should take the driver's path")
    write_one(sessions, statement, **row)
    with pytest.raises(sa.exc.IntegrityError):
        write_one(sessions, statement, **row)  # the same learner and lesson again
    with pytest.raises(sa.exc.ProgrammingError):
        core_rows(sessions, sa.select(sa.literal_column("nope")).where(sa.text("1 = 1")))
    # Every pooled connection is back in transaction mode: a session's write rolls back.
    for _ in range(3):
        pooled = pg.raw_connection()
        assert pooled.driver_connection.autocommit is False  # type: ignore[union-attr]
        pooled.close()
    with pytest.raises(RuntimeError), sessions.begin() as session:
        session.execute(sa.delete(LessonCompletionRow.__table__))
        raise RuntimeError("roll back")
    assert len(core_rows(sessions, _COMPLETED, learner_id=learner.id, course_id="c")) == 1


def test_a_dead_connection_is_discarded_and_the_next_call_gets_a_live_one(
    pg: sa.Engine,
) -> None:
    sessions = session_factory(pg)
    learner = learners.SqlLearnerRepository(sessions).get_or_create("web", "k1")
    read = {"sender_id": learner.id, "channel": "rest"}
    assert core_rows(sessions, learners._BY_SENDER, **read)
    pooled = pg.raw_connection()
    pid = pooled.driver_connection.info.backend_pid  # type: ignore[union-attr]
    pooled.close()
    admin = sa.create_engine(pg.url, isolation_level="AUTOCOMMIT")  # not from pg's pool
    with admin.connect() as other:
        other.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    admin.dispose()
    with pytest.raises(sa.exc.OperationalError) as raised:
        while True:  # the pool hands out the killed connection within its size
            core_rows(sessions, learners._BY_SENDER, **read)
    assert raised.value.connection_invalidated
    assert core_rows(sessions, learners._BY_SENDER, **read)[0].id == learner.id


def test_listeners_and_sqlite_keep_sqlalchemys_execution(pg: sa.Engine, tmp_path: Path) -> None:
    """Statement listeners (tracing, the statement-count tests) see every statement."""
    sessions = session_factory(pg)
    learner = learners.SqlLearnerRepository(sessions).get_or_create("web", "l1")
    seen: list[str] = []

    def record(*args: object) -> None:
        seen.append(str(args[2]))

    sa.event.listen(pg, "before_cursor_execute", record)
    try:
        core_rows(sessions, learners._BY_ID, learner_id=learner.id)
    finally:
        sa.event.remove(pg, "before_cursor_execute", record)
    assert len(seen) == 1 and "FROM learners" in seen[0]
    lite = make_engine(f"sqlite:///{tmp_path / 'k.db'}")
    upgrade(str(lite.url), lite)
    lite_sessions = session_factory(lite)
    created = learners.SqlLearnerRepository(lite_sessions).get_or_create("web", "l1")
    sa.event.listen(lite, "before_cursor_execute", record)
    try:
        core_rows(lite_sessions, learners._BY_ID, learner_id=created.id)
    finally:
        sa.event.remove(lite, "before_cursor_execute", record)
    assert len(seen) > 1 and "FROM learners" in seen[-1]
    lite.dispose()


def test_literal_values_null_included_are_bound_as_sqlalchemy_binds_them(pg: sa.Engine) -> None:
    statement = sa.select(
        sa.literal(None, sa.String).label("nothing"),
        sa.literal(3).label("three"),
        sa.literal(True).label("yes"),
        sa.bindparam("given", type_=sa.String).label("given"),
    )
    plan = direct.plan(statement, pg.dialect, frozenset({"given"}))
    assert plan is not None
    ours = direct.run(pg, plan, {"given": "x"})
    assert ours == _through_sqlalchemy(pg, statement, {"given": "x"})
    assert (ours[0].nothing, ours[0].three, ours[0].yes, ours[0].given) == (None, 3, True, "x")
