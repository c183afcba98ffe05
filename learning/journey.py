"""A learner's way through a course: enroll, lessons in chat-sized parts, quizzes, completion.

`Journey` is the course engine the bot talks to. It coordinates small parts that each own one
thing: the catalog (learning/courses.py), the learner's place (learning/place.py), lessons
(learning/lesson.py), quizzes (learning/quiz.py) and the progress report
(learning/progress.py). The parts never call one another's flows; they return what happened and
`Journey` decides what comes next. `RecordStore` remembers everything, so a learner resumes
exactly where they left off on any linked channel. Every method returns `Reply` values for the
bot to render in the learner's language; bad input (stale buttons, unknown ids, answers that
are not options) gets a reply and changes nothing.
"""

from __future__ import annotations

import random

from learning.content import Library, pick
from learning.courses import CourseCatalog
from learning.lesson import LessonFlow
from learning.models import utcnow
from learning.place import CourseRecord, Place, Places
from learning.progress import ProgressReport
from learning.quiz import QuizFlow
from learning.records import RecordStore
from learning.replies import Reply
from learning.repository import Learner
from learning.review import MissRecorder
from learning.store import Clock


class Journey:
    """The course engine: catalog, lessons, quizzes and progress.

    Args:
        library: The courses.
        records: The learner records.
        pass_mark: The percent of right answers that passes a quiz.
        clock: The time of learning events.
        rng: Shuffles quiz questions and options (seed it for repeatable tests).
    """

    def __init__(
        self,
        library: Library,
        records: RecordStore,
        *,
        pass_mark: int = 60,
        clock: Clock = utcnow,
        rng: random.Random | None = None,
        reviews: MissRecorder | None = None,
    ) -> None:
        self.library = library
        self.records = records
        self._places = Places(library, records, clock)
        self._catalog = CourseCatalog(library, records)
        self._lessons = LessonFlow(library, records, self._places)
        self._quizzes = QuizFlow(records, self._places, pass_mark, rng or random.Random(), reviews)
        self._progress = ProgressReport(library, records)

    @property
    def pass_mark(self) -> int:
        """The percent of right answers that passes a quiz."""
        return self._quizzes.pass_mark

    @pass_mark.setter
    def pass_mark(self, value: int) -> None:
        self._quizzes.pass_mark = value

    # -- catalog ---------------------------------------------------------------------------

    def browse(self, learner: Learner, number: int = 1) -> list[Reply]:
        """A page of the catalog; page 1 starts with recommendations."""
        return self._catalog.browse(learner, number)

    def enroll(self, learner: Learner, course_id: str) -> list[Reply]:
        """Enroll in a course and start it, or continue it when already enrolled."""
        enrolled = self._catalog.enroll(learner, course_id)
        if enrolled is None:
            return [Reply("utter_unknown_course"), *self.browse(learner)]
        return [enrolled, *self.resume(learner, course_id)]

    def continue_course(self, learner: Learner, course_id: str) -> list[Reply]:
        """A reminder's Continue button, perhaps tapped days later: the course where the
        learner left it (enrolling first if a campaign recommended it), or a friendly word
        when it is finished or no longer offered."""
        course = self.library.get(course_id)
        if course is None:
            return [Reply("utter_unknown_course"), *self.browse(learner)]
        enrollment = self.records.enrollments.get(learner.id, course.id)
        if enrollment is None:
            return self.enroll(learner, course.id)
        if enrollment.completed_at:
            title = pick(course.title, learner.language, course.source_language)
            return [Reply("utter_course_already_done", {"course": title})]
        self.records.enrollments.enroll(learner.id, course.id, course.version)  # now active
        return self.resume(learner, course.id)

    # -- lessons ---------------------------------------------------------------------------

    def resume(self, learner: Learner, course_id: str | None = None) -> list[Reply]:
        """Show where the learner is: the open quiz question, the lesson part, or what's next."""
        place = self._places.find(learner, course_id)
        if place is None:
            return [Reply("utter_no_active_course"), *self.browse(learner)]
        question = self._quizzes.open_question(learner.id, place)
        if question:
            return [question]
        lesson = self._lessons.open_lesson(place)
        if lesson:
            return [self._lessons.part(learner, place, lesson.id, place.enrollment.part)]
        return self._advance(learner, place)

    def next_step(self, learner: Learner, step: str | None = None) -> list[Reply]:
        """Move on: the next part, the next lesson, the module quiz, or course completion."""
        place = self._places.find(learner)
        if place is None:
            return [Reply("utter_no_active_course"), *self.browse(learner)]
        question = self._quizzes.open_question(learner.id, place)
        if question:
            return [Reply("utter_answer_first"), question]
        if step and not self._lessons.is_current(place, step):
            return self._stale(learner)
        lesson = self._lessons.open_lesson(place)
        if lesson is None:
            return self._advance(learner, place)
        part = self._lessons.next_part(learner, place, lesson)
        if part:
            return [part]
        record = self._places.record(learner.id, place.course)  # read once for both steps
        done = self._lessons.finish(learner, place, lesson, record)
        if done is None:  # a double tap or a second worker got there first
            return self._stale(learner)
        return [done, *self._advance(learner, place, record.with_lesson(lesson.id))]

    def read_lesson(self, learner: Learner, ref: str) -> list[Reply]:
        """Show a whole lesson ("course/lesson"), e.g. one an answer cited; nothing moves."""
        return self._lessons.read(learner, ref)

    def repeat(self, learner: Learner, step: str | None = None) -> list[Reply]:
        """Show the current lesson part or quiz question again."""
        return self.resume(learner)

    # -- quizzes ---------------------------------------------------------------------------

    def start_quiz(self, learner: Learner, ref: str | None = None) -> list[Reply]:
        """Start (or continue) a module quiz: `ref` is "course/quiz", else the current module's."""
        course_id, _, quiz_id = (ref or "").partition("/")
        place = self._places.find(learner, course_id or None)
        if place is None:
            if course_id and self.library.get(course_id):
                return [Reply("utter_not_enrolled")]
            return [Reply("utter_no_active_quiz")]
        return self._quizzes.start(learner, place, quiz_id)

    def answer(
        self, learner: Learner, text: str, option: str | None = None, step: str | None = None
    ) -> list[Reply]:
        """Answer the open quiz's current question, by button (`option`, `step`) or typed text."""
        answered = self._quizzes.answer(learner, text, option, step)
        if answered.status == "stale":
            return self._stale(learner)
        if answered.status == "course_done":
            assert answered.place is not None
            return [*answered.replies, self._places.complete(learner, answered.place)]
        return answered.replies

    # -- certificates ----------------------------------------------------------------------

    def issue_certificates(self, learner: Learner) -> list[Reply]:
        """Issue the certificates held until the learner's name was confirmed.

        Call it with the learner as they are after `LearnerRepository.confirm_name`.

        Returns:
            One `utter_certificate_issued` reply per course, carrying the PDF like
            `utter_course_complete`; none when nothing is held or the name is unconfirmed.
        """
        return self._places.issue_held(learner)

    # -- progress --------------------------------------------------------------------------

    def progress(self, learner: Learner) -> list[Reply]:
        """Per-course progress, quiz scores and Karma Points."""
        return self._progress.replies(learner)

    # -- what comes next -------------------------------------------------------------------

    def _advance(
        self, learner: Learner, place: Place, record: CourseRecord | None = None
    ) -> list[Reply]:
        """The next lesson or quiz of the course, or its completion when nothing is left;
        `record` is what the learner has done there, if the caller read it already."""
        item = self._places.next_item(learner.id, place.course, record)
        if item is None:
            return [self._places.complete(learner, place)]
        kind, item_id = item
        if kind == "lesson":
            return [self._lessons.part(learner, place, item_id, 0)]
        return self._quizzes.start(learner, place, item_id)

    def _stale(self, learner: Learner) -> list[Reply]:
        """A button that no longer applies: say so, and show where the learner is."""
        return [Reply("utter_stale_button"), *self.resume(learner)]
