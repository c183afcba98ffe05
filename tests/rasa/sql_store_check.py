"""Drive Rasa's `SQLTrackerStore` through multi-session conversations, patched or stock.

Runs inside `.venv-rasa`; tests/bot/test_rasa_sql_store.py runs it twice (with and without
`--stock`) on SQLite and on PostgreSQL and compares the reports. Usage:

    sql_store_check.py [--stock] --url sqlite:///F.db|postgresql://… --out OUT.json

Each learner has sessions of turns as Rasa's processor makes them (tracker_store_check.py's
turns); every turn retrieves the tracker, adds the turn's events and saves it. The report
holds, per turn, `retrieve` and `retrieve_full_tracker` (events and slots), the number of
rows stored, the patches installed, and the database's plan for reading a last session.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(PROJECT_ROOT))

from bot import rasa_server  # noqa: E402
from tests.rasa.tracker_store_check import LEARNERS, TURNS, turn_events, view  # noqa: E402


def store_for(url: str) -> Any:
    import sqlalchemy as sa
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain

    parsed = sa.engine.make_url(url)
    return SQLTrackerStore(
        Domain.load(str(PROJECT_ROOT / "domain.yml")), dialect=parsed.get_backend_name(),
        host=parsed.host, port=parsed.port, db=parsed.database or "",
        username=parsed.username, password=parsed.password,
    )  # fmt: skip


def plan(store: Any, sender: str) -> str:
    """The database's plan for the statement that reads a learner's last session."""
    import sqlalchemy as sa

    with store.session_scope() as session:
        query = store._event_query(session, sender, fetch_events_from_all_sessions=False)
        sql = str(query.statement.compile(store.engine, compile_kwargs={"literal_binds": True}))
        prefix = "EXPLAIN QUERY PLAN " if store.engine.dialect.name == "sqlite" else "EXPLAIN "
        rows = session.execute(sa.text(prefix + sql)).fetchall()
    return "\n".join(" ".join(str(c) for c in row) for row in rows)


async def run(url: str) -> dict[str, Any]:
    store = store_for(url)
    report: dict[str, Any] = {"turns": []}
    for sender, sessions in LEARNERS.items():
        for session in range(sessions):
            for number in range(TURNS):
                events = turn_events(session, number)
                tracker = await store.get_or_create_tracker(sender, append_action_listen=False)
                for event in events:
                    tracker.update(event)
                await store.save(tracker)
                with store.session_scope() as db:
                    rows = db.query(store.SQLEvent).filter_by(sender_id=sender).count()
                report["turns"].append({
                    "sender": sender, "session": session, "turn": number, "rows": rows,
                    "last": view(await store.retrieve(sender)),
                    "full": view(await store.retrieve_full_tracker(sender)),
                })  # fmt: skip
    report["nobody"] = view(await store.retrieve("nobody"))
    report["plan"] = plan(store, "meena")
    return report


def main() -> None:
    stock, argv = rasa_server.split_stock_flag(sys.argv[1:])
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    installed = [] if stock else rasa_server.install_patches(*rasa_server.installed_versions())
    report = asyncio.run(run(args.url)) | {"installed": installed}
    args.out.write_text(json.dumps(report, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
