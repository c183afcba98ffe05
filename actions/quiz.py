"""Module quizzes: start one, answer by button or typed letter, number or ordinal."""

from __future__ import annotations

from rasa_sdk import Tracker

from actions.base import LearnerAction, entity, text_of
from learning.replies import Reply
from learning.repository import Learner


class ActionTakeQuiz(LearnerAction):
    """Start (or continue) the quiz of the current module, or the one the button names."""

    action_name = "action_take_quiz"

    def turn(self, learner: Learner, tracker: Tracker) -> list[Reply]:
        return self.services.journey.start_quiz(learner, entity(tracker, "quiz"))


class ActionAnswerQuiz(LearnerAction):
    """Record the answer to the current question and give feedback."""

    action_name = "action_answer_quiz"

    def turn(self, learner: Learner, tracker: Tracker) -> list[Reply]:
        step = entity(tracker, "step")
        option = entity(tracker, "option") if step else None
        return self.services.journey.answer(learner, text_of(tracker), option, step)
