"""The one base of every Karmabot action: services handed in, one worker-thread hop per turn.

An action reads what it needs from the tracker, asks a service, and returns an `Outcome`:
catalog replies to render, events for Rasa, and custom JSON messages. The work runs in one
worker thread (the learner lookup and the service call together), so the action server's
event loop never waits on the database. Any unexpected exception becomes the learner's
`utter_error` reply, in their language, and is logged with its traceback.

An action that runs while a form is active (the learner tapped a button or asked for something
else instead of answering the form's question) ends the form, so a form never traps anyone.
"""

from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.nlg import render_nlg_request
from actions.services import ActionServices
from learning.replies import Reply
from learning.repository import Learner

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """What a turn produced.

    Attributes:
        replies: Catalog replies, rendered in the conversation's language and script.
        events: Events returned to Rasa (slots, session start, …).
        payloads: Custom JSON messages sent after the replies (e.g. the new page language).
    """

    replies: Sequence[Reply] = ()
    events: Sequence[EventType] = ()
    payloads: Sequence[dict[str, Any]] = ()


class LearnerAction(Action, ABC):
    """An action for the learner behind the conversation; concrete ones set `action_name`."""

    action_name: ClassVar[str]
    #: Whether running while a form is active ends the form. False only for an action that is
    #: part of the form (its validation) or that restarts the conversation.
    ends_active_form: ClassVar[bool] = True

    def __init__(self, services: ActionServices) -> None:
        self.services = services

    def name(self) -> str:
        """The action's name in the domain."""
        return self.action_name

    @abstractmethod
    def turn(self, learner: Learner, tracker: Tracker) -> Outcome | Sequence[Reply]:
        """Do the action's work (in a worker thread: blocking calls are fine here)."""

    def _turn(self, tracker: Tracker) -> Outcome:
        outcome = self.turn(self.services.learner(tracker.sender_id), tracker)
        return outcome if isinstance(outcome, Outcome) else Outcome(outcome)

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[EventType]:
        """Run the turn off the event loop and send what it produced."""
        closing = self._end_form(tracker)
        try:
            outcome = await asyncio.to_thread(self._turn, tracker)
        except Exception:  # the learner gets an answer whatever broke
            logger.exception("%s failed for sender %s", self.action_name, tracker.sender_id)
            self.say(dispatcher, tracker, Reply("utter_error"))
            return closing
        for reply in outcome.replies:
            self.say(dispatcher, tracker, reply)
        for payload in outcome.payloads:
            dispatcher.utter_message(json_message=payload)
        return [*outcome.events, *closing]

    def _end_form(self, tracker: Tracker) -> list[EventType]:
        """Events that end the active form, when this action interrupts one.

        Rasa runs another action while a form is active only when the form rejected the
        message (a button tap, or a request its slot mapping does not take): the learner has
        moved on. Left active, the form would come back after this action and ask again.
        """
        if self.ends_active_form and tracker.active_loop_name:
            return [ActiveLoop(None), SlotSet("requested_slot", None)]
        return []

    def say(self, dispatcher: CollectingDispatcher, tracker: Tracker, reply: Reply) -> None:
        """Send one catalog reply, rendered here in the conversation's language and script.

        Rendering in the action server, rather than returning ``response=`` for Rasa to fetch
        from the NLG endpoint, saves Rasa one HTTP round trip per message
        (docs/ARCHITECTURE.md, D11); both paths use `actions.nlg.render_nlg_request`. Reply
        arguments override slots, so an action that has just changed the language passes
        ``language=``. The reply's buttons come before the response's own; its `custom`
        part (e.g. a document to send) goes along as is.
        """
        body = {
            "response": reply.response,
            "arguments": reply.args,
            "tracker": {"slots": tracker.slots},
        }
        message = render_nlg_request(body, self.services.catalog, buttons=reply.buttons)
        dispatcher.utter_message(
            text=message["text"], buttons=message["buttons"] or None, json_message=reply.custom
        )


def entity(tracker: Tracker, name: str) -> str | None:
    """The latest message's value for entity `name` (from a button payload or NLU), if any."""
    value = next(tracker.get_latest_entity_values(name), None)
    return str(value) if value not in (None, "") else None


def text_of(tracker: Tracker) -> str:
    """The latest message's text, stripped."""
    return str(tracker.latest_message.get("text") or "").strip()
