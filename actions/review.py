"""Spaced review: the answer to a review question, tapped on the nudge's buttons."""

from __future__ import annotations

from rasa_sdk import Tracker

from actions.base import LearnerAction, entity
from learning.replies import Reply
from learning.repository import Learner


class ActionReviewAnswer(LearnerAction):
    """Judge the answer to a review question and say when it comes back (or that it is learned)."""

    action_name = "action_review_answer"

    def turn(self, learner: Learner, tracker: Tracker) -> list[Reply]:
        reviews = self.services.reviews
        if reviews is None:  # review is not set up in this process: nothing can move
            return [Reply("utter_review_stale")]
        item, option, n = (entity(tracker, name) for name in ("item", "option", "n"))
        return reviews.answer(learner, item, option, n)
