"""Start, continue, advance and repeat micro-lessons."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.base import NamedAction


class _LessonAction(NamedAction):
    """Shared behaviour: with no enrollment there is no lesson to move through."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        dispatcher.utter_message(response="utter_no_active_lesson")
        return []


class ActionStartLesson(_LessonAction):
    """Start or continue the learner's current lesson."""

    action_name = "action_start_lesson"


class ActionNextStep(_LessonAction):
    """Move to the next part of the lesson."""

    action_name = "action_next_step"


class ActionRepeatStep(_LessonAction):
    """Repeat the current part of the lesson."""

    action_name = "action_repeat_step"
