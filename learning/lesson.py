"""Micro-lessons in chat: one part at a time, finishing a lesson, reading a whole one."""

from __future__ import annotations

from learning.content import Lesson, Library, pick
from learning.events import EventKind
from learning.place import CourseRecord, Place, Places
from learning.records import RecordStore
from learning.replies import Reply
from learning.repository import Learner


def step_token(course_id: str, lesson_id: str | None, part: int) -> str:
    """The "step" a lesson part's buttons carry, so a stale button can be told apart."""
    return f"{course_id}/{lesson_id}/{part}"


class LessonFlow:
    """Shows lesson parts, moves the learner's place, and records finished lessons.

    Args:
        library: The courses.
        records: The learner records.
        places: Places, events and progress.
    """

    def __init__(self, library: Library, records: RecordStore, places: Places) -> None:
        self._library = library
        self._records = records
        self._places = places

    def is_current(self, place: Place, step: str) -> bool:
        """Whether `step` is the lesson part the learner is at."""
        enrollment = place.enrollment
        return step == step_token(place.course.id, enrollment.lesson_id, enrollment.part)

    def open_lesson(self, place: Place) -> Lesson | None:
        """The lesson the learner is in, unless there is none or it is already completed (as
        the place was found)."""
        lesson_id = place.enrollment.lesson_id
        lesson = place.course.lesson(lesson_id) if lesson_id else None
        return None if lesson is None or place.lesson_done else lesson

    def part(self, learner: Learner, place: Place, lesson_id: str, part: int) -> Reply:
        """Show part `part` (0-based, clamped) of a lesson and move the learner there."""
        course = place.course
        lesson = course.lesson(lesson_id)
        assert lesson is not None
        text = lesson.text(place.language, course.source_language)
        part = min(max(part, 0), len(text.paragraphs) - 1)
        self._records.enrollments.move_to(
            learner.id, course.id, lesson_id, part, activate=not place.active
        )
        module = course.module_of(lesson_id)
        return Reply(
            "utter_lesson_part",
            {
                "title": text.title,
                "body": text.paragraphs[part],
                "part": part + 1,
                "parts": len(text.paragraphs),
                "lesson": 1 + [x.id for x in course.lessons()].index(lesson_id),
                "lessons": len(course.lessons()),
                "module": pick(module.title, place.language, course.source_language)
                if module
                else "",
                "step": step_token(course.id, lesson_id, part),
            },
        )

    def next_part(self, learner: Learner, place: Place, lesson: Lesson) -> Reply | None:
        """Show the lesson's next part; None when the learner is on its last part."""
        parts = len(lesson.text(place.language, place.course.source_language).paragraphs)
        if place.enrollment.part + 1 < parts:
            return self.part(learner, place, lesson.id, place.enrollment.part + 1)
        return None

    def finish(
        self, learner: Learner, place: Place, lesson: Lesson, record: CourseRecord
    ) -> Reply | None:
        """Record the lesson as completed, with its events and points; `record` is what the
        learner had done in the course before it.

        Returns:
            The "lesson done" reply, or None when the completion was already recorded (a double
            tap, or a second worker got there first).
        """
        course = place.course
        event = self._places.event(
            EventKind.LESSON_COMPLETED,
            learner,
            place,
            f"{learner.id}:{course.id}:{lesson.id}",
            lesson_id=lesson.id,
            title=lesson.text(course.source_language, course.source_language).title,
            success=True,
        )
        progress = self._places.progress(course, record.with_lesson(lesson.id))
        points = self._records.lessons.complete(
            event, self._places.progressed(learner, place, progress)
        )
        if points is None:
            return None
        title = lesson.text(place.language, course.source_language).title
        return Reply("utter_lesson_done", {"title": title, "points": points})

    def read(self, learner: Learner, ref: str) -> list[Reply]:
        """A whole lesson ("course/lesson"), e.g. one an answer cited; the place stays."""
        course_id, _, lesson_id = ref.partition("/")
        course = self._library.get(course_id)
        lesson = course.lesson(lesson_id) if course else None
        if course is None or lesson is None:
            return [Reply("utter_unknown_lesson")]
        text = lesson.text(course.language_for(learner.language), course.source_language)
        parts = [
            Reply(
                "utter_lesson_excerpt",
                {"title": text.title, "body": body, "part": i, "parts": len(text.paragraphs)},
            )
            for i, body in enumerate(text.paragraphs, 1)
        ]
        return [*parts, Reply("utter_back_to_course")]
