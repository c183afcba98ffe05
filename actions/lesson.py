"""Micro-lessons: continue where the learner left off, next part, repeat."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions import services
from actions.base import NamedAction, entity, respond


class ActionStartLesson(NamedAction):
    """Continue learning: the open quiz question, the current lesson part, or what's next."""

    action_name = "action_start_lesson"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        learner = await services.current_learner(tracker.sender_id)
        respond(dispatcher, tracker, await services.in_thread(services.journey().resume, learner))
        return []


class ActionNextStep(NamedAction):
    """Move on to the next lesson part, lesson, quiz or course completion."""

    action_name = "action_next_step"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        learner = await services.current_learner(tracker.sender_id)
        replies = await services.in_thread(
            services.journey().next_step, learner, entity(tracker, "step")
        )
        respond(dispatcher, tracker, replies)
        return []


class ActionRepeatStep(NamedAction):
    """Show the current lesson part or quiz question again."""

    action_name = "action_repeat_step"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        learner = await services.current_learner(tracker.sender_id)
        replies = await services.in_thread(
            services.journey().repeat, learner, entity(tracker, "step")
        )
        respond(dispatcher, tracker, replies)
        return []


class ActionReadLesson(NamedAction):
    """Show a whole lesson named by a button (e.g. under an answer); the position stays."""

    action_name = "action_read_lesson"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        learner = await services.current_learner(tracker.sender_id)
        ref = entity(tracker, "lesson") or ""
        respond(
            dispatcher,
            tracker,
            await services.in_thread(services.journey().read_lesson, learner, ref),
        )
        return []
