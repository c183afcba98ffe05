"""Browse the course catalog."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher


class ActionBrowseCourses(Action):
    """List the courses on offer.

    No course content is installed with this release (content arrives with the course engine),
    so the learner is told so plainly rather than shown an invented list.
    """

    def name(self) -> str:
        return "action_browse_courses"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_no_courses")
        return []
