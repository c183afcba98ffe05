"""A base for actions whose name is a class attribute, so families of actions stay short."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.nlg import render_nlg_request
from learning.replies import Reply


class NamedAction(Action, ABC):
    """An action named by its `action_name` class attribute.

    The base stays abstract, so the Rasa SDK registers only the concrete subclasses.
    """

    @property
    @abstractmethod
    def action_name(self) -> str:
        """The action's name in the domain."""

    def name(self) -> str:
        return self.action_name


def say(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    response: str,
    /,
    *,
    buttons: Sequence[dict[str, str]] = (),
    custom: dict[str, Any] | None = None,
    **args: Any,
) -> None:
    """Send catalog response `response`, rendered here in the conversation's language and script.

    Rendering in the action server, rather than returning ``response=`` for Rasa to fetch from
    the NLG endpoint, saves Rasa one HTTP round trip per message (docs/ARCHITECTURE.md, D11).
    The result is the same: both paths use `bot.nlg.render_nlg_request`. Arguments override
    slots, so an action that has just changed the language passes ``language=``. `buttons`
    come before the response's own; `custom` (e.g. a document to send) goes along as is.
    """
    body = {"response": response, "arguments": args, "tracker": {"slots": tracker.slots}}
    message = render_nlg_request(body, buttons=buttons)
    dispatcher.utter_message(
        text=message["text"], buttons=message["buttons"] or None, json_message=custom
    )


def respond(dispatcher: CollectingDispatcher, tracker: Tracker, replies: Sequence[Reply]) -> None:
    """Send the course engine's replies, each rendered in the conversation's language."""
    for reply in replies:
        say(
            dispatcher,
            tracker,
            reply.response,
            buttons=reply.buttons,
            custom=reply.custom,
            **reply.args,
        )


def entity(tracker: Tracker, name: str) -> str | None:
    """The latest message's value for entity `name` (from a button payload or NLU), if any."""
    value = next(tracker.get_latest_entity_values(name), None)
    return str(value) if value not in (None, "") else None
