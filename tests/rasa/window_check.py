"""Compare the trained policies' predictions with and without windowed past states.

Runs inside `.venv-rasa`; tests/bot/test_rasa_history.py runs it and reads the report. Usage:

    window_check.py --model MODEL.tar.gz --out OUT.json

Loads the model's own `RulePolicy` and `MemoizationPolicy`, strings the conversation tests,
stories and rules of the project (tests/stories, bot/data) one after another into sessions
of `SESSION_EVENTS` events (about 200 states, far more than any window), and after every message and
action asks each policy for its prediction twice: with bot/rasa_patches.py's
`_windowed_policy_states` (only the last states the policy reads) and with Rasa's own
`_prediction_states` (every state; both read states carried forward, which
tests/rasa/history_check.py compares with Rasa's). Every field of the two must be equal.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(PROJECT_ROOT))

from rasa.core.agent import Agent  # noqa: E402
from rasa.core.policies.policy import Policy, PolicyPrediction  # noqa: E402
from rasa.core.policies.rule_policy import RulePolicy  # noqa: E402
from rasa.shared.core.constants import ACTION_LISTEN_NAME, RULE_SNIPPET_ACTION_NAME  # noqa: E402
from rasa.shared.core.events import (  # noqa: E402
    ActionExecuted,
    Event,
    SessionStarted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker  # noqa: E402
from rasa.shared.core.training_data.story_reader.yaml_story_reader import (  # noqa: E402
    YAMLStoryReader,
)
from rasa.utils.log_utils import configure_structlog  # noqa: E402

from bot import rasa_history, rasa_patches  # noqa: E402

STOCK_PREDICTION_STATES = Policy._prediction_states
#: Events per session: long enough that every window cuts, short enough to run in seconds.
SESSION_EVENTS = 300
SOURCES = [PROJECT_ROOT / "tests" / "stories", PROJECT_ROOT / "bot" / "data" / "stories",
           PROJECT_ROOT / "bot" / "data" / "rules"]  # fmt: skip


def story_events(domain: Any) -> list[Event]:
    """Every story's and rule's events in a row, with `action_listen` before each message."""
    reader = YAMLStoryReader(domain)
    events: list[Event] = []
    for folder in SOURCES:
        for path in sorted(folder.glob("*.yml")):
            for step in reader.read_from_file(path):
                for event in step.events:
                    if isinstance(event, ActionExecuted) and (
                        event.action_name == RULE_SNIPPET_ACTION_NAME
                    ):
                        continue
                    if isinstance(event, UserUttered) and not (
                        events
                        and isinstance(events[-1], ActionExecuted)
                        and events[-1].action_name == ACTION_LISTEN_NAME
                    ):
                        events.append(ActionExecuted(ACTION_LISTEN_NAME))
                    events.append(event)
    return events


def fields(prediction: PolicyPrediction) -> dict[str, Any]:
    """A prediction's fields, as comparable values."""
    return {
        "probabilities": [round(p, 12) for p in prediction.probabilities],
        "policy": prediction.policy_name,
        "priority": prediction.policy_priority,
        "events": [repr(e) for e in prediction.events],
        "optional_events": [repr(e) for e in prediction.optional_events],
        "end_to_end": prediction.is_end_to_end_prediction,
        "no_user": prediction.is_no_user_prediction,
        "hide_rule_turn": prediction.hide_rule_turn,
        "action_metadata": prediction.action_metadata,
    }


def run(model: str) -> dict[str, Any]:
    agent = Agent.load(model)
    assert agent.processor is not None
    domain = agent.domain
    nodes = agent.processor.graph_runner._instantiated_nodes  # type: ignore[attr-defined]
    policies = [n._component for n in nodes.values() if isinstance(n._component, Policy)]
    rules = next(p for p in policies if type(p) is RulePolicy)
    rule_only = rules._get_rule_only_data()
    rasa_patches._carried_forward_history()
    rasa_patches._windowed_policy_states()
    windowed = Policy._prediction_states
    report: dict[str, Any] = {
        "policies": sorted(type(p).__name__ for p in policies),
        "windows": {type(p).__name__: rasa_history.window_for(p) for p in policies},
        "predictions": 0, "cut": 0, "mismatches": [], "states": 0, "rule_hits": 0,
    }  # fmt: skip
    events = story_events(domain)
    for position, event in enumerate(events):
        if position % SESSION_EVENTS == 0:
            tracker = DialogueStateTracker(f"window-check-{position}", domain.slots)
            tracker.update(ActionExecuted("action_session_start"))
            tracker.update(SessionStarted())
            tracker.update(ActionExecuted(ACTION_LISTEN_NAME))
        tracker.update(event)
        if not isinstance(event, (UserUttered, ActionExecuted)):
            continue
        states = len(tracker.past_states(domain))
        report["states"] = max(report["states"], states)
        for policy in policies:
            window = rasa_history.window_for(policy)
            Policy._prediction_states = windowed  # type: ignore[method-assign]
            mine = policy.predict_action_probabilities(tracker, domain, rule_only_data=rule_only)
            Policy._prediction_states = STOCK_PREDICTION_STATES  # type: ignore[method-assign]
            theirs = policy.predict_action_probabilities(tracker, domain, rule_only_data=rule_only)
            report["predictions"] += 1
            report["cut"] += window is not None and states > window
            report["rule_hits"] += policy is rules and max(theirs.probabilities) > 0.5
            if fields(mine) != fields(theirs):
                report["mismatches"].append([position, type(policy).__name__])
    Policy._prediction_states = windowed  # type: ignore[method-assign]
    return report


def main() -> None:
    logging.disable(logging.INFO)  # the policies log every state they see
    configure_structlog(logging.WARNING)
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    args.out.write_text(json.dumps(run(args.model)), encoding="utf-8")


if __name__ == "__main__":
    main()
