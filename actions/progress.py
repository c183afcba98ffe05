"""Show the learner's progress and Karma Points."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions import services


class ActionShowProgress(Action):
    """Summarise courses started and completed, and Karma Points earned."""

    def name(self) -> str:
        return "action_show_progress"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        learner = await services.current_learner(tracker.sender_id)
        summary = await services.in_thread(services.progress_of, learner.id)
        if summary.courses_started == 0:
            dispatcher.utter_message(response="utter_progress_empty", points=summary.points)
        else:
            dispatcher.utter_message(
                response="utter_progress",
                courses_started=summary.courses_started,
                courses_completed=summary.courses_completed,
                points=summary.points,
            )
        return []
