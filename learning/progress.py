"""A learner's progress in chat: per course, lessons done, best quiz scores and Karma Points."""

from __future__ import annotations

from learning.content import Library, pick
from learning.place import percent
from learning.records import RecordStore
from learning.replies import Reply
from learning.repository import Learner


class ProgressReport:
    """The learner's own progress report.

    Args:
        library: The courses.
        records: The learner records.
    """

    def __init__(self, library: Library, records: RecordStore) -> None:
        self._library = library
        self._records = records

    def replies(self, learner: Learner) -> list[Reply]:
        """Per-course progress, quiz scores and Karma Points: two reads a course (its lessons
        done, its quiz results), one for the enrollments and one for the points."""
        enrollments = self._records.enrollments.for_learner(learner.id)
        points = self._records.points.total(learner.id)
        lines = []
        for enrollment in enrollments:
            course = self._library.get(enrollment.course_id)
            if course is None:
                continue
            done = self._records.lessons.completed(learner.id, course.id)
            results = self._records.attempts.results(learner.id, course.id)
            quiz = ", ".join(f"{s}/{t}" for s, t in results.best.values()) or "–"
            mark = "✅" if enrollment.completed_at else "▶️"
            title = pick(course.title, learner.language, course.source_language)
            lines.append(
                f"{mark} {title}: {len(done)}/{len(course.lessons())} · {quiz} · "
                f"{percent(course, done, results.passed)}%"
            )
        if not lines:
            return [Reply("utter_progress_empty", {"points": points})]
        return [
            Reply(
                "utter_progress",
                {"courses": "\n".join(lines), "points": points, "count": len(lines)},
            )
        ]
