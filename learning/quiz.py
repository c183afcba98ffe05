"""Module quizzes in chat: one shuffled question at a time, typed or tapped answers, results.

`parse_option` understands which option a learner meant, in any supported language; `QuizFlow`
starts quizzes, shows questions, records answers and finishes attempts.
"""

from __future__ import annotations

import logging
import random
import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from learning.content import Module, pick
from learning.events import EventKind
from learning.place import Place, Places
from learning.records import Attempt, RecordStore
from learning.replies import Reply, button
from learning.repository import Learner
from learning.review import MissRecorder

logger = logging.getLogger(__name__)

LETTERS = "ABCD"

#: Ordinal words and option letters, per language, mapped to a 0-based option index.
_WORDS: dict[str, int] = {}
for _index, _forms in enumerate(
    [
        "a first 1st one pehla pahla pehle pahle पहला पहली पहले अ क முதல் முதலாவது ஒன்று প্রথম ক",
        "b second 2nd two doosra dusra doosri dusri दूसरा दूसरी दूसरे ब ख இரண்டாவது இரண்டு দ্বিতীয় খ",
        "c third 3rd three teesra tisra teesri tisri तीसरा तीसरी तीसरे स ग மூன்றாவது மூன்று তৃতীয় গ",
        "d fourth 4th four chautha chauthi चौथा चौथी चौथे द घ நான்காவது நான்கு চতুর্থ ঘ",
    ]
):
    for _word in _forms.split():
        _WORDS[unicodedata.normalize("NFC", _word)] = _index

#: Filler words that may surround the choice ("option 2", "answer is b", "b wala").
_FILLER_WORDS = (
    "option opt answer ans is my the its it's choice no number wala wali vala vali "
    "विकल्प उत्तर नंबर वाला वाली जवाब விருப்பம் பதில் எண் বিকল্প উত্তর"
)
_FILLER = frozenset(_FILLER_WORDS.split())
_DIGITS = str.maketrans("०१२३४५६७८९௦௧௨௩௪௫௬௭௮௯০১২৩৪৫৬৭৮৯", "0123456789" * 3)


def parse_option(text: str, options: int) -> int | None:
    """The 0-based option a learner chose, or None when the text names no single option.

    Understands letters (`b`), numbers in Latin, Devanagari, Tamil or Bengali digits (`2`,
    `२`), "option 2", ordinals ("second", "दूसरा", "doosra", "இரண்டாவது") and Hindi option
    letters (अ ब स द, क ख ग घ).

    Args:
        text: What the learner typed.
        options: How many options the question has (2 to 4).

    Examples:
        >>> parse_option("option 2", 4), parse_option("दूसरा", 4), parse_option("e", 4)
        (1, 1, None)
    """
    cleaned = unicodedata.normalize("NFC", text).translate(_DIGITS).lower()
    words = [w for w in re.split(r"[\s.,:;!?()\"'’)\-]+", cleaned) if w and w not in _FILLER]
    if len(words) > 1:  # "the second one": "one" only counts on its own
        words = [w for w in words if w != "one"]
    if len(words) != 1:
        return None
    word = words[0]
    index = int(word) - 1 if word.isdigit() else _WORDS.get(word)
    if index is None or not 0 <= index < options:
        return None
    return index


@dataclass(frozen=True)
class Answered:
    """What an answer led to.

    Attributes:
        replies: What to say.
        status: "shown" when the replies say it all; "stale" when the answer was recorded
            already (by a double tap or another worker), so nothing is said yet; "course_done"
            when it passed the course's last quiz, whose course is then to be completed.
        place: Where the learner is, for "course_done".
    """

    replies: list[Reply]
    status: Literal["shown", "stale", "course_done"] = "shown"
    place: Place | None = None


