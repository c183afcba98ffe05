"""Run the Rasa CLI (`rasa run …`) with JSON-schema checks cached. Runs inside `.venv-rasa`.

Rasa 3.6 validates every action-server reply and every NLG reply with `jsonschema.validate`,
which first re-checks Rasa's own constant schema against the JSON-Schema meta-schema. That
re-check costs several milliseconds per call and dominated Rasa's CPU time per turn
(docs/PERFORMANCE.md). The replies themselves are still validated exactly as before; only the
check of a schema already found valid is remembered. SQLite tracker stores also get
``synchronous=NORMAL`` (see `_sqlite_sync_normal`), and calls to the action server and the NLG
endpoint reuse their HTTP connections (see `_reuse_http_sessions`).

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


def main() -> None:
    """Install the cached validator, then hand over to Rasa's own command line."""
    import jsonschema

    jsonschema.validate = _cached_validate()
    _sqlite_sync_normal()
    _reuse_http_sessions()
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
