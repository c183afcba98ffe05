"""Where a learner is in a course: their place, what comes next, progress, events, completion."""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace
from typing import Any, Literal

from learning.content import Course, Library, pick
from learning.events import EventKind, LearningEvent
from learning.name import certificate_name
from learning.records import Certificate, Enrollment, RecordStore
from learning.replies import Reply
from learning.repository import Learner
from learning.store import Clock

#: What to do next in a course: ("lesson", lesson id) or ("quiz", quiz id).
Item = tuple[Literal["lesson", "quiz"], str]


@dataclass(frozen=True)
class Place:
    """Where a learner is in a course: their active one unless a caller named another.

    `active` is True when the course is the learner's active one, so moving within it needs no
    write to make it active. `quiz_open` and `lesson_done` come with the place from the same
    read, as they were when it was found: whether the learner's latest unfinished quiz attempt
    is in this course, and whether the enrollment's current lesson is completed.
    """

    course: Course
    enrollment: Enrollment
    language: str
    active: bool
    quiz_open: bool
    lesson_done: bool


@dataclass(frozen=True)
class CourseRecord:
    """What a learner has done in a course, read once and shared by the steps of one turn.

    Attributes:
        done: Ids of the lessons completed.
        tried: Ids of the quizzes with a finished attempt.
        passed: Ids of the quizzes passed.
    """

    done: frozenset[str]
    tried: frozenset[str]
    passed: frozenset[str]

    def with_lesson(self, lesson_id: str) -> CourseRecord:
        """The record with `lesson_id` completed too (as the turn that completes it sees it)."""
        return replace(self, done=self.done | {lesson_id})

    def with_pass(self, quiz_id: str) -> CourseRecord:
        """The record with `quiz_id` passed too."""
        return replace(self, tried=self.tried | {quiz_id}, passed=self.passed | {quiz_id})


class Places:
    """Finds learners' places and describes what happens there.

    Args:
        library: The courses.
        records: The learner records.
        clock: The time of the events it builds.
    """

    def __init__(self, library: Library, records: RecordStore, clock: Clock) -> None:
        self._library = library
        self._records = records
        self._clock = clock

    def find(self, learner: Learner, course_id: str | None = None) -> Place | None:
        """The learner's place in `course_id`, else in their active or latest unfinished course.

        Returns:
            None when that course is unknown or the learner is not enrolled in it.
        """
        if course_id is not None and self._library.get(course_id) is None:
            return None
        # One read: the active course, and the enrollment in the course named (whether it is
        # the active one too), else in the active course, else in the latest unfinished one;
        # with it whether a quiz is open there and the current lesson done.
        standing = self._records.enrollments.standing(learner.id, course_id)
        enrollment = standing.enrollment
        course = self._library.get(enrollment.course_id) if enrollment else None
        if course is None or enrollment is None:
            return None
        return Place(
            course,
            enrollment,
            course.language_for(learner.language),
            active=course.id == standing.active_course,
            quiz_open=course.id == standing.open_quiz_course,
            lesson_done=standing.lesson_done,
        )

    def event(
        self, kind: EventKind, learner: Learner, place: Place, key: str, **values: Any
    ) -> LearningEvent:
        """A learning event of `kind` at the learner's place, stamped now."""
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

    def record(self, learner_id: str, course: Course) -> CourseRecord:
        """The lessons the learner completed and the quizzes they tried and passed in `course`
        (one read)."""
        done, results = self._records.overviews.course(learner_id, course.id)
        return CourseRecord(done, frozenset(results.best), results.passed)

    @staticmethod
    def progress(course: Course, record: CourseRecord) -> int:
        """Percent of the course's lessons done and quizzes passed in `record`."""
        return percent(course, record.done, record.passed)

    def progressed(self, learner: Learner, place: Place, progress: int) -> LearningEvent:
        """The course_progressed event for reaching `progress` percent."""
        return self.event(
            EventKind.COURSE_PROGRESSED,
            learner,
            place,
            f"{learner.id}:{place.course.id}:{progress}",
            progress=progress,
            title=place.course.title[place.course.source_language],
        )

    def next_item(
        self, learner_id: str, course: Course, record: CourseRecord | None = None
    ) -> Item | None:
        """The lesson or quiz to do next; None when the course is complete. `record` is what
        the learner has done, when the caller has it already; otherwise it is read.

        Lessons and quizzes come in course order; quizzes failed on the way come back at the end.
        """
        record = record or self.record(learner_id, course)
        for module in course.modules:
            for lesson in module.lessons:
                if lesson.id not in record.done:
                    return "lesson", lesson.id
            if module.quiz.id not in record.tried:
                return "quiz", module.quiz.id
        failed = next((m.quiz.id for m in course.modules if m.quiz.id not in record.passed), None)
        return ("quiz", failed) if failed else None

    def complete(self, learner: Learner, place: Place) -> Reply:
        """Complete the course: record it and award points (each once), then the certificate.

        The certificate carries the learner's confirmed name. Without one it is held, and the
        reply asks the learner to confirm the name they have (from their channel profile, if
        a certificate can carry it) or to give one; `issue_held` issues it then.
        """
        course = place.course
        event = self.event(
            EventKind.COURSE_COMPLETED,
            learner,
            place,
            f"{learner.id}:{course.id}",
            progress=100,
            success=True,
            title=course.title[course.source_language],
        )
        name = learner.name if learner.name_confirmed and learner.name else None
        certificate, points = self._records.certificates.complete_course(
            event, name, course.title[course.source_language]
        )
        args = {
            "course": pick(course.title, place.language, course.source_language),
            "points": points,
        }
        suggested = certificate_name(learner.name)
        if certificate is None and suggested:
            return Reply("utter_course_complete_confirm_name", args | {"name": suggested})
        if certificate is None:
            return Reply("utter_course_complete_ask_name", args)
        return _certificate_reply("utter_course_complete", certificate, args)

    def issue_held(self, learner: Learner) -> list[Reply]:
        """Issue the certificates held for the learner's name, now that it is confirmed.

        Returns:
            One reply with the document per certificate this call issued; none when the name
            is not confirmed, nothing is held, or another call issued them first. A course
            no longer in the library stays held (its title is unknown).
        """
        if not (learner.name_confirmed and learner.name):
            return []
        replies = []
        for held in self._records.certificates.held(learner.id):
            course = self._library.get(held.course_id)
            if course is None:
                continue
            title = course.title[course.source_language]
            certificate = self._records.certificates.issue(
                learner.id, course.id, learner.name, title, held.completed_at
            )
            if certificate is not None:
                language = course.language_for(learner.language)
                args = {
                    "course": pick(course.title, language, course.source_language),
                    "name": learner.name,
                }
                replies.append(_certificate_reply("utter_certificate_issued", certificate, args))
        return replies


def percent(course: Course, done: AbstractSet[str], passed: AbstractSet[str]) -> int:
    """Percent of a course's lessons done and quizzes passed."""
    total = len(course.lessons()) + len(course.modules)
    return round(100 * (len(done) + len(passed)) / total) if total else 0


def _certificate_reply(response: str, certificate: Certificate, args: dict[str, Any]) -> Reply:
    """`response` with the certificate's code, and its PDF for the channel to send."""
    return Reply(
        response,
        args | {"code": certificate.code},
        custom={
            "document": {
                "kind": "certificate",
                "code": certificate.code,
                "filename": f"karmabot-certificate-{certificate.code}.pdf",
            }
        },
    )