class QuizFlow:
    """Starts quizzes, shows their questions, takes answers by button or typed text, finishes.

    Args:
        records: The learner records.
        places: Places, events, progress and what comes next.
        pass_mark: The percent of right answers that passes a quiz.
        rng: Shuffles questions and options.
        reviews: Puts wrongly answered questions into spaced review (None: no review).
    """

    def __init__(
        self,
        records: RecordStore,
        places: Places,
        pass_mark: int,
        rng: random.Random,
        reviews: MissRecorder | None = None,
    ) -> None:
        self._records = records
        self._places = places
        self.pass_mark = pass_mark
        self._rng = rng
        self._reviews = reviews

    def start(self, learner: Learner, place: Place, quiz_id: str = "") -> list[Reply]:
        """Start (or continue) a quiz of the place's course: `quiz_id`, else the one due."""
        module = self._quiz_module(learner, place, quiz_id)
        if module is None:
            return [Reply("utter_no_active_quiz")]
        questions = list(module.quiz.questions)
        self._rng.shuffle(questions)
        layout = [
            (q.id, self._rng.sample([o.id for o in q.options], len(q.options))) for q in questions
        ]
        attempt = self._records.attempts.start(
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
        return [intro, self.question(attempt, place)]

    def _quiz_module(self, learner: Learner, place: Place, quiz_id: str) -> Module | None:
        if quiz_id:
            return place.course.module_for_quiz(quiz_id)
        item = self._places.next_item(learner.id, place.course)
        if item and item[0] == "quiz":
            return place.course.module_for_quiz(item[1])
        current = place.enrollment.lesson_id
        return place.course.module_of(current) if current else None

    def open_question(self, learner_id: str, place: Place) -> Reply | None:
        """The current question of the learner's open quiz in the place's course, if any (read
        only when the place says one is open)."""
        if not place.quiz_open:
            return None
        attempt = self._records.attempts.open(learner_id)
        if attempt and attempt.course_id == place.course.id:
            return self.question(attempt, place)
        return None

    def question(self, attempt: Attempt, place: Place) -> Reply:
        """The attempt's current question, its options lettered in the attempt's order."""
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
    ) -> Answered:
        """Answer the open quiz's current question, by button (`option`, `step`) or typed text."""
        attempt = self._records.attempts.open(learner.id)
        place = self._places.find(learner, attempt.course_id) if attempt else None
        if attempt is None or place is None or attempt.current is None:
            return Answered([Reply("utter_stale_button" if step else "utter_no_active_quiz")])
        question_id, option_ids = attempt.current
        invalid = Reply("utter_invalid_answer", {"count": len(option_ids)})
        if step:
            if step != f"{attempt.id}/{question_id}":
                return Answered([Reply("utter_stale_button"), self.question(attempt, place)])
            if option not in option_ids:
                return Answered([invalid, self.question(attempt, place)])
            chosen = str(option)
        else:
            index = parse_option(text, len(option_ids))
            if index is None:
                return Answered([invalid, self.question(attempt, place)])
            chosen = option_ids[index]
        return self._record(learner, place, attempt, chosen)

    def _record(self, learner: Learner, place: Place, attempt: Attempt, chosen: str) -> Answered:
        assert attempt.current is not None
        quiz = place.course.quiz(attempt.quiz_id)
        question = quiz.question(attempt.current[0]) if quiz else None
        assert quiz is not None and question is not None
        correct = chosen == question.answer
        event = self._places.event(
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
        after, recorded = self._records.attempts.answer(
            attempt.id, question.id, chosen, correct, event
        )
        if not recorded:
            return Answered([], "stale")
        if not correct and self._reviews is not None:
            try:  # the answer is recorded: a review that cannot be kept must not undo the turn
                self._reviews.record_miss(learner.id, place.course.id, quiz.id, question.id)
            except Exception:
                logger.exception("could not put %s/%s into review", quiz.id, question.id)
        lang, src = attempt.language, place.course.source_language
        lesson = place.course.lesson(question.lesson_id)
        answer = question.option(question.answer)
        feedback = Reply(
            "utter_answer_correct" if correct else "utter_answer_wrong",
            {
                "answer": pick(answer.text, lang, src) if answer else "",
                "explanation": pick(question.explanation, lang, src),
                "lesson": lesson.text(lang, src).title if lesson else "",
            },
        )
        if after.current is not None:
            return Answered([feedback, self.question(after, place)])
        finished = self._finish(learner, place, after)
        return Answered([feedback, *finished.replies], finished.status, place)

    def _finish(self, learner: Learner, place: Place, attempt: Attempt) -> Answered:
        percent = round(100 * attempt.score / attempt.total) if attempt.total else 0
        passed = percent >= self.pass_mark
        event = self._places.event(
            EventKind.QUIZ_PASSED if passed else EventKind.QUIZ_FAILED,
            learner,
            place,
            f"{attempt.id}",
            quiz_id=attempt.quiz_id,
            success=passed,
            score_raw=float(attempt.score),
            score_max=float(attempt.total),
        )
        record = self._places.record(learner.id, place.course)  # read once for both steps
        record = record.with_pass(attempt.quiz_id) if passed else record
        progress = self._places.progress(place.course, record)
        points = self._records.attempts.finish(
            attempt.id, passed, [event, self._places.progressed(learner, place, progress)]
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
            return Answered([Reply("utter_quiz_failed", args)])
        if self._places.next_item(learner.id, place.course, record) is None:
            return Answered([Reply("utter_quiz_passed_last", args)], "course_done")
        return Answered([Reply("utter_quiz_passed", args)])
