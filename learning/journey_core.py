"""Shared ground of the course engine: where a learner is, what comes next, events, completion."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from learning.content import Course, Library, pick
from learning.events import EventKind, LearningEvent
from learning.models import utcnow
from learning.records import Enrollment, RecordStore
from learning.replies import Reply
from learning.repository import Learner


@dataclass(frozen=True)
class Place:
    """Where a learner is in their active course."""

    course: Course
    enrollment: Enrollment
    language: str


class JourneyCore:
    """State and helpers the lesson and quiz flows share."""

    def __init__(
        self,
        library: Library,
        records: RecordStore,
        *,
        pass_mark: int = 60,
        clock: Callable[[], datetime] = utcnow,
        rng: random.Random | None = None,
    ) -> None:
        self.library = library
        self.records = records
        self.pass_mark = pass_mark
        self._clock = clock
        self._rng = rng or random.Random()

    # -- helpers -------------------------------------------------------------------------

    def _event(
        self, kind: EventKind, learner: Learner, place: Place, key: str, **values: Any
    ) -> LearningEvent:
        return LearningEvent(
            kind=kind,
            key=key,
            learner_id=learner.id,
            course_id=place.course.id,
            course_version=place.course.version,
            registration=place.enrollment.id,
            language=place.language,
            timestamp=self._clock(),
            learner_name=learner.name,
            **values,
        )

    def _place(self, learner: Learner, course_id: str | None = None) -> Place | None:
        course_id = course_id or self.records.active_course(learner.id)
        if course_id is None:
            enrollments = [e for e in self.records.enrollments(learner.id) if not e.completed_at]
            course_id = enrollments[-1].course_id if enrollments else None
        course = self.library.get(course_id) if course_id else None
        enrollment = self.records.enrollment(learner.id, course.id) if course else None
        if course is None or enrollment is None:
            return None
        return Place(course, enrollment, course.language_for(learner.language))

    def _progress(
        self, learner_id: str, course: Course, lesson: str | None = None, quiz: str | None = None
    ) -> int:
        """Percent of lessons done and quizzes passed, counting `lesson` and `quiz` as done."""
        done = len(self.records.completed_lessons(learner_id, course.id) | ({lesson} - {None}))
        passed = len(self.records.passed_quizzes(learner_id, course.id) | ({quiz} - {None}))
        total = len(course.lessons()) + len(course.modules)
        return round(100 * (done + passed) / total) if total else 0

    def _next_item(self, learner_id: str, course: Course) -> tuple[str, str] | None:
        """("lesson", id) or ("quiz", id) to do next; None when the course is complete."""
        done = self.records.completed_lessons(learner_id, course.id)
        passed = self.records.passed_quizzes(learner_id, course.id)
        tried = set(self.records.best_scores(learner_id, course.id))
        for module in course.modules:
            for lesson in module.lessons:
                if lesson.id not in done:
                    return "lesson", lesson.id
            if module.quiz.id not in tried:
                return "quiz", module.quiz.id
        failed = next((m.quiz.id for m in course.modules if m.quiz.id not in passed), None)
        return ("quiz", failed) if failed else None

    def _progressed(self, learner: Learner, place: Place, progress: int) -> LearningEvent:
        return self._event(
            EventKind.COURSE_PROGRESSED,
            learner,
            place,
            f"{learner.id}:{place.course.id}:{progress}",
            progress=progress,
            title=place.course.title[place.course.source_language],
        )

    def _complete(self, learner: Learner, place: Place) -> list[Reply]:
        course = place.course
        event = self._event(
            EventKind.COURSE_COMPLETED,
            learner,
            place,
            f"{learner.id}:{course.id}",
            progress=100,
            success=True,
            title=course.title[course.source_language],
        )
        name = learner.name or f"Learner {learner.id[:8]}"
        certificate, points = self.records.complete_course(
            event, name, course.title[course.source_language]
        )
        return [
            Reply(
                "utter_course_complete",
                {
                    "course": pick(course.title, place.language, course.source_language),
                    "points": points,
                    "code": certificate.code,
                },
                custom={
                    "document": {
                        "kind": "certificate",
                        "code": certificate.code,
                        "filename": f"karmabot-certificate-{certificate.code}.pdf",
                    }
                },
            )
        ]

    def resume(self, learner: Learner, course_id: str | None = None) -> list[Reply]:
        """Show where the learner is (implemented by `Journey`)."""
        raise NotImplementedError
