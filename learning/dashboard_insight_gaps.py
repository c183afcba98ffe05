"""Questions the knowledge base could not answer, kept by organisation for the dashboard.

The knowledge base keeps its own log for content owners (knowledge/gaps.py, a file beside the
index). The dashboard needs to know *whose* team asked, and must show a supervisor only what
their own subtree asked, so the action that asked also records the question here, in the
learner store, with the asker's organisation (never their id): one row per normalised text,
language, course and organisation, counted (migration 0008). The table cannot grow without
bound: beyond `MAX_ROWS` the least recently asked rows go, checked on the first new row a
process records and on every `PRUNE_EVERY`-th after it (counting the table takes a scan, so
not on every question: the table may hold up to `PRUNE_EVERY - 1` rows over its bound).
"""

from __future__ import annotations

import functools
import hashlib
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Integer,
    String,
    Table,
    delete,
    func,
    select,
    true,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from learning.campaigns import Actor
from learning.dashboard_queries import Filters, visible
from learning.models import Base, aware, utcnow
from learning.organisations import in_subtree
from learning.store import dialect_insert, write_one

#: Distinct (question, language, course, organisation) rows kept.
MAX_ROWS = 50_000
#: New rows recorded between two checks of the table's size.
PRUNE_EVERY = 100
#: Grouped questions a page shows at the most.
GAPS_SHOWN = 100
_MAX_CHARS = 500


class GapQuestionRow(Base):
    """An unanswered question, counted per language, course and the asker's organisation."""

    __tablename__ = "gap_questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    #: SHA-256 of (normalized, language, course, organisation): the row's natural key.
    key: Mapped[str] = mapped_column(String(64), unique=True)
    normalized: Mapped[str] = mapped_column(String(_MAX_CHARS))
    question: Mapped[str] = mapped_column(String(_MAX_CHARS))
    language: Mapped[str] = mapped_column(String(16))
    #: The course the learner was taking when they asked ('' for none).
    course: Mapped[str] = mapped_column(String(64))
    #: The asker's organisation when they asked (None: they had none; only admins see it).
    organisation: Mapped[str | None] = mapped_column(String(200), index=True)
    count: Mapped[int] = mapped_column(Integer)
    first_asked: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_asked: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class GapQuestions:
    """Records unanswered questions with the asker's organisation.

    Args:
        sessions: The learner store.
        clock: The current time.
        max_rows: Rows kept; the least recently asked go first.
        prune_every: New rows between two checks of the table's size (1: every new row).
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        clock: Callable[[], datetime] = utcnow,
        max_rows: int = MAX_ROWS,
        prune_every: int = PRUNE_EVERY,
    ) -> None:
        self._sessions = sessions
        self._clock = clock
        self._max_rows = max(1, max_rows)
        self._prune_every = max(1, prune_every)
        self._new_rows = itertools.count()  # next() is atomic: actions record from threads

    def record(
        self,
        question: str,
        normalized: str,
        language: str,
        course: str | None,
        organisation: str | None,
    ) -> None:
        """Count one unanswered question (an empty `normalized` key is ignored): one statement,
        and now and then (a new row, `prune_every`) a check of the table's size."""
        normalized = normalized[:_MAX_CHARS]
        if not normalized:
            return
        parts = (normalized, language, course or "", organisation or "")
        key = hashlib.sha256("\0".join(parts).encode()).hexdigest()
        now = self._clock()
        values = {"key": key, "normalized": normalized, "question": question.strip()[:_MAX_CHARS],
                  "language": language, "course": course or "", "organisation": organisation,
                  "count": 1, "first_asked": now, "last_asked": now}  # fmt: skip
        dialect = self._sessions.kw["bind"].dialect.name
        (count,) = write_one(self._sessions, _count_question(dialect), **values)[0]
        if count == 1 and next(self._new_rows) % self._prune_every == 0:
            self._prune()

    def _prune(self) -> None:
        """Delete the least recently asked rows beyond `max_rows`."""
        with self._sessions.begin() as session:
            rows = session.scalar(select(func.count()).select_from(GapQuestionRow)) or 0
            if rows > self._max_rows:
                oldest = select(GapQuestionRow.id).order_by(GapQuestionRow.last_asked)
                ids = list(session.scalars(oldest.limit(rows - self._max_rows)))
                session.execute(delete(GapQuestionRow).where(GapQuestionRow.id.in_(ids)))


@functools.cache
def _count_question(dialect: str) -> Any:
    """Insert a question, or count it once more (the last time asked and wording the newest),
    built once per dialect; the values are bound when it runs (D34). It returns the row's count:
    1 for a row this call inserted."""
    table = cast(Table, GapQuestionRow.__table__)
    statement = dialect_insert(dialect)(table)
    return statement.on_conflict_do_update(
        index_elements=["key"],
        set_={
            "count": table.c.count + 1,
            "last_asked": statement.excluded.last_asked,
            "question": statement.excluded.question,
        },
    ).returning(table.c.count)


@dataclass(frozen=True)
class GapLine:
    """A question asked (in one language) by the actor's learners, how often and when last."""

    question: str
    language: str
    count: int
    last_asked: datetime


@dataclass(frozen=True)
class Gaps:
    """The most asked unanswered questions, and how many there are in all."""

    lines: tuple[GapLine, ...]
    questions: int
    asked: int


def _scope(session: Session, actor: Actor, filters: Filters) -> list[ColumnElement[bool]]:
    """Conditions on gap rows for the actor's reach and the page's filters."""
    row = GapQuestionRow
    where: list[ColumnElement[bool]] = [true()]
    if not actor.reach.everyone:
        where.append(in_subtree(row.organisation, actor.reach.root or "", session))
    if filters.organisation:
        where.append(in_subtree(row.organisation, filters.organisation, session))
    if filters.course:
        where.append(row.course == filters.course)
    if filters.language:
        where.append(row.language == filters.language.split("-")[0])
    return where


def gaps(
    session: Session, actor: Actor, filters: Filters, now: datetime, limit: int = GAPS_SHOWN
) -> Gaps:
    """The unanswered questions of the actor's learners, most asked first.

    Grouped by normalised text and language; the role filter does not apply (gap rows carry
    no role).

    Raises:
        OutOfScope: as `learning.dashboard_queries.visible` (the same check, the same 404).
    """
    visible(session, actor, filters, now)  # the one scope check: refuses an org out of reach
    row, where = GapQuestionRow, _scope(session, actor, filters)
    asked, last = func.sum(row.count).label("asked"), func.max(row.last_asked)
    grouped = (
        select(func.max(row.question), row.language, asked, last)
        .where(*where)
        .group_by(row.normalized, row.language)
    )
    top = grouped.order_by(asked.desc(), last.desc(), row.language).limit(limit)
    lines = tuple(
        GapLine(str(question), str(language), int(count), aware(when) or now)
        for question, language, count, when in session.execute(top)
    )
    every = grouped.subquery()
    totals = select(func.count(), func.coalesce(func.sum(every.c.asked), 0)).select_from(every)
    questions, total = session.execute(totals).one()
    return Gaps(lines, int(questions), int(total))
