"""Micro-lessons: continue where the learner left off, next part, repeat, read a whole lesson."""

from __future__ import annotations

from rasa_sdk import Tracker

from actions.base import LearnerAction, entity
from learning.replies import Reply
from learning.repository import Learner


class ActionStartLesson(LearnerAction):
    """Continue learning: the open quiz question, the current lesson part, or what's next."""

    action_name = "action_start_lesson"

    def turn(self, learner: Learner, tracker: Tracker) -> list[Reply]:
        course = entity(tracker, "course")  # a reminder's Continue button names its course
        if course:
            return self.services.journey.continue_course(learner, course)
        return self.services.journey.resume(learner)


class ActionNextStep(LearnerAction):
    """Move on to the next lesson part, lesson, quiz or course completion."""

    action_name = "action_next_step"

    def turn(self, learner: Learner, tracker: Tracker) -> list[Reply]:
        return self.services.journey.next_step(learner, entity(tracker, "step"))


class ActionRepeatStep(LearnerAction):
    """Show the current lesson part or quiz question again."""

    action_name = "action_repeat_step"

    def turn(self, learner: Learner, tracker: Tracker) -> list[Reply]:
        return self.services.journey.repeat(learner, entity(tracker, "step"))


class ActionReadLesson(LearnerAction):
    """Show a whole lesson named by a button (e.g. under an answer); the position stays."""

    action_name = "action_read_lesson"

    def turn(self, learner: Learner, tracker: Tracker) -> list[Reply]:
        return self.services.journey.read_lesson(learner, entity(tracker, "lesson") or "")
