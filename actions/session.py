"""Session start and greeting: load the learner's language and name into the conversation."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import services
from actions.base import say
from learning.repository import Learner


def learner_slots(learner: Learner) -> list[EventType]:
    """Slot events that mirror the learner record into the tracker."""
    return [
        SlotSet("language", learner.language),
        SlotSet("script", learner.script),
        SlotSet("name", learner.name),
    ]


class ActionSessionStart(Action):
    """Start a session with the learner's stored language, script and name."""

    def name(self) -> str:
        return "action_session_start"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        learner = await services.current_learner(tracker.sender_id)
        return [SessionStarted(), *learner_slots(learner), ActionExecuted("action_listen")]


class ActionGreet(Action):
    """Greet: first-time learners are asked for their language, others get the main menu."""

    def name(self) -> str:
        return "action_greet"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        learner = await services.current_learner(tracker.sender_id)
        say(dispatcher, tracker, "utter_greet" if learner.language_chosen else "utter_welcome_new")
        return []
