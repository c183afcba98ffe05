"""Progress reports for supervisors and training cells: one CSV row per learner and course.

Every CSV written for people to open (this report, the invite list) goes through
`spreadsheet_safe`: a cell that starts like a formula is written with a leading single quote
(OWASP's defence against CSV injection), so a learner named "=HYPERLINK(…)" is text in Excel.
Phone numbers are written as digits without '+' (WhatsApp's form), so they are left as they are.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import IO

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from learning.content import Library
from learning.models import LearnerRow
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
    """Rows for every learner of `organisation` (case-insensitive; "" for everyone)."""
    query = select(LearnerRow).order_by(LearnerRow.name, LearnerRow.id)
    if organisation:
        query = query.where(func.lower(LearnerRow.organisation) == organisation.lower())
    with sessions() as session:
        learners = list(session.scalars(query))
    for learner in learners:
        base = {
            "learner_id": learner.id,
            "name": learner.name or "",
            "organisation": learner.organisation or "",
            "role": learner.role or "",
            "language": learner.language,
            "karma_points": records.points.total(learner.id),
        }
        enrollments = records.enrollments.for_learner(learner.id)
        if not enrollments:
            yield base
        for enrollment in enrollments:
            course = library.get(enrollment.course_id)
            lessons = len(course.lessons()) if course else 0
            quizzes = len(course.modules) if course else 0
            done = len(records.lessons.completed(learner.id, enrollment.course_id))
            passed = len(records.attempts.passed_quizzes(learner.id, enrollment.course_id))
            scores = records.attempts.best_scores(learner.id, enrollment.course_id)
            certificate = records.certificates.for_course(learner.id, enrollment.course_id)
            total = lessons + quizzes
            yield base | {
                "course_id": enrollment.course_id,
                "enrolled_at": enrollment.enrolled_at.isoformat(timespec="seconds"),
                "lessons_done": done,
                "lessons_total": lessons,
                "quizzes_passed": passed,
                "quizzes_total": quizzes,
                "best_scores": " ".join(f"{q}={s}/{t}" for q, (s, t) in sorted(scores.items())),
                "progress_percent": round(100 * (done + passed) / total) if total else 0,
                "completed_at": enrollment.completed_at.isoformat(timespec="seconds")
                if enrollment.completed_at
                else "",
                "certificate_code": certificate.code if certificate else "",
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
