"""Show the learner's progress, quiz scores and Karma Points."""

from __future__ import annotations

from rasa_sdk import Tracker

from actions.base import LearnerAction
from learning.replies import Reply
from learning.repository import Learner


class ActionShowProgress(LearnerAction):
    """Per-course progress, best quiz scores and Karma Points."""

    action_name = "action_show_progress"

    def turn(self, learner: Learner, tracker: Tracker) -> list[Reply]:
        return self.services.journey.progress(learner)
