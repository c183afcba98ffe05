"""Drive Rasa's `SQLTrackerStore` and `SessionSQLTrackerStore` through the same turns.

Runs inside `.venv-rasa` with Karmabot's patches installed (as `bot.rasa_server` runs Rasa);
tests/bot/test_rasa_sql_kept.py starts it and reads the report. Usage:

    sql_kept_check.py --dir DIR --out OUT.json

Each store has its own SQLite file. Every turn (tracker_store_check.py's multi-session
conversations) retrieves the tracker from each store, adds the turn's events and saves it; the
report holds what each then retrieves. Then two store objects on one file (two processes)
take turns with one learner, each followed by a turn that fails before saving; a row
written behind the store's back (another writer) must be seen; and a kept tracker saved
with a back-dated event must give what Rasa's store gives.
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
from tests.rasa.tracker_store_check import (  # noqa: E402
    LEARNERS,
    TURNS,
    take_turns,
    turn_events,
    view,
)


async def run(folder: Path) -> dict[str, Any]:
    from rasa.core.tracker_store import SQLTrackerStore
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.events import SlotSet

    from bot.rasa_sql_store import SessionSQLTrackerStore

    domain = Domain.load(str(PROJECT_ROOT / "domain.yml"))
    stock = SQLTrackerStore(domain, dialect="sqlite", db=str(folder / "stock.db"))
    ours = SessionSQLTrackerStore(domain, dialect="sqlite", db=str(folder / "ours.db"))
    ours.uncounted_saves = 0  # type: ignore[attr-defined]
    append = ours._append

    def counting(tracker: Any, stored: int, last_id: Any) -> bool:
        appended = append(tracker, stored, last_id)
        ours.uncounted_saves += appended and stored > 0  # type: ignore[attr-defined]
        return appended

    ours._append = counting  # type: ignore[method-assign]
    report: dict[str, Any] = {"turns": [], "served_kept": 0}
    for sender, sessions in LEARNERS.items():
        for session in range(sessions):
            for number in range(TURNS):
                row: dict[str, Any] = {"sender": sender, "session": session, "turn": number}
                for name, store in (("stock", stock), ("ours", ours)):
                    tracker = await store.get_or_create_tracker(sender, append_action_listen=False)
                    if name == "ours" and any(k.tracker is tracker for k in ours._kept.values()):
                        report["served_kept"] += 1
                    for event in turn_events(session, number):
                        tracker.update(event)
                    await store.save(tracker)
                    row[name] = view(await store.retrieve(sender))
                report["turns"].append(row)
    report["kept"] = sorted(ours._kept)
    report["rows"] = {name: stored_rows(folder / f"{name}.db") for name in ("stock", "ours")}

    # Two processes take turns with one learner; each turn is followed by one that fails.
    other = SessionSQLTrackerStore(domain, dialect="sqlite", db=str(folder / "ours.db"))
    report["alternating"] = await take_turns(stock, ours, other)
    # Another writer appends a row for a kept learner: the kept tracker is not served.
    kept_before = "asha" in ours._kept
    appended = await other.retrieve("asha")
    appended.update(SlotSet("course", "written-elsewhere"))
    await other.save(appended)
    report["other_writer"] = {"kept_before": kept_before,
                              "seen": view(await ours.retrieve("asha"))}  # fmt: skip
    report["back_dated"] = await back_dated(stock, ours)
    report["new_raced"] = await new_raced(domain, folder, ours, other)
    report["uncounted_saves"] = ours.uncounted_saves
    return report


async def new_raced(domain: Any, folder: Path, ours: Any, other: Any) -> dict[str, Any]:
    """A new learner found nothing stored, then another process stored a turn of theirs
    before this one saved its first: what is served must be what the database holds."""
    from rasa.shared.core.events import SlotSet

    from bot.rasa_sql_store import SessionSQLTrackerStore

    first = await ours.retrieve("zoe")
    elsewhere = await other.get_or_create_tracker("zoe", append_action_listen=False)
    elsewhere.update(SlotSet("course", "from-the-other-process"))
    await other.save(elsewhere)
    mine = await ours.create_tracker("zoe", append_action_listen=False)
    mine.update(SlotSet("name", "Zoe"))
    await ours.save(mine)
    fresh = SessionSQLTrackerStore(domain, dialect="sqlite", db=str(folder / "ours.db"))
    return {
        "first": first is None,
        "ours": view(await ours.retrieve("zoe")),
        "fresh": view(await fresh.retrieve("zoe")),
    }


def stored_rows(path: Path) -> list[dict[str, Any]]:
    """Every row of a store's `events` table in order, its timestamps checked and left out
    (each store made its own events: they differ only in time)."""
    import sqlite3

    rows = []
    with sqlite3.connect(path) as db:
        query = "SELECT sender_id, type_name, timestamp, intent_name, action_name, data "
        for sender, type_name, stamp, intent, action, data in db.execute(
            query + "FROM events ORDER BY id"
        ):
            event = json.loads(data)
            rows.append(
                {
                    "row": [sender, type_name, intent, action],
                    "timestamp_column_is_the_events": stamp == event.pop("timestamp", None),
                    "data": event,
                }
            )
    return rows


async def back_dated(stock: Any, ours: Any) -> list[dict[str, Any]]:
    """A kept tracker saved again with an event dated before its session started (as an
    import with its own times would): Rasa's store no longer returns that event from the
    session, so neither may ours; then an ordinary turn."""
    from rasa.shared.core.events import SlotSet

    rows = []
    for number in range(4):
        row: dict[str, Any] = {}
        for name, store in (("stock", stock), ("ours", ours)):
            tracker = await store.get_or_create_tracker("late", append_action_listen=False)
            if number == 2:
                tracker.update(SlotSet("course", "back-dated", timestamp=1.0))
            else:
                for event in turn_events(0, number):
                    tracker.update(event)
            row["kept_before"] = "late" in ours._kept
            await store.save(tracker)
            row[name] = view(await store.retrieve("late"))
        rows.append(row)
    return rows


def main() -> None:
    stock, argv = rasa_server.split_stock_flag(sys.argv[1:])
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    if not stock:
        rasa_server.install_patches(*rasa_server.installed_versions())
    report = asyncio.run(run(args.dir))
    args.out.write_text(json.dumps(report, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
