"""Drive Rasa's `RedisTrackerStore` and `SessionRedisTrackerStore` through the same turns.

Runs inside `.venv-rasa`; tests/bot/test_rasa_tracker_store.py starts it and reads the report.
Usage:

    tracker_store_check.py --redis-db N --prefix P --out OUT.json

Each of several learners has sessions of turns as Rasa's processor makes them (session start
with a carried-over slot, user message, actions, bot messages, slots): each turn retrieves
the tracker from each store, adds the turn's events and saves it, as the processor does. The
report holds, per learner and turn, both stores' `retrieve` and `retrieve_full_tracker`
(events and slots), plus the conversion of a conversation stored by `RedisTrackerStore`,
the keys and expiry the new store left, and a tracker saved whole after a retrieve of all
sessions (as Rasa's HTTP API does).
"""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import Any

from rasa.core.tracker_store import RedisTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    BotUttered,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from redis_counting import commands

from bot.rasa_tracker_store import SessionRedisTrackerStore

LEARNERS = {"asha": 3, "ravi": 1, "meena": 5}  # sessions each
TURNS = 4


def session_start(language: str) -> list[Event]:
    return [ActionExecuted("action_session_start"), SessionStarted(),
            SlotSet("language", language), ActionExecuted("action_listen")]  # fmt: skip


def turn(session: int, number: int) -> list[Event]:
    text = f"message {number} of session {session}"
    intent = {"name": "ask_question", "confidence": 0.9}
    parse = {"intent": intent, "entities": [], "text": text,
             "intent_ranking": [intent, {"name": "greet", "confidence": 0.1}]}  # fmt: skip
    return [UserUttered(text, intent, [], parse),
            ActionExecuted("action_answer_question"),
            BotUttered(f"answer {number}", {"buttons": [{"title": "Next", "payload": "/next"}]}),
            SlotSet("course", f"course-{session}"),
            ActionExecuted("action_listen")]  # fmt: skip


def turn_events(session: int, number: int) -> list[Event]:
    """The events of one turn, with the session's start before its first turn."""
    return (session_start("hi") if number == 0 else []) + turn(session, number)


def view(tracker: Any) -> dict[str, Any] | None:
    if tracker is None:
        return None
    return {"events": [e.as_dict() for e in tracker.events],
            "slots": tracker.current_slot_values()}  # fmt: skip


