"""Quiz attempts in the learner-record store: shuffled layout, answers, results."""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, tzinfo
from typing import Any, cast

from sqlalchemy import (
    Boolean,
    DateTime,
    Integer,
    String,
    Table,
    bindparam,
    case,
    exists,
    func,
    literal,
    select,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session, sessionmaker

from learning.activity import record_step, step_ctes, week_of
from learning.events import LearningEvent
from learning.models import QuizAnswerRow, QuizAttemptRow, new_id
from learning.points import PointsLedger
from learning.store import (
    Clock,
    OutboxWriter,
    core_rows,
    insert_once,
    skip_duplicates,
    write_one,
)


@dataclass(frozen=True)
class Attempt:
    """A quiz attempt: its shuffled layout and how far the learner is."""

    id: str
    learner_id: str
    course_id: str
    quiz_id: str
    number: int
    layout: tuple[tuple[str, tuple[str, ...]], ...]
    position: int
    score: int
    total: int
    passed: bool | None
    language: str
    finished: bool

    @property
    def current(self) -> tuple[str, tuple[str, ...]] | None:
        """(question id, option ids in display order) of the next question, if any."""
        return self.layout[self.position] if self.position < len(self.layout) else None


def _attempt(row: Any) -> Attempt:
    layout = tuple((str(q), tuple(map(str, opts))) for q, opts in json.loads(row.layout))
    return Attempt(
        row.id,
        row.learner_id,
        row.course_id,
        row.quiz_id,
        row.number,
        layout,
        row.position,
        row.score,
        row.total,
        row.passed,
        row.language,
        row.finished_at is not None,
    )


_ATTEMPT_TABLE = cast(Table, QuizAttemptRow.__table__)
_ATTEMPTS = _ATTEMPT_TABLE.c
# The hot reads as Core statements built once with bound parameters (D34).
_OF_COURSE = (_ATTEMPTS.learner_id == bindparam("learner_id"),
              _ATTEMPTS.course_id == bindparam("course_id"))  # fmt: skip
_OPEN = (
    select(*_ATTEMPTS)
    .where(_ATTEMPTS.learner_id == bindparam("learner_id"), _ATTEMPTS.finished_at.is_(None))
    .order_by(_ATTEMPTS.started_at.desc())
    .limit(1)
)
# The learner's latest attempt at a quiz: the open one if any is (a quiz has at most one open
# attempt, the latest, since `start` returns it instead of starting another), else the one
# whose number the next attempt follows.
_LATEST = (
    select(*_ATTEMPTS)
    .where(*_OF_COURSE, _ATTEMPTS.quiz_id == bindparam("quiz_id"))
    .order_by(_ATTEMPTS.number.desc())
    .limit(1)
)
# Starting an attempt on PostgreSQL in one statement: the latest attempt; unless it is open,
# the next one inserted (numbered on from it) with the rollups of a step (`step_ctes`); and
# the attempt returned, the new one from the insert's RETURNING or else the open one. An
# insert that meets another call's attempt of the same number skips, and nothing comes back.
_LATEST_CTE = _LATEST.cte("latest")
_OPEN_LATEST = exists(select(literal(1)).select_from(_LATEST_CTE)
                      .where(_LATEST_CTE.c.finished_at.is_(None)))  # fmt: skip
_NEW_ATTEMPT = {
    "id": bindparam("new_id", type_=_ATTEMPTS.id.type),
    **{k: bindparam(k, type_=_ATTEMPTS[k].type) for k in ("learner_id", "course_id", "quiz_id")},
    "number": literal(1, Integer)
    + func.coalesce(select(_LATEST_CTE.c.number).scalar_subquery(), 0),
    **{k: bindparam(k, type_=_ATTEMPTS[k].type) for k in ("layout", "total", "language")},
    "position": literal(0, Integer),
    "score": literal(0, Integer),
    "started_at": bindparam("at", type_=_ATTEMPTS.started_at.type),
}
_STARTED = (
    postgresql.insert(_ATTEMPT_TABLE)
    .from_select(
        list(_NEW_ATTEMPT),
        select(*(v.label(k) for k, v in _NEW_ATTEMPT.items())).where(~_OPEN_LATEST),
    )
    .on_conflict_do_nothing()
    .returning(*_ATTEMPT_TABLE.c)
    .cte("started")
)
_START = (
    select(*_STARTED.c)
    .union_all(select(*_LATEST_CTE.c).where(_LATEST_CTE.c.finished_at.is_(None)))
    .add_cte(*step_ctes(_STARTED, lesson=False))
)
# Answering on PostgreSQL in one statement: the attempt, locked; the answer inserted when the
# attempt is open and the question is its current one (the layout's entry at its position);
# the attempt moved on (and scored) only when the answer went in; the answer's event queued
# then too; and the attempt returned, moved on, or else as it was.
_CURRENT = select(*_ATTEMPTS).where(_ATTEMPTS.id == bindparam("attempt_id")).with_for_update()
_LOCKED = _CURRENT.cte("locked")
_ASKED = (
    _LOCKED.c.layout.cast(postgresql.JSONB)
    .op("->")(_LOCKED.c.position)
    .op("->>", return_type=String)(literal(0, Integer))
)
_ANSWER_TABLE = cast(Table, QuizAnswerRow.__table__)
_ANSWERED = (
    postgresql.insert(_ANSWER_TABLE)
    .from_select(
        ["attempt_id", "question_id", "option_id", "correct", "answered_at"],
        select(
            _LOCKED.c.id,
            bindparam("question_id", type_=String),
            bindparam("option_id", type_=String),
            bindparam("correct", type_=Boolean),
            bindparam("at", type_=DateTime(timezone=True)),
        ).where(_LOCKED.c.finished_at.is_(None), bindparam("question_id", type_=String) == _ASKED),
    )
    .on_conflict_do_nothing()
    .returning(_ANSWER_TABLE.c.attempt_id)
    .cte("answered")
)
_MOVED = (
    update(_ATTEMPT_TABLE)
    .where(_ATTEMPTS.id == _ANSWERED.c.attempt_id)
    .values(
        position=_ATTEMPTS.position + 1, score=_ATTEMPTS.score + bindparam("gain", type_=Integer)
    )
    .returning(*_ATTEMPT_TABLE.c)
    .cte("moved")
)


@functools.cache
def _answer(sinks: tuple[str, ...]) -> Any:
    """The one-statement answer, with its event queued for these sinks."""
    unanswered = ~exists(select(literal(1)).select_from(_ANSWERED))
    statement = select(*_MOVED.c, literal(True).label("recorded")).union_all(
        select(*_LOCKED.c, literal(False).label("recorded")).where(unanswered)
    )
    queued = OutboxWriter(sinks).queue_after(_ANSWERED)
    return statement.add_cte(queued) if queued is not None else statement


_FINISHED = _ATTEMPTS.finished_at.is_not(None)
#: A quiz's results, as aggregates over its attempts (grouped by quiz): the best score and
#: total of the finished attempts, and 1 if one passed (also learning/overview.py).
QUIZ_RESULT = (
    func.max(case((_FINISHED, _ATTEMPTS.score))).label("score"),
    func.max(case((_FINISHED, _ATTEMPTS.total))).label("total"),
    func.max(case((_ATTEMPTS.passed.is_(True), 1), else_=0)).label("passed"),
)
# Every quiz's results in a course: one read.
_RESULTS = select(_ATTEMPTS.quiz_id, *QUIZ_RESULT).where(*_OF_COURSE).group_by(_ATTEMPTS.quiz_id)


@dataclass(frozen=True)
class QuizResults:
    """A learner's quiz results in one course.

    Attributes:
        best: Best (score, total) per quiz with a finished attempt.
        passed: Ids of the quizzes passed.
    """

    best: dict[str, tuple[int, int]]
    passed: frozenset[str]


@dataclass(frozen=True)
class QuizAttempts:
    """Quiz attempts and their answers.

    Attributes:
        sessions: The record database.
        outbox: Queues answer and result events in the same transaction.
        points: Awards a passed quiz's points in the same transaction.
        clock: When attempts start and finish.
        zone: The deployment's time zone (the dashboard's weeks, learning/activity.py).
    """

    sessions: sessionmaker[Session]
    outbox: OutboxWriter
    points: PointsLedger
    clock: Clock
    zone: tzinfo = UTC

    def start(
        self,
        learner_id: str,
        course_id: str,
        quiz_id: str,
        layout: Sequence[tuple[str, Sequence[str]]],
        language: str,
    ) -> Attempt:
        """Start the next attempt at a quiz, or return the unfinished one: a read of the
        latest attempt, and for a new one an insert that returns its row, with the rollups;
        on PostgreSQL all in one statement (`_START`)."""
        keys = {"learner_id": learner_id, "course_id": course_id, "quiz_id": quiz_id}
        shape = json.dumps([[q, list(o)] for q, o in layout])
        if self.sessions.kw["bind"].dialect.name == "postgresql":
            started = self.clock()
            rows = write_one(self.sessions, _START, new_id=new_id(), layout=shape,
                             total=len(layout), language=language, at=started,
                             week=week_of(started, self.zone), **keys)  # fmt: skip
            # No row: another call started this attempt in the same moment (the insert waited
            # for it and skipped); the statement's snapshot is older than its row.
            return _attempt(rows[0] if rows else core_rows(self.sessions, _LATEST, **keys)[0])
        with self.sessions.begin() as session:
            latest = session.execute(_LATEST, keys).first()
            if latest is not None and latest.finished_at is None:
                return _attempt(latest)
            started = self.clock()
            values = keys | {
                "id": new_id(),
                "number": 1 + (latest.number if latest is not None else 0),
                "layout": shape,
                "position": 0,
                "score": 0,
                "total": len(layout),
                "language": language,
                "started_at": started,
            }
            dialect = session.get_bind().dialect.name
            insert = skip_duplicates(_ATTEMPT_TABLE, dialect, whole_row=True)
            row = session.execute(insert, values).first()
            if row is None:  # another worker started this attempt first: theirs
                return _attempt(session.execute(_LATEST, keys).one())
            record_step(session, self.zone, learner_id, course_id, started, lesson=False)
            return _attempt(row)

    def get(self, attempt_id: str) -> Attempt | None:
        """An attempt by id."""
        with self.sessions() as session:
            row = session.get(QuizAttemptRow, attempt_id)
            return _attempt(row) if row else None

    def open(self, learner_id: str) -> Attempt | None:
        """The learner's unfinished quiz attempt, if any (the most recent)."""
        rows = core_rows(self.sessions, _OPEN, learner_id=learner_id)
        return _attempt(rows[0]) if rows else None

    def answer(
        self, attempt_id: str, question_id: str, option_id: str, correct: bool, event: LearningEvent
    ) -> tuple[Attempt, bool]:
        """Record the answer to the attempt's current question (the first answer counts).

        Returns:
            (the attempt after the answer, whether this call recorded it). A second answer to
            the same question, or an answer to a question that is not the current one, records
            nothing. On PostgreSQL one statement (`_answer`).
        """
        if self.sessions.kw["bind"].dialect.name == "postgresql":
            rows = write_one(self.sessions, _answer(self.outbox.sinks), attempt_id=attempt_id,
                             question_id=question_id, option_id=option_id, correct=correct,
                             gain=int(correct), at=event.timestamp,
                             **self.outbox.event_values(event))  # fmt: skip
            if not rows:
                raise LookupError(f"no quiz attempt {attempt_id}")
            return _attempt(rows[0]), bool(rows[0].recorded)
        with self.sessions.begin() as session:
            row = session.get(QuizAttemptRow, attempt_id, with_for_update=True)
            assert row is not None
            current = _attempt(row).current
            if row.finished_at is not None or current is None or current[0] != question_id:
                return _attempt(row), False
            if not insert_once(
                session,
                QuizAnswerRow,
                {
                    "attempt_id": attempt_id,
                    "question_id": question_id,
                    "option_id": option_id,
                    "correct": correct,
                    "answered_at": event.timestamp,
                },
            ):
                return _attempt(row), False
            row.position += 1
            row.score += int(correct)
            self.outbox.emit(session, event)
            session.flush()
            return _attempt(row), True

    def finish(self, attempt_id: str, passed: bool, events: Sequence[LearningEvent]) -> int:
        """Close a fully answered attempt; returns the points it earned (0 if already closed)."""
        with self.sessions.begin() as session:
            row = session.get(QuizAttemptRow, attempt_id, with_for_update=True)
            assert row is not None
            if row.finished_at is not None:
                return 0
            row.finished_at, row.passed = self.clock(), passed
            self.outbox.emit(session, *events)
            if not passed:
                return 0
            return self.points.award(
                session, row.learner_id, "quiz_passed", f"quiz:{row.course_id}:{row.quiz_id}"
            )

    def results(self, learner_id: str, course_id: str) -> QuizResults:
        """Best scores of finished quizzes and the quizzes passed, in a course (one read)."""
        rows = core_rows(self.sessions, _RESULTS, learner_id=learner_id, course_id=course_id)
        return QuizResults(
            {r.quiz_id: (int(r.score), int(r.total)) for r in rows if r.score is not None},
            frozenset(r.quiz_id for r in rows if r.passed),
        )
