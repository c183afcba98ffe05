"""Browse the course catalog and enroll."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions import services
from actions.base import NamedAction, entity, respond


class ActionBrowseCourses(NamedAction):
    """Show a page of the catalog, recommendations first."""

    action_name = "action_browse_courses"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        learner = await services.current_learner(tracker.sender_id)
        page = entity(tracker, "page")
        number = int(page) if page and page.isdigit() else 1
        replies = await services.in_thread(services.journey().browse, learner, number)
        respond(dispatcher, tracker, replies)
        return []


class ActionEnrollCourse(NamedAction):
    """Enroll in the course named by the button (or continue it); without one, browse."""

    action_name = "action_enroll_course"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        learner = await services.current_learner(tracker.sender_id)
        course = entity(tracker, "course")
        journey = services.journey()
        if course:
            replies = await services.in_thread(journey.enroll, learner, course)
        else:
            replies = await services.in_thread(journey.browse, learner, 1)
        respond(dispatcher, tracker, replies)
        return []
