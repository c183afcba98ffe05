"""The dashboard's progress CSV: `karmabot learners report`'s columns (`learning.report`), for
the learners a signed-in person may see, under the overview's filters.

The learners come from `learning.dashboard_queries.visible`, the dashboard's one scope check.
Rows are streamed a batch at a time: one query for the learners and their enrollments (read
`BATCH` rows per round trip), then, per batch, five grouped queries for its learners' lessons,
passed quizzes, best scores, certificates and Karma Points; never a query per learner. The file
starts with a UTF-8 byte order mark (Excel then reads every script) and every cell goes
through `spreadsheet_safe`.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session, sessionmaker

from learning.campaigns import Actor
from learning.content import Library
from learning.dashboard_queries import Filters, visible
from learning.models import (
    CertificateRow,
    EnrollmentRow,
    LearnerRow,
    LessonCompletionRow,
    PointsRow,
    QuizAttemptRow,
    aware,
)
from learning.report import FIELDS, Taken, course_cells, learner_cells, spreadsheet_safe
from learning.roster_plan import among

#: Rows read per round trip, and learners per batch of grouped queries.
BATCH = 1000
_Key = tuple[str, str]


@dataclass
class _Facts:
    """A batch of learners' records, by learner (and course)."""

    lessons: dict[_Key, int] = field(default_factory=dict)
    passed: dict[_Key, int] = field(default_factory=dict)
    scores: defaultdict[_Key, dict[str, tuple[int, int]]] = field(
        default_factory=lambda: defaultdict(dict)
    )
    certificates: dict[_Key, str] = field(default_factory=dict)
    points: dict[str, int] = field(default_factory=dict)

    @classmethod
    def read(cls, session: Session, learners: Sequence[str]) -> _Facts:
        """The records of these learners, in five grouped queries (per `among` chunk)."""

        def each(query: Any) -> Iterator[Any]:
            column: Any = query.selected_columns[0]  # the learner id
            for mine in among(session, column, learners):
                yield from session.execute(query.where(mine))

        facts, lesson, attempt = cls(), LessonCompletionRow, QuizAttemptRow
        done = (lesson.learner_id, lesson.course_id)
        for learner, course, n in each(select(*done, func.count()).group_by(*done)):
            facts.lessons[learner, course] = int(n)
        tried = (attempt.learner_id, attempt.course_id)
        passed = select(*tried, func.count(func.distinct(attempt.quiz_id)))
        for learner, course, n in each(passed.where(attempt.passed.is_(True)).group_by(*tried)):
            facts.passed[learner, course] = int(n)
        best = select(*tried, attempt.quiz_id, func.max(attempt.score), func.max(attempt.total))
        finished = best.where(attempt.finished_at.is_not(None)).group_by(*tried, attempt.quiz_id)
        for learner, course, quiz, score, total in each(finished):
            facts.scores[learner, course][quiz] = (int(score), int(total))
        codes = (CertificateRow.learner_id, CertificateRow.course_id, CertificateRow.code)
        for learner, course, code in each(select(*codes)):
            facts.certificates[learner, course] = code
        points = select(PointsRow.learner_id, func.sum(PointsRow.points))
        for learner, total in each(points.group_by(PointsRow.learner_id)):
            facts.points[learner] = int(total or 0)
        return facts


class ProgressExport:
    """The progress CSV of the learners under `where` (see `progress_export`).

    Args:
        sessions: The learner store.
        library: The courses (lesson and quiz totals).
        where: Conditions on `LearnerRow` from `visible`.
        course: Only this course's enrollments (the course filter), or every course.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        library: Library,
        where: list[ColumnElement[bool]],
        course: str | None,
    ) -> None:
        self._sessions, self._library = sessions, library
        self._where, self._course = where, course

    def _query(self) -> Any:
        enrollment = EnrollmentRow
        on = [enrollment.learner_id == LearnerRow.id]
        if self._course:
            on.append(enrollment.course_id == self._course)
        columns = (LearnerRow.id, LearnerRow.name, LearnerRow.organisation, LearnerRow.role,
                   LearnerRow.language, enrollment.course_id, enrollment.enrolled_at,
                   enrollment.completed_at)  # fmt: skip
        return (
            select(*columns)
            .outerjoin(enrollment, and_(*on))
            .where(*self._where)
            .order_by(LearnerRow.name, LearnerRow.id, enrollment.course_id)
        )

    def rows(self) -> Iterator[dict[str, object]]:
        """Report rows (as `learning.report.progress_rows` writes them), in batches."""
        with self._sessions() as session:
            result = session.execute(self._query().execution_options(yield_per=BATCH))
            for part in result.partitions():
                facts = _Facts.read(session, sorted({row.id for row in part}))
                for row in part:
                    yield self._row(row, facts)

    def _row(self, row: Any, facts: _Facts) -> dict[str, object]:
        base = learner_cells(row, facts.points.get(row.id, 0))
        if row.course_id is None:
            return base
        key = (row.id, row.course_id)
        enrolled: datetime = aware(row.enrolled_at) or row.enrolled_at
        taken = Taken(row.course_id, enrolled, aware(row.completed_at),
                      facts.lessons.get(key, 0), facts.passed.get(key, 0),
                      facts.scores.get(key, {}), facts.certificates.get(key, ""))  # fmt: skip
        return base | course_cells(self._library.get(row.course_id), taken)

    def chunks(self) -> Iterator[bytes]:
        """The CSV file as UTF-8 with a byte order mark, a batch of rows per chunk."""
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, FIELDS, restval="")
        buffer.write("\ufeff")
        writer.writeheader()
        for count, row in enumerate(self.rows(), start=1):
            writer.writerow({key: spreadsheet_safe(value) for key, value in row.items()})
            if count % BATCH == 0:
                yield buffer.getvalue().encode()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue().encode()


def progress_export(
    sessions: sessionmaker[Session], library: Library, actor: Actor, filters: Filters, now: datetime
) -> ProgressExport:
    """The progress CSV of the learners `actor` may see, filtered; nothing is read yet but the
    scope.

    Raises:
        OutOfScope: see `learning.dashboard_queries.visible`.
    """
    with sessions() as session:
        where = visible(session, actor, filters, now)
    return ProgressExport(sessions, library, where, filters.course)
