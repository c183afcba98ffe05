"""Build Rasa SDK trackers and run actions the way the action server does."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.nlg import render_nlg_request
from core.i18n import get_catalog


def tracker(
    sender: str,
    text: str = "",
    intent: str = "greet",
    entities: list[dict[str, Any]] | None = None,
    slots: dict[str, Any] | None = None,
    *,
    events: list[dict[str, Any]] | None = None,
    active_loop: str | None = None,
) -> Tracker:
    """A tracker whose latest message is `text` with the given intent and entities.

    `events` are its past events and `active_loop` the form that is active, if any.
    """
    latest = {"text": text, "intent": {"name": intent, "confidence": 1.0},
              "entities": entities or []}  # fmt: skip
    loop = {"name": active_loop} if active_loop else {}
    return Tracker(sender, slots or {}, latest, events or [], False, None, loop, "action_listen")


async def run(action: Action, track: Tracker) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Run an action; return (messages it sent, events it returned)."""
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, track, {})
    return dispatcher.messages, list(events)


def rendered(response: str, language: str = "en", script: str = "native", **args: Any) -> str:
    """The text of catalog response `response`, as an action should have sent it."""
    slots = {"language": language, "script": script}
    body = {"response": response, "arguments": args, "tracker": {"slots": slots}}
    return str(render_nlg_request(body, get_catalog())["text"])
