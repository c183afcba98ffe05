"""Stop or resume reminder nudges for the learner."""

from __future__ import annotations

from rasa_sdk import Tracker

from actions.base import LearnerAction
from learning.replies import Reply
from learning.repository import Learner


class ActionStopReminders(LearnerAction):
    """Opt out of reminders and campaigns."""

    action_name = "action_stop_reminders"

    def turn(self, learner: Learner, tracker: Tracker) -> list[Reply]:
        self.services.learners.set_reminders(learner.id, False)
        return [Reply("utter_reminders_stopped")]


class ActionResumeReminders(LearnerAction):
    """Opt back in to reminders."""

    action_name = "action_resume_reminders"

    def turn(self, learner: Learner, tracker: Tracker) -> list[Reply]:
        self.services.learners.set_reminders(learner.id, True)
        return [Reply("utter_reminders_resumed")]
