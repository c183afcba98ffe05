"""A learner's way through a course: enroll, lessons in chat-sized parts, quizzes, completion.

`Journey` holds the rules; `RecordStore` remembers everything, so a learner resumes exactly where
they left off on any linked channel. Every method returns `Reply` values for the bot to render
in the learner's language; none of them formats chat text itself, and bad input (stale buttons,
unknown ids, answers that are not options) gets a reply and changes nothing.
"""

from __future__ import annotations

from learning.content import Course, pick
from learning.courses import LearnerView, page, recommend
from learning.events import EventKind
from learning.journey_core import Place
from learning.quiz_flow import QuizFlow
from learning.replies import Reply, button
from learning.repository import Learner


class Journey(QuizFlow):
    """The course engine: catalog, lessons, quizzes (`QuizFlow`) and progress."""

    # -- catalog ---------------------------------------------------------------------------

    def browse(self, learner: Learner, number: int = 1) -> list[Reply]:
        """A page of the catalog; page 1 starts with recommendations."""
        if not len(self.library):
            return [Reply("utter_no_courses")]
        enrollments = self.records.enrollments(learner.id)
        view = LearnerView(
            learner.role,
            {e.course_id for e in enrollments},
            {e.course_id for e in enrollments if e.completed_at},
        )
        courses, number, pages = page(self.library, number)
        suggested = recommend(self.library, view) if number == 1 else []
        shown = suggested + [c for c in courses if c not in suggested]
        lines = [
            ("👉 " if c in suggested else "") + self._course_line(c, learner.language, view)
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

    def _course_line(self, course: Course, language: str, view: LearnerView) -> str:
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

    def enroll(self, learner: Learner, course_id: str) -> list[Reply]:
        """Enroll in a course and start it, or continue it when already enrolled."""
        course = self.library.get(course_id)
        if course is None:
            return [Reply("utter_unknown_course"), *self.browse(learner)]
        _, created = self.records.enroll(learner.id, course.id, course.version)
        title = pick(course.title, learner.language, course.source_language)
        first = Reply(
            "utter_enrolled" if created else "utter_already_enrolled",
            {
                "course": title,
                "summary": pick(course.summary, learner.language, course.source_language),
            },
        )
        return [first, *self.resume(learner, course.id)]

    # -- lessons ---------------------------------------------------------------------------

    def resume(self, learner: Learner, course_id: str | None = None) -> list[Reply]:
        """Show where the learner is: the open quiz question, the lesson part, or what's next."""
        place = self._place(learner, course_id)
        if place is None:
            return [Reply("utter_no_active_course"), *self.browse(learner)]
        attempt = self.records.open_attempt(learner.id)
        if attempt and attempt.course_id == place.course.id:
            return [self._question(attempt, place)]
        if place.enrollment.lesson_id and place.course.lesson(place.enrollment.lesson_id):
            lesson_id = place.enrollment.lesson_id
            if lesson_id not in self.records.completed_lessons(learner.id, place.course.id):
                return [self._part(learner, place, lesson_id, place.enrollment.part)]
        return self._advance(learner, place)

    def _token(self, place: Place) -> str:
        return f"{place.course.id}/{place.enrollment.lesson_id}/{place.enrollment.part}"

    def _part(self, learner: Learner, place: Place, lesson_id: str, part: int) -> Reply:
        lesson = place.course.lesson(lesson_id)
        assert lesson is not None
        text = lesson.text(place.language, place.course.source_language)
        part = min(max(part, 0), len(text.paragraphs) - 1)
        self.records.move_to(learner.id, place.course.id, lesson_id, part)
        module = place.course.module_of(lesson_id)
        return Reply(
            "utter_lesson_part",
            {
                "title": text.title,
                "body": text.paragraphs[part],
                "part": part + 1,
                "parts": len(text.paragraphs),
                "lesson": 1 + [x.id for x in place.course.lessons()].index(lesson_id),
                "lessons": len(place.course.lessons()),
                "module": pick(module.title, place.language, place.course.source_language)
                if module
                else "",
                "step": f"{place.course.id}/{lesson_id}/{part}",
            },
        )

    def next_step(self, learner: Learner, step: str | None = None) -> list[Reply]:
        """Move on: the next part, the next lesson, the module quiz, or course completion."""
        place = self._place(learner)
        if place is None:
            return [Reply("utter_no_active_course"), *self.browse(learner)]
        attempt = self.records.open_attempt(learner.id)
        if attempt and attempt.course_id == place.course.id:
            return [Reply("utter_answer_first"), self._question(attempt, place)]
        if step and step != self._token(place):
            return [Reply("utter_stale_button"), *self.resume(learner)]
        lesson_id, part = place.enrollment.lesson_id, place.enrollment.part
        lesson = place.course.lesson(lesson_id) if lesson_id else None
        if lesson is None or lesson.id in self.records.completed_lessons(
            learner.id, place.course.id
        ):
            return self._advance(learner, place)
        parts = len(lesson.text(place.language, place.course.source_language).paragraphs)
        if part + 1 < parts:
            return [self._part(learner, place, lesson.id, part + 1)]
        return self._finish_lesson(learner, place, lesson.id)

    def read_lesson(self, learner: Learner, ref: str) -> list[Reply]:
        """Show a whole lesson ("course/lesson"), e.g. one an answer cited; nothing moves."""
        course_id, _, lesson_id = ref.partition("/")
        course = self.library.get(course_id)
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

    def repeat(self, learner: Learner, step: str | None = None) -> list[Reply]:
        """Show the current lesson part or quiz question again."""
        return self.resume(learner)

    def _finish_lesson(self, learner: Learner, place: Place, lesson_id: str) -> list[Reply]:
        lesson = place.course.lesson(lesson_id)
        assert lesson is not None
        title = lesson.text(place.language, place.course.source_language).title
        event = self._event(
            EventKind.LESSON_COMPLETED,
            learner,
            place,
            f"{learner.id}:{place.course.id}:{lesson_id}",
            lesson_id=lesson_id,
            title=lesson.text(place.course.source_language, place.course.source_language).title,
            success=True,
        )
        progress = self._progressed(
            learner, place, self._progress(learner.id, place.course, lesson=lesson_id)
        )
        points = self.records.complete_lesson(event, progress)
        if points is None:  # a double tap or a second worker got there first
            return [Reply("utter_stale_button"), *self.resume(learner)]
        return [
            Reply("utter_lesson_done", {"title": title, "points": points}),
            *self._advance(learner, place),
        ]

    def _advance(self, learner: Learner, place: Place) -> list[Reply]:
        item = self._next_item(learner.id, place.course)
        if item is None:
            return self._complete(learner, place)
        kind, item_id = item
        if kind == "lesson":
            return [self._part(learner, place, item_id, 0)]
        return self.start_quiz(learner, f"{place.course.id}/{item_id}")

    # -- progress --------------------------------------------------------------------------

    def progress(self, learner: Learner) -> list[Reply]:
        """Per-course progress, quiz scores and Karma Points."""
        enrollments = self.records.enrollments(learner.id)
        points = self.records.points(learner.id)
        lines = []
        for enrollment in enrollments:
            course = self.library.get(enrollment.course_id)
            if course is None:
                continue
            done = len(self.records.completed_lessons(learner.id, course.id))
            scores = self.records.best_scores(learner.id, course.id)
            quiz = ", ".join(f"{s}/{t}" for s, t in scores.values()) or "–"
            mark = "✅" if enrollment.completed_at else "▶️"
            title = pick(course.title, learner.language, course.source_language)
            lines.append(
                f"{mark} {title}: {done}/{len(course.lessons())} · {quiz} · "
                f"{self._progress(learner.id, course)}%"
            )
        if not lines:
            return [Reply("utter_progress_empty", {"points": points})]
        return [
            Reply(
                "utter_progress",
                {"courses": "\n".join(lines), "points": points, "count": len(lines)},
            )
        ]
