"""Run the Rasa CLI (`rasa run …`) with JSON-schema checks cached. Runs inside `.venv-rasa`.

Rasa 3.6 validates every action-server reply and every NLG reply with `jsonschema.validate`,
which first re-checks Rasa's own constant schema against the JSON-Schema meta-schema. That
re-check costs several milliseconds per call and dominated Rasa's CPU time per turn
(docs/PERFORMANCE.md). The replies themselves are still validated exactly as before; only the
check of a schema already found valid is remembered. SQLite tracker stores also get
``synchronous=NORMAL`` (see `_sqlite_sync_normal`), and calls to the action server and the NLG
endpoint reuse their HTTP connections (`_reuse_http_sessions`), the model graph runs without
dask's scheduler (`_sequential_graph_runs`), event classes are found by name in a table
(`_event_types_by_name`), and the intent classifier's weights are kept in the layout its
prediction reads (`_contiguous_intent_weights`). None of these changes what Rasa computes.

Usage: `.venv-rasa/bin/python -m bot.rasa_server run --model … --endpoints …`
"""

from __future__ import annotations

import json
import sys
from typing import Any


def _cached_validate() -> Any:
    """A drop-in `jsonschema.validate` that checks each distinct schema only once."""
    from jsonschema import exceptions, validators

    checked: set[str] = set()

    def validate(instance: Any, schema: Any, cls: Any = None, *args: Any, **kwargs: Any) -> None:
        if cls is None:
            cls = validators.validator_for(schema)
        key = json.dumps(schema, sort_keys=True, default=str)
        if key not in checked:
            cls.check_schema(schema)
            checked.add(key)
        error = exceptions.best_match(cls(schema, *args, **kwargs).iter_errors(instance))
        if error is not None:
            raise error

    return validate


def _sqlite_sync_normal() -> None:
    """Open SQLite tracker stores with ``synchronous=NORMAL``.

    The embedded tracker store runs SQLite in WAL mode (bot/stack.py), where NORMAL is
    crash-safe: a power cut can lose the last turns, but never corrupts the file. The default,
    FULL, fsyncs on every commit, several times per turn.
    """
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    def on_connect(connection: Any, record: Any) -> None:
        if type(connection).__module__.startswith("sqlite3"):
            cursor = connection.cursor()
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

    event.listen(Engine, "connect", on_connect)


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
    """
    import asyncio

    from rasa.utils.endpoints import EndpointConfig

    create = EndpointConfig.session
    sessions: dict[tuple[int, str, str, str], Any] = {}

    def session(self: EndpointConfig) -> Any:
        loop = asyncio.get_running_loop()
        auth = json.dumps(self.basic_auth, sort_keys=True, default=str)
        key = (id(loop), str(self.url), json.dumps(self.headers, sort_keys=True), auth)
        shared = sessions.get(key)
        if shared is None or shared.closed:
            shared = sessions[key] = create(self)
        return _Borrowed(shared)

    EndpointConfig.session = session


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

    def process_contiguous(self: Any, messages: Any) -> Any:
        coef = getattr(self.clf, "coef_", None)
        if coef is not None and not coef.flags.f_contiguous:
            self.clf.coef_ = np.asfortranarray(coef)
        return process(self, messages)

    LogisticRegressionClassifier.process = process_contiguous


def main() -> None:
    """Install the cached validator, then hand over to Rasa's own command line."""
    import jsonschema

    jsonschema.validate = _cached_validate()
    _sqlite_sync_normal()
    _reuse_http_sessions()
    _sequential_graph_runs()
    _event_types_by_name()
    _contiguous_intent_weights()
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
