"""Module quizzes: start one, answer by button or typed letter, number or ordinal."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions import services
from actions.base import NamedAction, entity, respond


class ActionTakeQuiz(NamedAction):
    """Start (or continue) the quiz of the current module, or the one the button names."""

    action_name = "action_take_quiz"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        learner = await services.current_learner(tracker.sender_id)
        replies = await services.in_thread(
            services.journey().start_quiz, learner, entity(tracker, "quiz")
        )
        respond(dispatcher, tracker, replies)
        return []


class ActionAnswerQuiz(NamedAction):
    """Record the answer to the current question and give feedback."""

    action_name = "action_answer_quiz"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        learner = await services.current_learner(tracker.sender_id)
        text = str(tracker.latest_message.get("text") or "")
        step = entity(tracker, "step")
        option = entity(tracker, "option") if step else None
        replies = await services.in_thread(services.journey().answer, learner, text, option, step)
        respond(dispatcher, tracker, replies)
        return []
