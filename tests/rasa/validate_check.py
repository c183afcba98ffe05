"""Compare the patched `jsonschema.validate` with jsonschema's own on action-server replies.

Runs inside `.venv-rasa`; tests/bot/test_rasa_validate.py starts it and reads the report
(printed as JSON): per reply, whether each accepted it, and the error message and path if not.
"""

from __future__ import annotations

import json
from typing import Any

import jsonschema
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    AllSlotsReset,
    BotUttered,
    FollowupAction,
    ReminderScheduled,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)  # fmt: skip

from bot.rasa_patches import _cached_validate, _valid_action_reply

EVENTS = [
    UserUttered("hi", {"name": "greet", "confidence": 0.9}), ActionExecuted("action_listen"),
    SlotSet("course", "rti"), BotUttered("hello", {"buttons": [{"title": "A", "payload": "/a"}]}),
    SessionStarted(), FollowupAction("action_next"), Restarted(), ActiveLoop("name_form"),
    AllSlotsReset(), UserUtteranceReverted(),
    ReminderScheduled("EXTERNAL_nudge", __import__("datetime").datetime(2026, 1, 1)),
]  # fmt: skip
VALID = [e.as_dict() for e in EVENTS]
REPLIES: list[Any] = [
    {"events": VALID, "responses": [{"text": "hello"}]},
    {"events": [], "responses": []},
    {},
    {"events": [{"event": "slot", "name": "x", "value": None, "timestamp": None}]},
    {"events": [{"event": "nonsense"}]},  # no such event type
    {"events": [{"event": 5}]},  # a name that is not a string
    {"events": [{"name": "x"}]},  # no name at all
    {"events": [{"event": "bot", "timestamp": "yesterday"}]},
    {"events": [{"event": "action", "name": 7}]},
    {"events": [{"event": "user", "text": 3}]},
    {"events": [{"event": "slot", "name": "x", "value": 1}, {"event": "bot", "metadata": []}]},
    {"events": "not a list"},
    {"events": [], "responses": "not a list"},
    {"events": [], "responses": [1]},
    ["not", "an", "object"],
    {"events": [VALID[0], {"event": "nonsense"}, VALID[1]]},
]


def outcome(validate: Any, reply: Any) -> dict[str, Any]:
    try:
        validate(reply, RemoteAction.action_response_format_spec())
    except jsonschema.ValidationError as error:
        return {"valid": False, "message": error.message, "path": list(error.absolute_path)}
    return {"valid": True}


def main() -> None:
    stock = jsonschema.validate
    before = [outcome(stock, reply) for reply in REPLIES]
    _cached_validate()
    patched = jsonschema.validate
    assert patched is not stock
    after = [outcome(patched, reply) for reply in REPLIES]
    spec = RemoteAction.action_response_format_spec()
    fast = [_valid_action_reply(reply, spec) for reply in REPLIES]
    print(json.dumps({"stock": before, "patched": after, "fast": fast}))


if __name__ == "__main__":
    main()
