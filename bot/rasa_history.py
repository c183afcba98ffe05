"""A tracker's applied events and past states, carried forward instead of rebuilt. `.venv-rasa`.

Rasa 3.6 rebuilds both from the first event of the session every time a policy or the
processor asks, several times per turn: at 1,000 turns in one session (5,000 events) that was
9 ms for `applied_events` and 64 ms for `past_states` per call, most of a turn. Both are left
folds over the events, so each tracker keeps where its last fold ended (in an attribute of its
own) and the next call folds only the events added since, when what came before is provably
unchanged; otherwise it folds from the start, as Rasa does. The results are the same lists
(fresh copies, so callers may change them). Installed by bot/rasa_patches.py
(`_carried_forward_history`); tests/rasa/history_check.py compares both with Rasa's own
functions after every event of long conversations with reverts, forms and restarts.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from rasa.shared.core.constants import PREVIOUS_ACTION
from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    ActiveLoop,
    Event,
    Restarted,
    SessionStarted,
    UserUtteranceReverted,
    UserUttered,
)

APPLIED = "_karmabot_applied"
STATES = "_karmabot_states"


@dataclass
class _Applied:
    """Where the last `applied_events` fold of a tracker ended."""

    events: Any  # the tracker's deque, by identity
    count: int  # events folded
    first: Event | None
    last: Event | None
    loop_names: frozenset[str]
    applied: list[Event] = field(default_factory=list)


def _loop_names(events: Any) -> set[str]:
    return {e.name for e in events if isinstance(e, ActiveLoop) and e.name}


def applied_events(tracker: Any) -> list[Event]:
    """`DialogueStateTracker.applied_events`, folding only the events added since last time.

    The fold depends on the loop names of all the events, so it continues only when the new
    events bring no new loop name, the deque is the same object, and its first and last folded
    events are still where they were (a deque with a maximum length drops from the left).
    """
    events = tracker.events
    memo: _Applied | None = tracker.__dict__.get(APPLIED)
    count = len(events)
    if (
        memo is not None
        and memo.events is events
        and 0 < memo.count <= count
        and events[0] is memo.first
        and events[memo.count - 1] is memo.last
        and _loop_names(itertools.islice(events, memo.count, None)) <= memo.loop_names
    ):
        new = itertools.islice(events, memo.count, None)
    else:
        first = events[0] if count else None
        memo = _Applied(events, 0, first, None, frozenset(_loop_names(events)))
        new = iter(events)
    applied = memo.applied
    for event in new:
        _fold(tracker, event, applied, memo.loop_names)
    memo.count, memo.last = count, (events[count - 1] if count else None)
    tracker.__dict__[APPLIED] = memo
    return list(applied)


def _fold(tracker: Any, event: Event, applied: list[Event], loop_names: frozenset[str]) -> None:
    """One step of Rasa 3.6's `applied_events` loop (same branches, same helpers)."""
    if isinstance(event, (Restarted, SessionStarted)):
        applied.clear()
    elif isinstance(event, ActionReverted):
        tracker._undo_till_previous(ActionExecuted, applied)
    elif isinstance(event, UserUtteranceReverted):
        tracker._undo_till_previous(UserUttered, applied)
        tracker._undo_till_previous(ActionExecuted, applied)
    elif (
        isinstance(event, ActionExecuted)
        and event.action_name in loop_names
        and not tracker._first_loop_execution_or_unhappy_path(event.action_name, applied)
    ):
        tracker._undo_till_previous_loop_execution(event.action_name, applied)
    else:
        applied.append(event)


@dataclass
class _States:
    """Where the last `states_for_tracker_history` fold of a tracker ended, per arguments."""

    domain: Any
    applied: list[Event]  # the applied events folded
    replay: Any  # a tracker with them applied (Rasa's prior tracker)
    states: list[dict[str, Any]] = field(default_factory=list)
    last_ml_action: Any = None
    turn_was_hidden: bool = False


def states_for_tracker_history(
    domain: Any,
    tracker: Any,
    omit_unset_slots: bool = False,
    ignore_rule_only_turns: bool = False,
    rule_only_data: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """`Domain.states_for_tracker_history`, folding only the applied events added since.

    Continues when the tracker's applied events still begin with those folded last time
    (same objects), for the same domain and arguments; a revert or restart that removes
    folded events starts again from the first.
    """
    applied = tracker.applied_events()
    key = (
        omit_unset_slots,
        ignore_rule_only_turns,
        json.dumps(rule_only_data, sort_keys=True, default=str),
    )
    memos: dict[Any, _States] = tracker.__dict__.setdefault(STATES, {})
    memo = memos.get(key)
    if memo is None or memo.domain is not domain or not _extends(applied, memo.applied):
        memo = _States(domain, [], tracker.init_copy())
        memos[key] = memo
    options = (omit_unset_slots, ignore_rule_only_turns, rule_only_data)
    for event in applied[len(memo.applied) :]:
        if isinstance(event, ActionExecuted):
            _step(domain, memo, memo.replay, event.hide_rule_turn, options)
        memo.replay.update(event)
        memo.applied.append(event)
    final = _States(domain, [], memo.replay, list(memo.states), memo.last_ml_action,
                    memo.turn_was_hidden)  # fmt: skip
    _step(domain, final, memo.replay, False, options)
    return _copied(final.states)


def _extends(applied: list[Event], folded: list[Event]) -> bool:
    return len(applied) >= len(folded) and all(
        a is b for a, b in zip(applied, folded, strict=False)
    )


def _step(domain: Any, memo: _States, tr: Any, hide_rule_turn: bool, options: tuple) -> None:
    """One step of Rasa 3.6's `states_for_tracker_history` loop, for the prior tracker `tr`."""
    omit_unset_slots, ignore_rule_only_turns, rule_only_data = options
    if ignore_rule_only_turns:
        if not memo.turn_was_hidden:
            memo.last_ml_action = domain._get_prev_action_sub_state(tr)
        if not tr.followup_action and tr.latest_action_name != tr.active_loop_name:
            memo.turn_was_hidden = hide_rule_turn
        if memo.turn_was_hidden:
            return
    state = domain.get_active_state(tr, omit_unset_slots=omit_unset_slots)
    if ignore_rule_only_turns:
        domain._remove_rule_only_features(state, rule_only_data)
        if memo.states:
            domain._substitute_rule_only_user_input(state, memo.states[-1])
        if memo.last_ml_action:
            state[PREVIOUS_ACTION] = memo.last_ml_action
    memo.states.append(domain._clean_state(state))


def _copied(states: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The states with fresh dicts two levels deep, shared where Rasa's were shared."""
    seen: dict[int, dict[str, Any]] = {}
    copies = []
    for state in states:
        copy = {}
        for name, sub in state.items():
            if type(sub) is dict:
                fresh = seen.get(id(sub))
                if fresh is None:
                    fresh = seen[id(sub)] = sub.copy()
                copy[name] = fresh
            else:
                copy[name] = sub
        copies.append(copy)
    return copies
