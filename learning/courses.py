"""The course catalog as a learner sees it: recommendations first, then paged lists."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from learning.content import Course, Library

PAGE_SIZE = 5


@dataclass(frozen=True)
class LearnerView:
    """What recommendations need to know about a learner."""

    role: str | None
    enrolled: Collection[str]
    completed: Collection[str]


def score(course: Course, learner: LearnerView, missing: set[str]) -> int:
    """How strongly to recommend `course` (higher first; completed courses score 0).

    Unfinished enrollments come first, then mandatory courses, then courses for the learner's
    role, then courses that build competencies the learner has not covered yet.
    """
    if course.id in learner.completed:
        return 0
    points = 1
    if course.id in learner.enrolled:
        points += 8
    if course.mandatory:
        points += 4
    if "all" not in course.roles and course.suits(learner.role):
        points += 3
    points += sum(1 for c in course.competencies if c.id in missing)
    return points


def recommend(library: Library, learner: LearnerView, limit: int = 3) -> list[Course]:
    """The courses to suggest next, best first."""
    covered = {
        c.id for course_id in learner.completed if (course := library.get(course_id))
        for c in course.competencies
    }  # fmt: skip
    missing = {c.id for course in library for c in course.competencies} - covered
    ranked = sorted(
        (c for c in library if c.suits(learner.role) or c.id in learner.enrolled),
        key=lambda c: (-score(c, learner, missing), c.id),
    )
    return [c for c in ranked if score(c, learner, missing) > 0][:limit]


def page(library: Library, number: int, size: int = PAGE_SIZE) -> tuple[list[Course], int, int]:
    """Courses on page `number` (1-based, clamped), the page shown and the page count."""
    courses = sorted(library, key=lambda c: (not c.mandatory, c.id))
    pages = max(1, -(-len(courses) // size))
    number = min(max(1, number), pages)
    return courses[(number - 1) * size : number * size], number, pages
