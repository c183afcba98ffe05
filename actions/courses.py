"""Browse the course catalog and enroll."""

from __future__ import annotations

from rasa_sdk import Tracker

from actions.base import LearnerAction, entity
from learning.replies import Reply
from learning.repository import Learner


class ActionBrowseCourses(LearnerAction):
    """Show a page of the catalog, recommendations first."""

    action_name = "action_browse_courses"

    def turn(self, learner: Learner, tracker: Tracker) -> list[Reply]:
        page = entity(tracker, "page")
        return self.services.journey.browse(learner, int(page) if page and page.isdigit() else 1)


class ActionEnrollCourse(LearnerAction):
    """Enroll in the course named by the button (or continue it); without one, browse."""

    action_name = "action_enroll_course"

    def turn(self, learner: Learner, tracker: Tracker) -> list[Reply]:
        course = entity(tracker, "course")
        journey = self.services.journey
        return journey.enroll(learner, course) if course else journey.browse(learner, 1)
