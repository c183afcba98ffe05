"""Karmabot's patches to Rasa 3.6.21 internals; installed by bot/rasa_server.py. `.venv-rasa` only.

Each patch is one function that replaces one Rasa (or jsonschema) internal; none changes what
Rasa computes (docs/ARCHITECTURE.md, D10). bot/rasa_server.py decides whether they apply (the
Rasa version they were written for, the `--stock` switch) and lists them.
"""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Callable
from typing import Any

#: Shared sessions: (loop id, url, headers, auth) -> (loop, session). Holding the loop keeps
#: its id from being reused while its sessions are here.
_sessions: dict[tuple[int, str, str, str], tuple[asyncio.AbstractEventLoop, Any]] = {}


def _cached_validate() -> None:
    """Install a `jsonschema.validate` that checks each distinct schema only once.

    Rasa 3.6 validates every action-server and NLG reply with `jsonschema.validate`, which
    first re-checks Rasa's own constant schema against the meta-schema. This is jsonschema
    3.2.0's `validate` with that check remembered per schema; the reply is still validated.
    """
    import jsonschema
    from jsonschema import exceptions, validators

    checked: set[str] = set()

    def validate(instance: Any, schema: Any, cls: Any = None, *args: Any, **kwargs: Any) -> None:
        if cls is None and not args and not kwargs and _valid_action_reply(instance, schema):
            return
        if cls is None:
            cls = validators.validator_for(schema)
        key = json.dumps(schema, sort_keys=True, default=str)
        if key not in checked:
            cls.check_schema(schema)
            checked.add(key)
        error = exceptions.best_match(cls(schema, *args, **kwargs).iter_errors(instance))
        if error is not None:
            raise error

    jsonschema.validate = validate


def _valid_action_reply(instance: Any, schema: Any) -> bool:
    """Whether an action-server reply is valid, found faster; False means "not known".

    Rasa's reply schema checks each event against `EVENT_SCHEMA`, whose `oneOf` lists 23
    event types, each fixing `event` to its name (`const`); jsonschema tries all 23 for
    every event (about 0.6 ms per reply). For an event whose `event` is a string, a branch
    with another name fails, so exactly one of all branches validates if and only if exactly
    one of the branches with that name does: the event is checked against `EVENT_SCHEMA`
    with only those. Anything else (another schema, an event without a string name, a name
    no branch has, any failure) answers False, and the caller validates in full, raising
    Rasa's own error.
    """
    from jsonschema import Draft7Validator, validators
    from rasa.shared.utils.schemas.events import EVENTS_SCHEMA

    properties = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(properties, dict) or properties.get("events") is not EVENTS_SCHEMA:
        return False
    if validators.validator_for(schema) is not Draft7Validator or not isinstance(instance, dict):
        return False
    events = instance.get("events")
    outer = dict(schema, properties=dict(properties, events={"type": "array"}))
    if not _validator(json.dumps(outer, sort_keys=True), outer).is_valid(instance):
        return False
    for event in events if isinstance(events, list) else ():
        name = event.get("event") if isinstance(event, dict) else None
        checker = _event_validator(name) if isinstance(name, str) else None
        if checker is None or not checker.is_valid(event):
            return False
    return True


@functools.lru_cache(maxsize=64)
def _event_validator(name: str) -> Any:
    """A validator of `EVENT_SCHEMA` keeping only the `oneOf` branches for event `name`
    (None when no branch is for it)."""
    from jsonschema import Draft7Validator
    from rasa.shared.utils.schemas.events import EVENT_SCHEMA

    def named(branch: Any) -> Any:
        return branch.get("properties", {}).get("event", {}).get("const", name)

    branches = [branch for branch in EVENT_SCHEMA["oneOf"] if named(branch) == name]
    if not branches:
        return None
    reduced = dict(EVENT_SCHEMA, oneOf=branches)
    Draft7Validator.check_schema(reduced)
    return Draft7Validator(reduced)


_outer_validators: dict[str, Any] = {}