async def take_turns(stock: Any, ours: Any, other: Any) -> list[dict[str, Any]]:
    """Two instances of a store (`ours`, `other`: two processes) take turns with one learner,
    each turn followed by one that fails before saving; `stock` gets the turns too. What each
    retrieves after every turn."""
    rows = []
    for number in range(6):
        events = turn_events(number // 3, number % 3)
        for name, store in (("stock", stock), ("ours", other if number % 2 else ours)):
            tracker = await store.get_or_create_tracker("zara", append_action_listen=False)
            for event in events:
                tracker.update(event)
            await store.save(tracker)
            if name == "ours":  # a failed turn: events added, never saved
                failed = await store.retrieve("zara")
                failed.update(SlotSet("course", "never-saved"))
        rows.append({name: view(await store.retrieve("zara")) for name, store in
                     (("stock", stock), ("ours", ours), ("other", other))})  # fmt: skip
    return rows


async def interleaved(stock: Any, ours: Any, other: Any) -> dict[str, Any]:
    """Two processes read the same tracker, then each saves a different turn: the second
    save finds Redis changed since its read and must add its turn after the first one."""
    views = {}
    for name, first, second in (("stock", stock, stock), ("ours", ours, other)):
        start = await first.get_or_create_tracker("yara", append_action_listen=False)
        for event in turn_events(0, 0):
            start.update(event)
        await first.save(start)
        one = await first.retrieve("yara")
        two = await second.retrieve("yara")
        for tracker, events, store in (
            (one, turn(0, 1), first),
            (two, session_start("ta") + turn(1, 0), second),
        ):
            for event in events:
                tracker.update(event)
            await store.save(tracker)
        views[name] = {"full": view(await first.retrieve_full_tracker("yara")),
                       "last": view(await first.retrieve("yara"))}  # fmt: skip
    return views


async def round_trips(store: Any) -> dict[str, list[str]]:
    """The commands of a new learner's first turn (it starts a session), the next turn (the
    tracker was not kept: it holds the session before), and the one after (kept)."""
    sent = commands(store)
    counted = {}
    for number, name in ((0, "first"), (1, "second"), (2, "kept")):
        del sent[:]
        tracker = await store.get_or_create_tracker("uma", append_action_listen=False)
        for event in turn_events(0, number):
            tracker.update(event)
        await store.save(tracker)
        counted[name] = list(sent)
    return counted


def kept_trackers(store: Any) -> list[str]:
    """The learners whose tracker the store keeps (not only what Redis held)."""
    return sorted(sender for sender, kept in store._kept.items() if kept.tracker is not None)


async def run(db: int, prefix: str) -> dict[str, Any]:
    domain = Domain.load("domain.yml")
    common = {"host": "127.0.0.1", "port": 6379, "db": db, "record_exp": 3600}
    stock = RedisTrackerStore(domain, key_prefix=f"{prefix}stock", **common)
    ours = SessionRedisTrackerStore(domain, key_prefix=f"{prefix}ours", **common)
    report: dict[str, Any] = {"turns": []}
    for sender, sessions in LEARNERS.items():
        for session in range(sessions):
            for number in range(TURNS):
                events = turn_events(session, number)
                row: dict[str, Any] = {"sender": sender, "session": session, "turn": number}
                for name, store in (("stock", stock), ("ours", ours)):
                    tracker = await store.get_or_create_tracker(sender, append_action_listen=False)
                    for event in events:
                        tracker.update(event)
                    await store.save(tracker)
                    last = view(await store.retrieve(sender))
                    row[name] = {
                        "last": last,
                        "full": view(await store.retrieve_full_tracker(sender)),
                    }
                report["turns"].append(row)

    report["kept"] = kept_trackers(ours)

    # Two processes (Sanic workers) take turns with one learner: each keeps the tracker it
    # saved, and must see the other's turns. A turn that fails before saving adds nothing.
    other = SessionRedisTrackerStore(domain, key_prefix=f"{prefix}ours", **common)
    report["alternating"] = await take_turns(stock, ours, other)
    report["kept_after_failures"] = kept_trackers(ours) + kept_trackers(other)
    report["interleaved"] = await interleaved(stock, ours, other)
    warm = SessionRedisTrackerStore(domain, key_prefix=f"{prefix}warm", **common)
    report["round_trips"] = await round_trips(warm)  # loads the scripts
    report["round_trips"] = await round_trips(
        SessionRedisTrackerStore(domain, key_prefix=f"{prefix}trips", **common)
    )

    # A whole tracker saved back (Rasa's HTTP API retrieves all sessions, appends, saves).
    for name, store in (("stock", stock), ("ours", ours)):
        tracker = await store.retrieve_full_tracker("asha")
        tracker.update(SlotSet("course", "appended-whole"))
        await store.save(tracker)
        report[f"whole_{name}"] = view(await store.retrieve_full_tracker("asha"))

    # A conversation left by RedisTrackerStore under our prefix is read once and converted.
    legacy = RedisTrackerStore(domain, key_prefix=f"{prefix}ours", **common)
    tracker = legacy.init_tracker("legacy")
    for session in range(2):
        for event in session_start("ta") + turn(session, 0):
            tracker.update(event)
    await legacy.save(tracker)
    report["legacy_before"] = view(await legacy.retrieve("legacy"))
    report["legacy_after"] = view(await ours.retrieve("legacy"))
    report["legacy_full"] = view(await ours.retrieve_full_tracker("legacy"))
    report["legacy_string_left"] = ours.red.exists(f"{prefix}ours:tracker:legacy")
    report["keys"] = sorted(await ours.keys())
    report["exists"] = [await ours.exists("asha"), await ours.exists("nobody")]
    report["ttl"] = ours.red.ttl(f"{prefix}ours:tracker:asha:events")
    report["stored_events"] = ours.red.llen(f"{prefix}ours:tracker:asha:events")
    report["session_start"] = ours.red.get(f"{prefix}ours:tracker:asha:session")
    return report


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--redis-db", type=int, required=True)
    parser.add_argument("--prefix", required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    report = asyncio.run(run(args.redis_db, args.prefix))
    args.out.write_text(json.dumps(report, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
