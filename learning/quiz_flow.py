"""Module quizzes in chat: one shuffled question at a time, feedback, score, retakes."""

from __future__ import annotations

from learning.content import Module, pick
from learning.events import EventKind
from learning.journey_core import JourneyCore, Place
from learning.quiz import parse_option
from learning.records import Attempt
from learning.replies import Reply, button
from learning.repository import Learner

LETTERS = "ABCD"


class QuizFlow(JourneyCore):
    """Start a quiz, show its questions, take answers by button or typed text, finish it."""

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
