"""Run messages through Rasa in one process, patched (bot/rasa_server.py) or with `--stock`.

Runs inside `.venv-rasa`; tests/bot/test_rasa_server.py starts it twice and compares the two
reports. Usage:

    .venv-rasa/bin/python tests/rasa/parity.py [--stock] --model M --endpoints E \
        --input IN.json --sender-prefix P --out OUT.json

IN.json holds ``{"nlu": [text, …], "conversations": {name: [text, …]}}``. The report holds
the NLU parse of each `nlu` text, and for each conversation (sender id P + name) the bot's
replies to each message and the tracker's events as stored in the tracker store. It also
records the tracker store's class and what the patches did: which were installed, the
``synchronous`` pragma on the tracker store's engine (SQL stores) and on another SQLite
engine, the tracker store's connection pool, and
the shared HTTP sessions open before and after a Rasa server app (built by
`rasa.core.run.configure_app`) stopped.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import socket
import sys
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(PROJECT_ROOT))

from bot import rasa_patches, rasa_server  # noqa: E402


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", required=True)
    parser.add_argument("--endpoints", required=True)
    parser.add_argument("--input", required=True, type=Path)
    parser.add_argument("--sender-prefix", default="")
    parser.add_argument("--out", required=True, type=Path)
    return parser.parse_args(argv)


def sqlite_synchronous(engine: Any) -> int:
    """The ``synchronous`` pragma of a new connection of `engine` (1 NORMAL, 2 FULL)."""
    with engine.connect() as connection:
        return int(connection.exec_driver_sql("PRAGMA synchronous").scalar())


def inner_tracker_store(store: Any) -> Any:
    """The tracker store inside Rasa's tracker store wrappers."""
    while hasattr(store, "_tracker_store"):
        store = store._tracker_store
    return store


async def shut_down_app() -> dict[str, int]:
    """Start and stop the Rasa server's Sanic app, built as `rasa run` builds it.

    Returns:
        How many shared HTTP sessions were open before the server stopped, and after.
    """
    import rasa.core.run

    app = rasa.core.run.configure_app(enable_api=False)
    # A socket bound to a free port: Sanic 21.12 reads port=0 as "unset" and binds 8000, which
    # the stock and patched runs (started together) then race for.
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    server = await app.create_server(sock=listener, return_asyncio_server=True)
    await server.startup()
    await server.before_start()
    await server.after_start()
    before = len(rasa_patches._sessions)
    await server.before_stop()
    server.close()
    await server.wait_closed()
    await server.after_stop()
    return {"before": before, "after": len(rasa_patches._sessions)}


async def run(args: argparse.Namespace, installed: list[str]) -> dict[str, Any]:
    import sqlalchemy
    from rasa.core.agent import load_agent
    from rasa.core.utils import AvailableEndpoints

    work = json.loads(args.input.read_text(encoding="utf-8"))
    agent = await load_agent(
        model_path=args.model, endpoints=AvailableEndpoints.read_endpoints(args.endpoints)
    )
    nlu = [await agent.parse_message(text) for text in work["nlu"]]
    conversations: dict[str, Any] = {}
    for name, messages in work["conversations"].items():
        sender = args.sender_prefix + name
        replies = [await agent.handle_text(text, sender_id=sender) for text in messages]
        tracker = await agent.tracker_store.retrieve(sender)
        events = [event.as_dict() for event in tracker.events]
        conversations[name] = {"replies": replies, "events": events}
    other = sqlalchemy.create_engine(f"sqlite:///{args.out.with_suffix('.other.db')}")
    store = inner_tracker_store(agent.tracker_store)
    engine = getattr(store, "engine", None)
    return {
        "installed": installed,
        "nlu": nlu,
        "conversations": conversations,
        "tracker_store": type(store).__name__,
        "synchronous": {
            "tracker_store": sqlite_synchronous(engine) if engine is not None else None,
            "other_engine": sqlite_synchronous(other),
        },
        "pool": type(engine.pool).__name__ if engine is not None else None,
        "sessions": await shut_down_app(),
    }


def main() -> None:
    stock, argv = rasa_server.split_stock_flag(sys.argv[1:])
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)
    installed = [] if stock else rasa_server.install_patches(*rasa_server.installed_versions())
    report = asyncio.run(run(args, installed))
    args.out.write_text(json.dumps(report, ensure_ascii=False, default=str), encoding="utf-8")


if __name__ == "__main__":
    main()
