"""Show the learner's progress, quiz scores and Karma Points."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions import services
from actions.base import NamedAction, respond


class ActionShowProgress(NamedAction):
    """Per-course progress, best quiz scores and Karma Points."""

    action_name = "action_show_progress"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        learner = await services.current_learner(tracker.sender_id)
        respond(dispatcher, tracker, await services.in_thread(services.journey().progress, learner))
        return []
