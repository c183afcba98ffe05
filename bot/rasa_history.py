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

import copy
import itertools
import json
import operator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, cast

from rasa.shared.core.constants import ACTION_UNLIKELY_INTENT_NAME, PREVIOUS_ACTION
from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    ActiveLoop,
    BotUttered,
    Event,
    Restarted,
    SessionStarted,
    UserUtteranceReverted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import ACTION_NAME

APPLIED = "_karmabot_applied"
#: Set by a policy that reads only its last states (bot/rasa_patches.py,
#: `_windowed_policy_states`): how many it needs; None means all of them, as Rasa gives.
WINDOW: ContextVar[int | None] = ContextVar("karmabot_states_window", default=None)
STATES = "_karmabot_states"
WINDOW_ATTRIBUTE = "_karmabot_window"
_UNSET: Any = object()


@dataclass
class _Applied:
    """Where the last `applied_events` fold of a tracker ended."""

    events: Any  # the tracker's deque, by identity
    count: int  # events folded
    first: Event | None
    last: Event | None
    loop_names: frozenset[str]
    applied: list[Event] = field(default_factory=list)
    #: Bumped whenever the fold removes events from `applied` (a restart, session start or
    #: revert); while it stays the same, `applied` has only grown at its end.
    version: int = 0


def tail(events: Any, start: int) -> list[Any]:
    """`events[start:]` of a deque (or list) in order, reading from the right: islice from
    `start` would walk the whole session first."""
    wanted = max(len(events) - start, 0)
    return list(itertools.islice(reversed(events), wanted))[::-1]


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
    new = _unfolded(memo, events)
    if memo is None or new is None:
        first = events[0] if count else None
        memo = _Applied(events, 0, first, None, frozenset(_loop_names(events)))
        new = list(events)
    for event in new:
        _fold(tracker, event, memo)
    memo.count, memo.last = count, (events[count - 1] if count else None)
    tracker.__dict__[APPLIED] = memo
    return list(memo.applied)


def _unfolded(memo: _Applied | None, events: Any) -> list[Event] | None:
    """The events after those `memo` folded, or None when the fold cannot continue."""
    if (
        memo is None
        or memo.events is not events
        or not 0 < memo.count <= len(events)
        or events[0] is not memo.first
        or events[memo.count - 1] is not memo.last
    ):
        return None
    new = tail(events, memo.count)
    return new if _loop_names(new) <= memo.loop_names else None


def _fold(tracker: Any, event: Event, memo: _Applied) -> None:
    """One step of Rasa 3.6's `applied_events` loop (same branches, same helpers)."""
    applied, loop_names = memo.applied, memo.loop_names
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
        return
    memo.version += 1


@dataclass
class _States:
    """Where the last `states_for_tracker_history` fold of a tracker ended, per arguments."""

    domain: Any
    applied: list[Event]  # the applied events folded
    replay: Any  # a tracker with them applied (Rasa's prior tracker)
    states: list[dict[str, Any]] = field(default_factory=list)
    last_ml_action: Any = None
    turn_was_hidden: bool = False
    #: The `applied_events` fold `applied` came from, and its version then.
    source: _Applied | None = None
    version: int = 0


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
    source = _fold_of(tracker, applied)
    key = (
        omit_unset_slots,
        ignore_rule_only_turns,
        json.dumps(rule_only_data, sort_keys=True, default=str),
    )
    memos: dict[Any, _States] = tracker.__dict__.setdefault(STATES, {})
    memo = memos.get(key)
    if memo is None or memo.domain is not domain or not _extends(applied, memo, source):
        memo = _States(domain, [], tracker.init_copy())
        memos[key] = memo
    memo.source, memo.version = source, (source.version if source else 0)
    options = (omit_unset_slots, ignore_rule_only_turns, rule_only_data)
    for event in applied[len(memo.applied) :]:
        if isinstance(event, ActionExecuted):
            _step(domain, memo, memo.replay, event.hide_rule_turn, options)
        memo.replay.update(event)
        memo.applied.append(event)
    final = _States(domain, [], memo.replay, memo.states[-1:], memo.last_ml_action,
                    memo.turn_was_hidden)  # fmt: skip
    _step(domain, final, memo.replay, False, options)
    current = final.states[1:] if memo.states else final.states
    window = WINDOW.get()
    if window is None:
        return _copied(memo.states + current)
    return _copied(_last(memo.states, current, window))


def _last(states: list[dict[str, Any]], current: list[dict[str, Any]], wanted: int) -> list[Any]:
    """The last states of `states + current` that hold `wanted` states not left by
    `action_unlikely_intent` (ML policies drop those before they slice), or all of them."""
    count = sum(1 for state in current if not _unlikely(state))
    index = len(states)
    while count < wanted and index > 0:
        index -= 1
        count += not _unlikely(states[index])
    return states[index:] + current


