"""Session start and greeting: load the learner's language and name into the conversation."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecuted, EventType, SessionStarted, SlotSet

from actions.base import LearnerAction, Outcome
from learning.replies import Reply
from learning.repository import Learner


def learner_slots(learner: Learner) -> list[EventType]:
    """Slot events that mirror the learner record into the tracker."""
    return [
        SlotSet("language", learner.language),
        SlotSet("script", learner.script),
        SlotSet("name", learner.name),
    ]


class ActionSessionStart(LearnerAction):
    """Start a session with the learner's stored language, script and name."""

    action_name = "action_session_start"
    ends_active_form = False  # a new session starts with no form anyway

    def turn(self, learner: Learner, tracker: Tracker) -> Outcome:
        events = [SessionStarted(), *learner_slots(learner), ActionExecuted("action_listen")]
        return Outcome(events=events)


class ActionGreet(LearnerAction):
    """Greet: first-time learners are asked for their language, others get the main menu."""

    action_name = "action_greet"

    def turn(self, learner: Learner, tracker: Tracker) -> list[Reply]:
        return [Reply("utter_greet" if learner.language_chosen else "utter_welcome_new")]
