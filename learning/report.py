"""Progress reports for supervisors and training cells: one CSV row per learner and course.

Every CSV written for people to open (this report, the invite list) goes through
`spreadsheet_safe`: a cell that starts like a formula is written with a leading single quote
(OWASP's defence against CSV injection), so a learner named "=HYPERLINK(…)" is text in Excel.
Phone numbers are written as digits without '+' (WhatsApp's form), so they are left as they are.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from learning.content import Course, Library
from learning.models import LearnerRow
from learning.overview import NO_RECORD
from learning.records import RecordStore

#: First characters that make a spreadsheet read a cell as a formula (OWASP, CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> object:
    """`value` as a spreadsheet shows it as text: a string starting like a formula gets a
    leading single quote; anything else (numbers included) is unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


FIELDS = (
    "learner_id",
    "name",
    "organisation",
    "role",
    "language",
    "course_id",
    "enrolled_at",
    "lessons_done",
    "lessons_total",
    "quizzes_passed",
    "quizzes_total",
    "best_scores",
    "progress_percent",
    "completed_at",
    "certificate_code",
    "karma_points",
)


def progress_rows(
    sessions: sessionmaker[Session], records: RecordStore, library: Library, organisation: str
) -> Iterator[dict[str, object]]:
    """Rows for every learner of `organisation` (case-insensitive; "" for everyone).

    A learner's lessons, quiz results and points come in one read (`Overviews.read`), their
    enrollments' dates in another, and each course's certificate in one more."""
    query = select(LearnerRow).order_by(LearnerRow.name, LearnerRow.id)
    if organisation:
        query = query.where(func.lower(LearnerRow.organisation) == organisation.lower())
    with sessions() as session:
        learners = list(session.scalars(query))
    for learner in learners:
        overview = records.overviews.read(learner.id)
        records_by_course = {course.course_id: course for course in overview.courses}
        base = learner_cells(learner, overview.points)
        enrollments = records.enrollments.for_learner(learner.id)
        if not enrollments:
            yield base
        for enrollment in enrollments:
            course_id = enrollment.course_id
            certificate = records.certificates.for_course(learner.id, course_id)
            found = records_by_course.get(course_id)  # None: enrolled after the overview's read
            done, results = (found.done, found.results) if found else NO_RECORD
            yield base | course_cells(
                library.get(course_id),
                Taken(
                    course_id, enrollment.enrolled_at, enrollment.completed_at, len(done),
                    len(results.passed), results.best, certificate.code if certificate else "",
                ),
            )  # fmt: skip


def learner_cells(learner: Any, points: int) -> dict[str, object]:
    """The learner columns of a report row; `learner` has a learner's id, name, organisation,
    role and language (a `LearnerRow`, or a result row with those names)."""
    return {
        "learner_id": learner.id,
        "name": learner.name or "",
        "organisation": learner.organisation or "",
        "role": learner.role or "",
        "language": learner.language,
        "karma_points": points,
    }


@dataclass(frozen=True)
class Taken:
    """A learner's record in one course, as the report's course columns show it."""

    course_id: str
    enrolled_at: datetime
    completed_at: datetime | None
    lessons_done: int
    quizzes_passed: int
    #: Best (score, total) per finished quiz.
    best_scores: dict[str, tuple[int, int]]
    certificate_code: str


def course_cells(course: Course | None, taken: Taken) -> dict[str, object]:
    """The course columns of a report row (totals from the course, 0 for one not loaded)."""
    lessons = len(course.lessons()) if course else 0
    quizzes = len(course.modules) if course else 0
    done, passed, total = taken.lessons_done, taken.quizzes_passed, lessons + quizzes
    scores = sorted(taken.best_scores.items())
    completed = taken.completed_at
    return {
        "course_id": taken.course_id,
        "enrolled_at": taken.enrolled_at.isoformat(timespec="seconds"),
        "lessons_done": done,
        "lessons_total": lessons,
        "quizzes_passed": passed,
        "quizzes_total": quizzes,
        "best_scores": " ".join(f"{q}={s}/{t}" for q, (s, t) in scores),
        "progress_percent": round(100 * (done + passed) / total) if total else 0,
        "completed_at": completed.isoformat(timespec="seconds") if completed else "",
        "certificate_code": taken.certificate_code,
    }


def write_csv(rows: Iterator[dict[str, object]], out: IO[str]) -> int:
    """Write report rows as CSV, formula-safe; returns how many rows were written."""
    writer = csv.DictWriter(out, FIELDS, restval="")
    writer.writeheader()
    count = 0
    for row in rows:
        writer.writerow({key: spreadsheet_safe(value) for key, value in row.items()})
        count += 1
    return count