def _validator(key: str, schema: Any) -> Any:
    """A Draft 7 validator of `schema`, made once per distinct schema (`key`)."""
    from jsonschema import Draft7Validator

    found = _outer_validators.get(key)
    if found is None:
        Draft7Validator.check_schema(schema)
        found = _outer_validators[key] = Draft7Validator(schema)
    return found


def _tracker_store_sqlite_sync_normal() -> None:
    """Open the SQLite tracker store's connections with ``synchronous=NORMAL``, and keep them.

    The embedded tracker store runs SQLite in WAL mode (bot/stack.py), where NORMAL is
    crash-safe: a power cut can lose the last turns, but never corrupts the file. The default,
    FULL, fsyncs on every commit, several times per turn. The listener goes on the engine of
    each `SQLTrackerStore` on a SQLite file, so no other engine in the process is touched.

    SQLAlchemy 1.4 gives a SQLite file `NullPool`: every retrieve and save opened a connection
    and closed it, and closing the last connection to a WAL database checkpoints the log and
    deletes it (a fifth of the Rasa process's time under load, py-spy). The engine is rebuilt
    on the same URL with a small `QueuePool` instead (what SQLAlchemy 2.0 gives file databases),
    so connections stay open and SQLite checkpoints on its own schedule.
    """
    import sqlalchemy as sa
    from rasa.core.tracker_store import SQLTrackerStore
    from sqlalchemy import event
    from sqlalchemy.orm import sessionmaker
    from sqlalchemy.pool import QueuePool

    init = SQLTrackerStore.__init__

    def sync_normal(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA synchronous=NORMAL")

    @functools.wraps(init)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        engine = self.engine
        if engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
            engine.dispose()  # connections opened while creating the tables
            self.engine = sa.create_engine(
                engine.url,
                poolclass=QueuePool,
                pool_size=2,
                max_overflow=8,
                connect_args={"check_same_thread": False},
            )
            event.listen(self.engine, "connect", sync_normal)
            self.sessionmaker = sessionmaker(bind=self.engine)

    SQLTrackerStore.__init__ = __init__


#: Indexes that let the SQL tracker store find a learner's last session without reading
#: their whole history: (name, columns) on Rasa's `events` table.
SESSION_INDEXES = (
    ("karmabot_events_session_starts", "sender_id, type_name, timestamp"),
    ("karmabot_events_sender_timestamp", "sender_id, timestamp"),
)


def _tracker_store_session_query() -> None:
    """Let the SQL tracker store read and count only the last session's rows.

    Rasa 3.6 finds a learner's last session with one statement: their events filtered by
    ``timestamp >= (SELECT max(timestamp) … session_started) OR (that) IS NULL``. The OR
    against a subquery keeps the database from using an index on the timestamp, so every
    retrieve and every save (which counts the stored session's events) read all the learner's
    rows of every session, and a turn grew slower with each earlier one. Here the session's
    start is read first, through an index on (sender_id, type_name, timestamp), and the events
    are then a range on (sender_id, timestamp): the same rows in the same order (an absent
    start still means all events). The two indexes are created if missing, on SQLite and
    PostgreSQL.
    """
    import sqlalchemy as sa
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.events import SessionStarted

    init = SQLTrackerStore.__init__

    @functools.wraps(init)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        if self.engine.dialect.name in ("sqlite", "postgresql"):
            with self.engine.begin() as connection:
                for name, columns in SESSION_INDEXES:
                    connection.exec_driver_sql(
                        f"CREATE INDEX IF NOT EXISTS {name} ON events ({columns})"
                    )

    def _event_query(
        self: Any, session: Any, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> Any:
        event = self.SQLEvent
        query = session.query(event).filter(event.sender_id == sender_id)
        if not fetch_events_from_all_sessions:
            start = (
                session.query(sa.func.max(event.timestamp))
                .filter(event.sender_id == sender_id, event.type_name == SessionStarted.type_name)
                .scalar()
            )
            if start is not None:
                query = query.filter(event.timestamp >= start)
        return query.order_by(event.id)

    SQLTrackerStore.__init__ = __init__
    SQLTrackerStore._event_query = _event_query


def _current_turn_state(tracker: Any) -> dict[str, Any]:
    """The tracker state Rasa sends out, with the events from the latest user message on (all
    of them when there is none) instead of the whole session's."""
    from rasa.shared.core.events import UserUttered
    from rasa.shared.core.trackers import EventVerbosity

    events = tracker.events  # a deque: indexed from its end, not copied
    latest = next(
        (i for i in range(len(events) - 1, -1, -1) if isinstance(events[i], UserUttered)), 0
    )
    state: dict[str, Any] = tracker.current_state(EventVerbosity.NONE)
    state["events"] = [events[i].as_dict() for i in range(latest, len(events))]
    return state


def _current_turn_to_action_server() -> None:
    """Send the action server the current turn's events, not the whole session's.

    Rasa 3.6 serialises every event of the session into each action call, so a long session
    made every action slower (8 % of Rasa's time at 1,000 turns, py-spy). Karmabot's actions
    read slots, the latest message and `slots_to_validate()` (the slot events at the end),
    never older events; a test holds them to that (tests/bot/test_rasa_server.py). The call
    now carries the events from the latest user message on (all of them when there is none),
    and everything else of the tracker state as before.
    """
    import rasa
    from rasa.core.actions.action import RemoteAction

    def _action_call_format(self: Any, tracker: Any, domain: Any) -> dict[str, Any]:
        state = _current_turn_state(tracker)
        result = {
            "next_action": self._name,
            "sender_id": tracker.sender_id,
            "tracker": state,
            "version": rasa.__version__,
        }
        if not self._is_selective_domain_enabled() or (
            domain.does_custom_action_explicitly_need_domain(self.name())
        ):
            result["domain"] = domain.as_dict()
        return result

    RemoteAction._action_call_format = _action_call_format


def _current_turn_to_nlg_server() -> None:
    """Send the NLG server the tracker state with the current turn's events, not the session's.

    Rasa 3.6 serialises every event of the session (`EventVerbosity.ALL`) into each request to
    the NLG endpoint, one per response a turn utters, and the action server parses it again:
    with the action calls trimmed, this was the part of a turn inside one long session that
    still grew with it. Karmabot's renderer reads only the slots (actions/nlg.py, a test holds
    it to that); the request now carries the events from the latest user message on, as the
    action calls do, and the rest of the body as before.
    """
    from rasa.core.nlg import callback

    def nlg_request_format(
        utter_action: str, tracker: Any, output_channel: str, **kwargs: Any
    ) -> dict[str, Any]:
        state = _current_turn_state(tracker)
        response_id = kwargs.pop("response_id", None)
        return {
            "response": utter_action,
            "id": response_id,
            "arguments": kwargs,
            "tracker": state,
            "channel": {"name": output_channel},
        }

    callback.nlg_request_format = nlg_request_format


def _carried_forward_history() -> None:
    """Carry a tracker's applied events and past states forward instead of rebuilding them.

    Rasa rebuilds both from the session's first event on every call, several calls a turn,
    so a turn grew with the session (64 ms per `past_states` at 1,000 turns). bot/rasa_history.py
    folds only the events added since the last call when the earlier ones are unchanged, and
    from the start otherwise; the results are Rasa's (tests/rasa/history_check.py).
    """
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot import rasa_history

    DialogueStateTracker.applied_events = rasa_history.applied_events
    Domain.states_for_tracker_history = rasa_history.states_for_tracker_history


def _windowed_policy_states() -> None:
    """Give a policy only the last states it reads, not the whole session's.

    `RulePolicy` and `MemoizationPolicy` read only the last few states of a tracker, but Rasa
    builds, copies and scans them all on every prediction (several a turn), so a turn grew
    with the session. `Policy._prediction_states` now tells bot/rasa_history.py how many of
    the last states the policy reads (`rasa_history.window_for`); other policies get all, as
    in Rasa. tests/rasa/window_check.py compares every prediction of the trained policies with
    and without the window over long conversations.
    """
    from rasa.core.policies.policy import Policy

    from bot import rasa_history

    original = Policy._prediction_states

    @functools.wraps(original)
    def _prediction_states(self: Any, *args: Any, **kwargs: Any) -> Any:
        window = rasa_history.window_for(self)
        if window is None:
            return original(self, *args, **kwargs)
        token = rasa_history.WINDOW.set(window)
        try:
            return original(self, *args, **kwargs)
        finally:
            rasa_history.WINDOW.reset(token)

    Policy._prediction_states = _prediction_states


def _tracker_copy_without_replay() -> None:
    """Copy a tracker from its state instead of replaying all its events.

    The processor copies the tracker before each action it runs (so that a rejected action's
    policy events can be dropped); Rasa's copy replays every event of the session. See
    `rasa_history.copy_tracker`; tests/rasa/history_check.py compares it with Rasa's copy
    after every event of a long conversation.
    """
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot import rasa_history

    DialogueStateTracker.copy = rasa_history.copy_tracker


class _Borrowed:
    """`async with` on a shared aiohttp session that leaves it open afterwards."""

    def __init__(self, session: Any) -> None:
        self._session = session

    async def __aenter__(self) -> Any:
        return self._session

    async def __aexit__(self, *exc: object) -> None:
        return None


def _reuse_http_sessions() -> None:
    """Give each endpoint one long-lived aiohttp session per event loop.

    Rasa 3.6 (`EndpointConfig.session`) opens a new `ClientSession`, and so a new TCP
    connection, for every action call and every NLG call, and closes it afterwards. With one
    session per endpoint and loop, requests reuse kept-alive connections. Headers, auth and
    timeout are those Rasa sets; each Sanic worker process has its own loop and sessions.
    `close_shared_sessions` closes them.
    """
    from rasa.utils.endpoints import EndpointConfig

    create = EndpointConfig.session

    @functools.wraps(create)
    def session(self: Any) -> Any:
        loop = asyncio.get_running_loop()
        auth = json.dumps(self.basic_auth, sort_keys=True, default=str)
        key = (id(loop), str(self.url), json.dumps(self.headers, sort_keys=True), auth)
        entry = _sessions.get(key)
        if entry is None or entry[1].closed:
            entry = _sessions[key] = (loop, create(self))
        return _Borrowed(entry[1])

    EndpointConfig.session = session


async def close_shared_sessions() -> int:
    """Close the shared sessions of the running event loop; return how many were open."""
    loop = asyncio.get_running_loop()
    mine = [key for key, (owner, _) in _sessions.items() if owner is loop]
    for key in mine:
        _, session = _sessions.pop(key)
        await session.close()
    return len(mine)


def _close_http_sessions_at_shutdown() -> None:
    """Close the shared HTTP sessions when the Rasa server stops.

    `rasa.core.run.configure_app` builds the Sanic app of `rasa run`, `rasa shell` and
    `rasa interactive`; each app it returns gets an `after_server_stop` listener that closes
    the shared sessions of the worker's loop, next to Rasa's own `close_resources`.
    """
    import rasa.core.run

    configure_app = rasa.core.run.configure_app

    async def close_sessions(_app: Any, _loop: Any) -> None:
        await close_shared_sessions()

    @functools.wraps(configure_app)
    def configure(*args: Any, **kwargs: Any) -> Any:
        app = configure_app(*args, **kwargs)
        app.register_listener(close_sessions, "after_server_stop")
        return app

    rasa.core.run.configure_app = configure


def _sequential_graph_runs() -> None:
    """Run Rasa's model graph in order on the calling thread, without dask's scheduler.

    Rasa 3.6 runs every prediction (message parsing, each next-action prediction) by handing
    its small graph of components to `dask.get`, dask's synchronous scheduler. Its
    bookkeeping cost about a tenth of the Rasa process's time under load
    (docs/PERFORMANCE.md). `DaskGraphRunner.run` is replaced by a plain depth-first evaluation
    of the same graph: the same nodes are called with the same inputs, once each, and the same
    targets are returned; only the scheduler differs. The minimal schema per set of targets is
    computed once per runner.
    """
    from rasa.engine.exceptions import GraphRunError
    from rasa.engine.runner.dask import DaskGraphRunner

    def run(
        self: DaskGraphRunner,
        inputs: dict[str, Any] | None = None,
        targets: list[str] | None = None,
    ) -> dict[str, Any]:
        run_targets = targets if targets else self._graph_schema.target_names
        schemas = self.__dict__.setdefault("_karmabot_schemas", {})
        key = tuple(run_targets)
        if key not in schemas:
            schemas[key] = self._graph_schema.minimal_graph_schema(run_targets)
        graph = self._build_dask_graph(schemas[key])
        if inputs:
            self._add_inputs_to_graph(inputs, graph)
        done: dict[str, Any] = {}

        def value(name: str) -> Any:
            if name not in done:
                task = graph[name]
                if callable(task[0]):
                    args = [value(a) if isinstance(a, str) and a in graph else a for a in task[1:]]
                    done[name] = task[0](*args)
                else:  # an input: dask passes a tuple that is not a task through unchanged
                    done[name] = task
            return done[name]

        try:
            return dict(value(target) for target in run_targets)
        except RuntimeError as e:
            raise GraphRunError("Error running runner.") from e

    DaskGraphRunner.run = run


def _event_types_by_name() -> None:
    """Look event classes up by name in a table instead of a walk of every subclass.

    `Event.resolve_by_type` runs for every event of every tracker read from the tracker
    store, and each call walks all subclasses of `Event` with `inspect.isabstract`. The
    table holds the same first match per name; a name not in it rebuilds it (an event class
    imported later) before falling back to Rasa's own lookup and its errors.
    """
    from rasa.shared.core.events import Event
    from rasa.shared.utils.common import all_subclasses

    original = Event.resolve_by_type
    table: dict[str, Any] = {}

    def resolve_by_type(type_name: str, default: Any = None) -> Any:
        found = table.get(type_name)
        if found is None:
            table.clear()
            for cls in all_subclasses(Event):
                table.setdefault(cls.type_name, cls)
            found = table.get(type_name)
        return found if found is not None else original(type_name, default)

    Event.resolve_by_type = staticmethod(resolve_by_type)


def _contiguous_intent_weights() -> None:
    """Keep the intent classifier's weights in the layout its prediction reads.

    scikit-learn predicts with ``X @ coef_.T``; with ``coef_`` in C order the transpose is
    not contiguous, and SciPy copies the whole (features × intents) matrix for every message.
    Storing ``coef_`` in Fortran order holds the same numbers and makes that copy unnecessary.
    """
    import numpy as np
    from rasa.nlu.classifiers.logistic_regression_classifier import (
        LogisticRegressionClassifier,
    )

    process = LogisticRegressionClassifier.process

    @functools.wraps(process)
    def process_contiguous(self: Any, messages: Any) -> Any:
        coef = getattr(self.clf, "coef_", None)
        if coef is not None and not coef.flags.f_contiguous:
            self.clf.coef_ = np.asfortranarray(coef)
        return process(self, messages)

    LogisticRegressionClassifier.process = process_contiguous


def _sentence_features_only() -> None:
    """The intent classifier combines only the sentence features it reads.

    `LogisticRegressionClassifier._create_X` asks `Message.get_sparse_features`, which
    combines the featurizers' sequence features (a tokens × vocabulary matrix per featurizer,
    the character n-grams' the largest) and their sentence features, and then keeps only the
    sentence ones: the sequence half was a quarter of each parse. Here the sentence features
    are combined alone, in Rasa's order (`Message._combine_features`). Without dense features
    (Karmabot's pipeline has none) a message's row is put together directly from the
    featurizers' one-row matrices: their entries side by side, each featurizer's columns
    after the previous one's, in float64 as Rasa's `hstack` with an empty dense block makes
    them; Rasa deep-copied the first featurizer's features and ran SciPy's general block
    stacking three times per message. With dense features `X` is built as Rasa builds it.
    """
    import numpy as np
    from rasa.nlu.classifiers import logistic_regression_classifier as module
    from rasa.shared.nlu.constants import TEXT
    from rasa.shared.nlu.training_data.message import Message

    csr_matrix, hstack, vstack = module.csr_matrix, module.hstack, module.vstack

    def side_by_side(matrices: list[Any]) -> Any:
        parts = [matrix.tocoo() for matrix in matrices]
        offsets = np.cumsum([0] + [part.shape[1] for part in parts])
        starts = zip(parts, offsets[:-1], strict=True)
        columns = np.concatenate([part.col + offset for part, offset in starts])
        data = np.concatenate([part.data for part in parts]).astype(np.float64)
        indptr = np.array([0, len(data)])
        return csr_matrix((data, columns, indptr), shape=(1, int(offsets[-1])))

    def _create_X(self: Any, messages: Any) -> Any:
        rows = []
        for message in messages:
            sentence = message._filter_sparse_features(TEXT, [])[1]
            dense = message.get_dense_features(attribute=TEXT)[1]
            if dense is None and sentence and all(f.features.shape[0] == 1 for f in sentence):
                rows.append(side_by_side([f.features for f in sentence]))
                continue
            sparse = Message._combine_features(sentence, [])
            rows.append(
                hstack(
                    [
                        csr_matrix(sparse.features if sparse else []),
                        csr_matrix(dense.features if dense else []),
                    ]
                )
            )
        return rows[0] if len(rows) == 1 else vstack(rows)

    module.LogisticRegressionClassifier._create_X = _create_X


def _rule_states_read_once() -> None:
    """RulePolicy matches a conversation against its rules without re-reading each rule.

    To find the rules that fit the conversation (`_get_possible_keys`, two to three times per
    turn), Rasa filters all rule keys once per conversation state, and for each key and state
    calls `_is_rule_applicable`, which looks the key's JSON up in an LRU cache, reverses its
    states into a new list and walks each rule state's features (`_does_rule_match_state`,
    turning JSON lists back into tuples every time). Here each key is read once into its
    reversed states, each state into the checks `_does_rule_match_state` makes (a feature the
    rule sets must have that value in the conversation; one it marks "should not be set" must
    be unset there; one it leaves empty is not checked). A key is an immutable string, so they
    cannot go stale. The same checks decide in the same order, and the filtering stops once
    every remaining rule is shorter than the states looked at (Rasa's check then keeps them
    all). A subclass that changes either method is filtered by Rasa's own code.
    """
    from rasa.core.policies.rule_policy import RulePolicy
    from rasa.shared.core.constants import PREVIOUS_ACTION, SHOULD_NOT_BE_SET

    get_possible_keys = RulePolicy._get_possible_keys
    is_rule_applicable = RulePolicy._is_rule_applicable
    does_rule_match_state = RulePolicy.__dict__["_does_rule_match_state"].__func__
    #: rule key -> its states, last first: (has a previous action, [(type, key, value, set)])
    rules_read: dict[str, tuple[str, list[tuple[bool, list[tuple[str, str, Any, bool]]]]]] = {}

    def checks(rule_state: dict[str, Any]) -> list[tuple[str, str, Any, bool]]:
        found = []
        for state_type, sub_state in rule_state.items():
            for key, value in sub_state.items():
                value = tuple(value) if isinstance(value, list) else value
                if value == SHOULD_NOT_BE_SET:
                    found.append((state_type, key, value, False))
                elif value:
                    found.append((state_type, key, value, True))
        return found

    def read(key: str) -> tuple[str, list[tuple[bool, list[tuple[str, str, Any, bool]]]]]:
        rule = rules_read.get(key)
        if rule is None:
            if len(rules_read) > 10_000:  # keys of replaced models
                rules_read.clear()
            states = reversed(json.loads(key))
            rule = rules_read[key] = (
                key,
                [(bool(state.get(PREVIOUS_ACTION)), checks(state)) for state in states],
            )
        return rule

    def matches(rule_checks: list[tuple[str, str, Any, bool]], state: dict[str, Any]) -> bool:
        for state_type, key, value, must_equal in rule_checks:
            found = state.get(state_type, {}).get(key)
            if must_equal:
                if found != value:
                    return False
            elif found and found != SHOULD_NOT_BE_SET:
                return False
        return True

    @functools.wraps(get_possible_keys)
    def possible_keys(self: Any, lookup: dict[str, str], states: list[Any]) -> set[str]:
        cls = type(self)
        if (
            cls._is_rule_applicable is not is_rule_applicable
            or getattr(cls._does_rule_match_state, "__func__", cls._does_rule_match_state)
            is not does_rule_match_state
        ):
            return set(get_possible_keys(self, lookup, states))
        rules = [read(key) for key in lookup]
        longest = max((len(rule_states) for _, rule_states in rules), default=0)
        for index, state in enumerate(reversed(states)):
            if index >= longest:
                break
            has_previous = bool(state.get(PREVIOUS_ACTION))
            kept = []
            for rule in rules:
                rule_states = rule[1]
                if index >= len(rule_states):
                    kept.append(rule)
                    continue
                rule_has_previous, rule_checks = rule_states[index]
                if rule_has_previous != has_previous:
                    continue
                if not has_previous or matches(rule_checks, state):
                    kept.append(rule)
            rules = kept
        return {key for key, _ in rules}

    RulePolicy._get_possible_keys = possible_keys


def _domain_emptiness_by_responses() -> None:
    """`Domain.is_empty` answers False at once for a domain with responses.

    Rasa checks every parsed message against the domain unless the domain is empty, and
    `is_empty` compares the domain's whole `as_dict()` with a newly built empty domain's: a
    tenth of a parse. An empty domain has no responses, so a domain with responses is not
    empty; any other domain is still compared as Rasa compares it.
    """
    from rasa.shared.core.domain import Domain

    is_empty = Domain.is_empty

    @functools.wraps(is_empty)
    def is_empty_quickly(self: Any) -> bool:
        if self.responses:
            return False
        return bool(is_empty(self))

    Domain.is_empty = is_empty_quickly


def _frozen_heap_after_model_load() -> None:
    """Once a worker has loaded its model, the objects alive then leave the collector's sight.

    A Rasa worker keeps its model's hundreds of thousands of objects for its whole life, and
    each of Python's full collections walked them all: 300–400 ms with the GIL held, every
    ten seconds or so under load (docs/PERFORMANCE.md). After `load_agent_on_start` (Rasa's
    listener that loads the model in each Sanic worker) the heap is collected once and frozen
    (`gc.freeze`): the objects alive then move to the permanent generation, which collections
    skip; new objects are collected as before. A later model load (Rasa's model server or HTTP
    API) unfreezes them first, for good, so that a replaced model can be collected.
    """
    import gc

    from rasa.core import run
    from rasa.core.agent import Agent

    load_agent_on_start = run.load_agent_on_start
    load_model = Agent.load_model

    @functools.wraps(load_agent_on_start)
    async def load_then_freeze(*args: Any, **kwargs: Any) -> Any:
        agent = await load_agent_on_start(*args, **kwargs)
        gc.collect()
        gc.freeze()
        return agent

    @functools.wraps(load_model)
    def load_model_unfrozen(self: Any, *args: Any, **kwargs: Any) -> Any:
        if gc.get_freeze_count():
            gc.unfreeze()
        return load_model(self, *args, **kwargs)

    run.load_agent_on_start = load_then_freeze
    Agent.load_model = load_model_unfrozen


#: The patches that depend on Rasa's internals only, in the order they are installed.
RASA_PATCHES: tuple[Callable[[], None], ...] = (
    _tracker_store_sqlite_sync_normal,
    _tracker_store_session_query,
    _current_turn_to_action_server,
    _current_turn_to_nlg_server,
    _carried_forward_history,
    _windowed_policy_states,
    _tracker_copy_without_replay,
    _reuse_http_sessions,
    _close_http_sessions_at_shutdown,
    _sequential_graph_runs,
    _event_types_by_name,
    _contiguous_intent_weights,
    _sentence_features_only,
    _rule_states_read_once,
    _domain_emptiness_by_responses,
    _frozen_heap_after_model_load,
)
