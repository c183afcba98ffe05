"""A learner's way through a course: enroll, lessons in chat-sized parts, quizzes, completion.

`Journey` holds the rules; `RecordStore` remembers everything, so a learner resumes exactly where
they left off on any linked channel. Every method returns `Reply` values for the bot to render
in the learner's language; none of them formats chat text itself, and bad input (stale buttons,
unknown ids, answers that are not options) gets a reply and changes nothing.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from learning.content import Course, Library, Module, pick
from learning.courses import LearnerView, page, recommend
from learning.events import EventKind, LearningEvent
from learning.models import utcnow
from learning.quiz import parse_option
from learning.records import Attempt, Enrollment, RecordStore
from learning.replies import Reply, button
from learning.repository import Learner

LETTERS = "ABCD"


@dataclass(frozen=True)
class Place:
    """Where a learner is in their active course."""

    course: Course
    enrollment: Enrollment
    language: str


class Journey:
    """The course engine."""

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

    def _progressed(self, learner: Learner, place: Place, progress: int) -> LearningEvent:
        return self._event(
            EventKind.COURSE_PROGRESSED,
            learner,
            place,
            f"{learner.id}:{place.course.id}:{progress}",
            progress=progress,
            title=place.course.title[place.course.source_language],
        )

    def _advance(self, learner: Learner, place: Place) -> list[Reply]:
        item = self._next_item(learner.id, place.course)
        if item is None:
            return self._complete(learner, place)
        kind, item_id = item
        if kind == "lesson":
            return [self._part(learner, place, item_id, 0)]
        return self.start_quiz(learner, f"{place.course.id}/{item_id}")

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

    # -- quizzes ---------------------------------------------------------------------------

    def start_quiz(self, learner: Learner, ref: str | None = None) -> list[Reply]:
        """Start (or continue) a module quiz: `ref` is "course/quiz", else the current module's."""
        course_id, _, quiz_id = (ref or "").partition("/")
        place = self._place(learner, course_id or None)
        if place is None:
            if course_id and self.library.get(course_id):
                return [Reply("utter_not_enrolled")]
            return [Reply("utter_no_active_quiz")]
        module = self._quiz_module(learner, place, quiz_id)
        if module is None:
            return [Reply("utter_no_active_quiz")]
        questions = list(module.quiz.questions)
        self._rng.shuffle(questions)
        layout = [
            (q.id, self._rng.sample([o.id for o in q.options], len(q.options))) for q in questions
        ]
        attempt = self.records.start_attempt(
            learner.id, place.course.id, module.quiz.id, layout, place.language
        )
        intro = Reply(
            "utter_quiz_intro",
            {
                "title": pick(module.title, place.language, place.course.source_language),
                "count": attempt.total,
                "pass_mark": self.pass_mark,
            },
        )
        return [intro, self._question(attempt, place)]

    def _quiz_module(self, learner: Learner, place: Place, quiz_id: str) -> Module | None:
        if quiz_id:
            return place.course.module_for_quiz(quiz_id)
        item = self._next_item(learner.id, place.course)
        if item and item[0] == "quiz":
            return place.course.module_for_quiz(item[1])
        current = place.enrollment.lesson_id
        return place.course.module_of(current) if current else None

    def _question(self, attempt: Attempt, place: Place) -> Reply:
        assert attempt.current is not None
        question_id, option_ids = attempt.current
        quiz = place.course.quiz(attempt.quiz_id)
        question = quiz.question(question_id) if quiz else None
        assert question is not None
        lang, src = attempt.language, place.course.source_language
        texts = [pick(question.option(o).text, lang, src) for o in option_ids]  # type: ignore[union-attr]
        lines = [f"{LETTERS[i]}. {text}" for i, text in enumerate(texts)]
        buttons = tuple(
            button(
                f"{LETTERS[i]}. {text}", "answer_quiz", option=o, step=f"{attempt.id}/{question_id}"
            )
            for i, (o, text) in enumerate(zip(option_ids, texts, strict=True))
        )
        return Reply(
            "utter_quiz_question",
            {
                "number": attempt.position + 1,
                "total": attempt.total,
                "question": pick(question.prompt, lang, src),
                "options": "\n".join(lines),
            },
            buttons,
        )

    def answer(
        self, learner: Learner, text: str, option: str | None = None, step: str | None = None
    ) -> list[Reply]:
        """Answer the open quiz's current question, by button (`option`, `step`) or typed text."""
        attempt = self.records.open_attempt(learner.id)
        place = self._place(learner, attempt.course_id) if attempt else None
        if attempt is None or place is None or attempt.current is None:
            return [Reply("utter_stale_button" if step else "utter_no_active_quiz")]
        question_id, option_ids = attempt.current
        if step:
            if step != f"{attempt.id}/{question_id}":
                return [Reply("utter_stale_button"), self._question(attempt, place)]
            if option not in option_ids:
                return [
                    Reply("utter_invalid_answer", {"count": len(option_ids)}),
                    self._question(attempt, place),
                ]
            chosen = str(option)
        else:
            index = parse_option(text, len(option_ids))
            if index is None:
                return [
                    Reply("utter_invalid_answer", {"count": len(option_ids)}),
                    self._question(attempt, place),
                ]
            chosen = option_ids[index]
        return self._record_answer(learner, place, attempt, chosen)

    def _record_answer(
        self, learner: Learner, place: Place, attempt: Attempt, chosen: str
    ) -> list[Reply]:
        assert attempt.current is not None
        quiz = place.course.quiz(attempt.quiz_id)
        question = quiz.question(attempt.current[0]) if quiz else None
        assert quiz is not None and question is not None
        correct = chosen == question.answer
        event = self._event(
            EventKind.QUESTION_ANSWERED,
            learner,
            place,
            f"{attempt.id}:{question.id}",
            quiz_id=quiz.id,
            question_id=question.id,
            lesson_id=question.lesson_id,
            response=chosen,
            success=correct,
            score_raw=float(correct),
            score_max=1.0,
        )
        after, recorded = self.records.answer(attempt.id, question.id, chosen, correct, event)
        if not recorded:
            return [Reply("utter_stale_button"), *self.resume(learner)]
        lang, src = attempt.language, place.course.source_language
        lesson = place.course.lesson(question.lesson_id)
        answer = question.option(question.answer)
        replies = [
            Reply(
                "utter_answer_correct" if correct else "utter_answer_wrong",
                {
                    "answer": pick(answer.text, lang, src) if answer else "",
                    "explanation": pick(question.explanation, lang, src),
                    "lesson": lesson.text(lang, src).title if lesson else "",
                },
            )
        ]
        if after.current is not None:
            return [*replies, self._question(after, place)]
        return replies + self._finish_quiz(learner, place, after)

    def _finish_quiz(self, learner: Learner, place: Place, attempt: Attempt) -> list[Reply]:
        percent = round(100 * attempt.score / attempt.total) if attempt.total else 0
        passed = percent >= self.pass_mark
        event = self._event(
            EventKind.QUIZ_PASSED if passed else EventKind.QUIZ_FAILED,
            learner,
            place,
            f"{attempt.id}",
            quiz_id=attempt.quiz_id,
            success=passed,
            score_raw=float(attempt.score),
            score_max=float(attempt.total),
        )
        progress = self._progress(
            learner.id, place.course, quiz=attempt.quiz_id if passed else None
        )
        points = self.records.finish_attempt(
            attempt.id, passed, [event, self._progressed(learner, place, progress)]
        )
        args = {
            "score": attempt.score,
            "total": attempt.total,
            "percent": percent,
            "pass_mark": self.pass_mark,
            "points": points,
            "quiz": f"{place.course.id}/{attempt.quiz_id}",
        }
        if not passed:
            return [Reply("utter_quiz_failed", args)]
        if self._next_item(learner.id, place.course) is None:
            return [Reply("utter_quiz_passed_last", args), *self._complete(learner, place)]
        return [Reply("utter_quiz_passed", args)]

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
