"""Compare Rasa's `RulePolicy._get_possible_keys` with the patched one on real conversations.

Runs inside `.venv-rasa` (tests/bot/test_rasa_rules.py): loads the trained model, records the
rule lookups made while a few conversations are predicted (no action server: custom actions
fail, prediction goes on), then asks both versions for every recorded conversation state,
each of its prefixes and each of the policy's lookups, and for the rules' own states and
variants that reach Rasa's special cases. Prints a JSON report.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

from rasa.core.agent import Agent
from rasa.core.policies.rule_policy import RulePolicy
from rasa.shared.core.constants import (
    ACTIVE_LOOP,
    PREVIOUS_ACTION,
    SHOULD_NOT_BE_SET,
    SLOTS,
)

from bot.rasa_patches import _rule_states_read_once

CONVERSATIONS = [
    ["hi", "show courses", "next", "start quiz", "what is rti", "my progress", "bye"],
    ["namaste", "courses dikhao", "aage", "thanks"],
    ['/choose_language{"language":"hi"}', "stop reminders", "start reminders", "who are you",
     "quiz", "1", "2", "/restart", "hello"],
]  # fmt: skip


def variants(states: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """States Karmabot's conversations do not reach but Rasa's checks treat specially: each
    state without its previous action (a conversation start), and every slot and loop
    feature marked "should not be set"."""
    starts = [[*states[:i], without(state, PREVIOUS_ACTION), *states[i + 1 :]]
              for i, state in enumerate(states)]  # fmt: skip
    unset = [
        {kind: ({k: SHOULD_NOT_BE_SET for k in sub} if kind in (SLOTS, ACTIVE_LOOP) else sub)
         for kind, sub in state.items()}
        for state in states
    ]  # fmt: skip
    return [*starts, unset]


def without(state: dict[str, Any], kind: str) -> dict[str, Any]:
    return {key: value for key, value in state.items() if key != kind}


async def check(model: str) -> dict[str, Any]:
    stock = RulePolicy._get_possible_keys
    _rule_states_read_once()
    patched = RulePolicy._get_possible_keys
    calls: list[tuple[Any, Any, Any]] = []

    def recording(self: Any, lookup: Any, states: Any) -> Any:
        calls.append((self, lookup, states))
        return stock(self, lookup, states)

    RulePolicy._get_possible_keys = recording
    agent = Agent.load(model)
    for index, conversation in enumerate(CONVERSATIONS):
        for text in conversation:
            await agent.handle_text(text, sender_id=f"rules{index}")
    RulePolicy._get_possible_keys = patched
    compared = differ = found = 0
    policy = calls[0][0]
    lookups = [lookup for lookup in policy.lookup.values() if isinstance(lookup, dict)]
    rules = [json.loads(key) for key in policy.lookup["rules"]]
    # Rules that start a conversation (their first state has no previous action): the
    # trained model has none, so they are made from its rules.
    starting = [[without(rule[0], PREVIOUS_ACTION), *rule[1:]] for rule in rules]
    lookups.append({json.dumps(rule): "action_listen" for rule in rules + starting})
    conversations = [states for _, _, states in calls] + rules + starting
    for states in conversations:
        for variant in [states, *variants(states)]:
            for cut in range(len(variant) + 1):
                for lookup in lookups:
                    expected = stock(policy, lookup, variant[:cut])
                    compared += 1
                    differ += patched(policy, lookup, variant[:cut]) != expected
                    found += bool(expected)
    return {"calls": len(calls), "compared": compared, "differ": differ, "found": found}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(check(sys.argv[1]))))
