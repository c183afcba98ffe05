"""The course catalog as a learner sees it: recommendations first, then paged lists."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from learning.content import Course, Library, pick
from learning.records import RecordStore
from learning.replies import Reply, button
from learning.repository import Learner

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


def _course_line(course: Course, language: str, view: LearnerView) -> str:
    status = (
        "✅"
        if course.id in view.completed
        else "▶️"
        if course.id in view.enrolled
        else "⭐"
        if course.mandatory
        else "•"
    )
    minutes = sum(lesson.minutes for lesson in course.lessons())
    title = pick(course.title, language, course.source_language)
    return f"{status} {title} ({len(course.lessons())} × 2′, {minutes}′)"


class CourseCatalog:
    """Browsing the catalog and enrolling in its courses.

    Args:
        library: The courses.
        records: The learner records.
    """

    def __init__(self, library: Library, records: RecordStore) -> None:
        self._library = library
        self._records = records

    def browse(self, learner: Learner, number: int = 1) -> list[Reply]:
        """A page of the catalog; page 1 starts with recommendations."""
        if not len(self._library):
            return [Reply("utter_no_courses")]
        enrollments = self._records.enrollments.for_learner(learner.id)
        view = LearnerView(
            learner.role,
            {e.course_id for e in enrollments},
            {e.course_id for e in enrollments if e.completed_at},
        )
        courses, number, pages = page(self._library, number)
        suggested = recommend(self._library, view) if number == 1 else []
        shown = suggested + [c for c in courses if c not in suggested]
        lines = [
            ("👉 " if c in suggested else "") + _course_line(c, learner.language, view)
            for c in shown
        ]
        buttons = [
            button(pick(c.title, learner.language, c.source_language), "enroll_course", course=c.id)
            for c in shown
        ]
        if number < pages:
            buttons.append(button("»", "browse_courses", page=str(number + 1)))
        return [
            Reply(
                "utter_courses",
                {
                    "courses": "\n".join(lines),
                    "page": number,
                    "pages": pages,
                    "recommended": len(suggested),
                },
                tuple(buttons),
            )
        ]

    def enroll(self, learner: Learner, course_id: str) -> Reply | None:
        """Enroll in a course (once): the welcome, or "already enrolled"; None if unknown."""
        course = self._library.get(course_id)
        if course is None:
            return None
        _, created = self._records.enrollments.enroll(learner.id, course.id, course.version)
        return Reply(
            "utter_enrolled" if created else "utter_already_enrolled",
            {
                "course": pick(course.title, learner.language, course.source_language),
                "summary": pick(course.summary, learner.language, course.source_language),
            },
        )
