"""Compare bot/rasa_history.py with Rasa's own `applied_events` and past states, event by event.

Runs inside `.venv-rasa`; tests/bot/test_rasa_history.py runs it and reads the report. Usage:

    history_check.py --out OUT.json

Conversations are built one event at a time on one tracker (as Rasa's processor grows it):
turns with slots, a form that is activated, rejected, resumed and finished, hidden rule
turns, a follow-up action, user-utterance and action reverts, a restart and new sessions.
After every event, the carried-forward functions and Rasa's originals (swapped back in) must
give the same applied events (the same objects) and the same states for every combination of
arguments the policies use; callers then change the states they got, as featurizers do, and
the next call must not see it. The same comparison with calls only every few events (as a
turn adds several) covers reverts between two calls.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import operator
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(PROJECT_ROOT))

from rasa.shared.core.constants import RULE_ONLY_LOOPS, RULE_ONLY_SLOTS, USER  # noqa: E402
from rasa.shared.core.domain import Domain  # noqa: E402
from rasa.shared.core.events import (  # noqa: E402
    ActionExecuted,
    ActionExecutionRejected,
    ActionReverted,
    ActiveLoop,
    BotUttered,
    Event,
    FollowupAction,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity  # noqa: E402

from bot import rasa_history, rasa_patches  # noqa: E402

STOCK_APPLIED = DialogueStateTracker.applied_events
STOCK_STATES = Domain.states_for_tracker_history
RULE_ONLY = {RULE_ONLY_SLOTS: ["requested_slot"], RULE_ONLY_LOOPS: ["name_form"]}
ARGUMENTS = [(False, False, None), (True, False, None), (False, True, RULE_ONLY),
             (True, True, RULE_ONLY), (False, True, None)]  # fmt: skip


def user(text: str, intent: str) -> UserUttered:
    parse = {"intent": {"name": intent, "confidence": 0.9}, "entities": [], "text": text}
    return UserUttered(text, parse["intent"], [], parse)


def session(language: str) -> list[Event]:
    return [ActionExecuted("action_session_start"), SessionStarted(),
            SlotSet("language", language), ActionExecuted("action_listen")]  # fmt: skip


def turn(n: int, hidden: bool = False) -> list[Event]:
    return [user(f"question {n}", "ask_question"),
            ActionExecuted("action_answer_question", hide_rule_turn=hidden),
            BotUttered(f"answer {n}"), SlotSet("course", f"c{n % 3}"),
            ActionExecuted("action_listen", hide_rule_turn=hidden)]  # fmt: skip


def form() -> list[Event]:
    """The name form: activated, a request that rejects it, back, a name, done."""
    return [user("/change_name", "change_name"), ActionExecuted("name_form"),
            ActiveLoop("name_form"), SlotSet("requested_slot", "full_name"),
            ActionExecuted("action_listen"),
            user("show my progress", "show_progress"), ActionExecutionRejected("name_form"),
            ActionExecuted("action_show_progress", hide_rule_turn=True),
            ActionExecuted("name_form"), SlotSet("requested_slot", "full_name"),
            ActionExecuted("action_listen"),
            user("Asha Kumari", "nlu_fallback"), ActionExecuted("name_form"),
            SlotSet("full_name", "Asha Kumari"), SlotSet("requested_slot", None),
            ActiveLoop(None), ActionExecuted("action_save_name"),
            ActionExecuted("action_listen")]  # fmt: skip


def conversation() -> list[Event]:
    events = session("hi")
    for n in range(40):
        events += turn(n, hidden=n % 7 == 3)
        if n % 10 == 4:
            events += form()
        if n % 10 == 6:  # a fallback: the user message is reverted, then another
            events += [user("asdf", "nlu_fallback"), ActionExecuted("action_default_fallback"),
                       BotUttered("sorry"), UserUtteranceReverted()]  # fmt: skip
        if n % 10 == 8:
            events += [user("again", "repeat"), ActionExecuted("utter_help"),
                       ActionReverted(), FollowupAction("action_listen"),
                       ActionExecuted("action_listen")]  # fmt: skip
        if n == 20:
            events += [user("/restart", "restart"), ActionExecuted("action_restart"),
                       Restarted(), ActionExecuted("action_listen")]  # fmt: skip
        if n == 30:
            events += session("ta")
    return events


@contextlib.contextmanager
def stock() -> Iterator[None]:
    patched = DialogueStateTracker.applied_events, Domain.states_for_tracker_history
    DialogueStateTracker.applied_events = STOCK_APPLIED  # type: ignore[method-assign]
    Domain.states_for_tracker_history = STOCK_STATES  # type: ignore[method-assign]
    try:
        yield
    finally:
        DialogueStateTracker.applied_events, Domain.states_for_tracker_history = patched


def run() -> dict[str, Any]:
    domain = Domain.load(str(PROJECT_ROOT / "domain.yml"))
    rasa_patches._carried_forward_history()
    assert DialogueStateTracker.applied_events is rasa_history.applied_events
    folded = {"events": 0}
    fold = rasa_history._fold

    def counted(*args: Any) -> None:
        folded["events"] += 1
        fold(*args)

    rasa_history._fold = counted  # type: ignore[assignment]
    tracker = DialogueStateTracker("check", domain.slots)
    report: dict[str, Any] = {"events": 0, "comparisons": 0, "mismatches": [], "states": 0}
    for position, event in enumerate(conversation()):
        tracker.update(event)
        report["events"] += 1
        mine_applied = tracker.applied_events()
        with stock():
            theirs_applied = tracker.applied_events()
        if len(mine_applied) != len(theirs_applied) or any(
            a is not b for a, b in zip(mine_applied, theirs_applied, strict=True)
        ):
            report["mismatches"].append([position, "applied_events"])
        for arguments in ARGUMENTS:
            mine = domain.states_for_tracker_history(tracker, *arguments)
            with stock():
                theirs = domain.states_for_tracker_history(tracker, *arguments)
            report["comparisons"] += 1
            report["states"] = max(report["states"], len(theirs))
            if mine != theirs:
                report["mismatches"].append([position, repr(arguments)])
            for state in mine:  # as featurizers do to the states they are given
                if USER in state:
                    state[USER].pop("text", None)
                state.clear()
    report["folded_events"] = folded["events"]
    report["copies"] = copies(domain)
    report["sparse"] = sparse(domain)
    return report


def sparse(domain: Domain) -> dict[str, Any]:
    """Past states against Rasa's when they are asked for only every few events, as a turn
    adds several: a revert and new events may come between two calls, leaving the applied
    events as long as before but no longer beginning with those folded last time
    (`regrown` counts the calls where that happened)."""
    result: dict[str, Any] = {"compared": 0, "regrown": 0, "mismatches": []}
    for stride in (2, 3, 4, 5, 7, 11):
        tracker = DialogueStateTracker("sparse", domain.slots)
        before: list[Event] = []
        for position, event in enumerate(conversation()):
            tracker.update(event)
            if position % stride != stride - 1:
                continue
            with stock():
                applied = tracker.applied_events()
            prefix = applied[: len(before)]
            if len(applied) >= len(before) and any(map(operator.is_not, prefix, before)):
                result["regrown"] += 1
            before = applied
            for arguments in ARGUMENTS:
                mine = domain.states_for_tracker_history(tracker, *arguments)
                with stock():
                    theirs = domain.states_for_tracker_history(tracker, *arguments)
                result["compared"] += 1
                if mine != theirs:
                    result["mismatches"].append([stride, position, repr(arguments)])
    return result


def message(event: Event | None) -> Any:
    """A latest message as a dict; an empty one (a reset's) without its creation time."""
    if event is None:
        return None
    data = event.as_dict()
    if data.get("text") is None:
        data.pop("timestamp")
    return data


def fingerprint(tracker: DialogueStateTracker) -> dict[str, Any]:
    """Everything a tracker's state is made of, by value (events and messages by identity)."""
    return {
        "state": tracker.current_state(EventVerbosity.ALL),
        "events": [id(event) for event in tracker.events],
        "slots": {n: (s.value, s.has_been_set, type(s)) for n, s in tracker.slots.items()},
        "latest_action": tracker.latest_action,
        "latest_message": message(tracker.latest_message),
        "latest_bot": message(tracker.latest_bot_utterance),
        "followup": tracker.followup_action,
        "paused": tracker._paused,
        "loop": repr(tracker.active_loop),
        "ids": (tracker.model_id, tracker.assistant_id, tracker.sender_source),
        "max": tracker._max_event_history,
    }


def copies(domain: Domain) -> dict[str, Any]:
    """`copy()` (bot/rasa_history.py) against Rasa's replay after every event of the
    conversation, and that changing the copy leaves the original as it was."""
    rasa_patches._tracker_copy_without_replay()
    assert DialogueStateTracker.copy is rasa_history.copy_tracker
    tracker = DialogueStateTracker("check", domain.slots)
    tracker.model_id = "model-1"
    result: dict[str, Any] = {"compared": 0, "mismatches": [], "leaks": [], "in_loop": 0}
    for position, event in enumerate(conversation()):
        tracker.update(event)
        mine = tracker.copy()
        theirs = tracker.travel_back_in_time(float("inf"))
        result["compared"] += 1
        result["in_loop"] += tracker.active_loop is not None
        if fingerprint(mine) != fingerprint(theirs):
            result["mismatches"].append(position)
        real = tracker.latest_message is not None and tracker.latest_message.text is not None
        if real and mine.latest_message is not theirs.latest_message:
            result["mismatches"].append([position, "latest_message object"])
        before = fingerprint(tracker)
        mine.update(SlotSet("course", f"changed-{position}"))
        mine.reject_action(mine.active_loop_name or "")
        mine.update(UserUttered("changed", {"name": "greet", "confidence": 1.0}))
        mine.update(ActiveLoop("name_form"))
        if fingerprint(tracker) != before:
            result["leaks"].append(position)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    args.out.write_text(json.dumps(run()), encoding="utf-8")


if __name__ == "__main__":
    main()
