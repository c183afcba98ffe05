"""Stop or resume reminder nudges for the learner."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions import services
from actions.base import NamedAction, say


class _ReminderAction(NamedAction):
    """Set the learner's reminder preference and confirm it."""

    enabled = True
    response = ""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        learner = await services.current_learner(tracker.sender_id)
        await services.in_thread(services.learners().set_reminders, learner.id, self.enabled)
        say(dispatcher, tracker, self.response)
        return []


class ActionStopReminders(_ReminderAction):
    """Opt out of reminders and campaigns."""

    action_name = "action_stop_reminders"
    enabled = False
    response = "utter_reminders_stopped"


class ActionResumeReminders(_ReminderAction):
    """Opt back in to reminders."""

    action_name = "action_resume_reminders"
    enabled = True
    response = "utter_reminders_resumed"