def _unlikely(state: dict[str, Any]) -> bool:
    return bool(state.get(PREVIOUS_ACTION, {}).get(ACTION_NAME) == ACTION_UNLIKELY_INTENT_NAME)


def _fold_of(tracker: Any, applied: list[Event]) -> _Applied | None:
    """The fold that gave `applied` (this module's `applied_events`), else None."""
    memo: _Applied | None = tracker.__dict__.get(APPLIED)
    if memo is None or getattr(tracker.applied_events, "__func__", None) is not applied_events:
        return None
    return memo if len(memo.applied) == len(applied) else None


def _extends(applied: list[Event], memo: _States, source: _Applied | None) -> bool:
    """Whether `applied` begins with the events `memo` folded: at once when both come from
    the same `applied_events` fold that has only grown since, else compared one by one."""
    folded = memo.applied
    if len(applied) < len(folded):
        return False
    if source is not None and memo.source is source and memo.version == source.version:
        return True
    return all(map(operator.is_, applied, folded))


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


def window_for(policy: Any) -> int | None:
    """How many of the last states `policy` reads when it predicts, or None (all of them).

    Only Rasa's own `RulePolicy` and `MemoizationPolicy` with its max-history featurizer are
    windowed; a subclass or any other policy gets every state, as in Rasa.

    - `MemoizationPolicy` looks up its featurizer's last `max_history` states.
    - `RulePolicy` matches rules from the last state backwards and stops mattering past its
      longest rule: beyond it every rule is applicable (`_is_rule_applicable`). One more state
      than that keeps the fallback feature key of an unmatched turn from ever equalling a
      rule's key, as with the whole list. Its featurizer's `max_history`, if any, counts too.
    """
    cached = policy.__dict__.get(WINDOW_ATTRIBUTE, _UNSET)
    if cached is not _UNSET:
        return cast("int | None", cached)
    from rasa.core.featurizers.tracker_featurizers import MaxHistoryTrackerFeaturizer
    from rasa.core.policies.memoization import MemoizationPolicy
    from rasa.core.policies.rule_policy import RULES, RULES_FOR_LOOP_UNHAPPY_PATH, RulePolicy

    featurizer: Any = getattr(policy, "featurizer", None)
    history = featurizer.max_history if type(featurizer) is MaxHistoryTrackerFeaturizer else _UNSET
    window: int | None = None
    if type(policy) is MemoizationPolicy and isinstance(history, int) and history > 0:
        window = history
    elif type(policy) is RulePolicy and history is not _UNSET:
        keys = [*policy.lookup.get(RULES, {}), *policy.lookup.get(RULES_FOR_LOOP_UNHAPPY_PATH, {})]
        longest = max((len(policy._rule_key_to_state(key)) for key in keys), default=0)
        window = max(longest + 1, history or 0)
    policy.__dict__[WINDOW_ATTRIBUTE] = window
    return window


def copy_tracker(tracker: Any) -> Any:
    """`DialogueStateTracker.copy` without replaying every event.

    Rasa's copy replays all events into a new tracker (`travel_back_in_time`), once per action
    of a turn. By Rasa's contract a tracker's state is what replaying its events gives (only
    events change it), so the copy takes the events and that state: slot values (the objects
    a replay would set; unset slots reset, as a replay does), the latest action, message and
    bot utterance (the same events; a fresh empty one where a reset left the empty one), the
    follow-up action, the pause flag and the active loop (copied: events change it in place).
    Like Rasa's copy it has no model or assistant id and no sender source. A subclass, a
    tracker with a maximum event history (its state may come from events it no longer holds)
    or one whose slots are not a plain dict (Rasa's `AnySlotDict`) is copied by replay.
    """
    if (
        type(tracker) is not DialogueStateTracker
        or tracker._max_event_history is not None
        or type(tracker.slots) is not dict
    ):
        return tracker.travel_back_in_time(float("inf"))
    new = tracker.init_copy()
    new.events.extend(tracker.events)
    for name, slot in tracker.slots.items():
        if slot.has_been_set:
            new.slots[name] = copy.copy(slot)
    new._paused = tracker._paused
    new.followup_action = tracker.followup_action
    new.latest_action = None if tracker.latest_action is None else dict(tracker.latest_action)
    if not _placeholder(tracker.latest_message):  # else init_copy's fresh one, as a replay
        new.latest_message = tracker.latest_message
    if not _placeholder(tracker.latest_bot_utterance):
        new.latest_bot_utterance = tracker.latest_bot_utterance
    new.active_loop = copy.copy(tracker.active_loop)
    return new


def _placeholder(message: Any) -> bool:
    """Whether `message` is (or is exactly like) the empty message a reset puts in place."""
    if message is None:
        return False
    if type(message) is BotUttered:
        return message.text is None and not message.data and not message.metadata
    return (
        type(message) is UserUttered
        and message.text is None
        and not message.intent
        and not message.entities
        and not message.metadata
        and message.input_channel is None
        and message.message_id is None
    )
