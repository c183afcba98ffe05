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
        """Per-course progress, quiz scores and Karma Points: one read (`Overviews`)."""
        overview = self._records.overviews.read(learner.id)
        points = overview.points
        lines = []
        for record in overview.courses:
            course = self._library.get(record.course_id)
            if course is None:
                continue
            results = record.results
            scores = [results.best[m.quiz.id] for m in course.modules if m.quiz.id in results.best]
            quiz = ", ".join(f"{s}/{t}" for s, t in scores) or "–"  # in course order
            mark = "✅" if record.completed else "▶️"
            title = pick(course.title, learner.language, course.source_language)
            lines.append(
                f"{mark} {title}: {len(record.done)}/{len(course.lessons())} · {quiz} · "
                f"{percent(course, record.done, results.passed)}%"
            )
        if not lines:
            return [Reply("utter_progress_empty", {"points": points})]
        return [
            Reply(
                "utter_progress",
                {"courses": "\n".join(lines), "points": points, "count": len(lines)},
            )
        ]
