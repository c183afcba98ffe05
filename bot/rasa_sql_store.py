"""Rasa's SQL tracker store, keeping in each process the trackers it saved.

`.venv-rasa` only: Rasa loads it from endpoints.yml
(`type: bot.rasa_sql_store.SessionSQLTrackerStore`), its supported way to plug in a tracker
store. It is Rasa's `SQLTrackerStore` (with bot/rasa_patches.py's indexed session query)
plus what `bot.rasa_tracker_store.SessionRedisTrackerStore` does for the scale profile:

Every turn, `SQLTrackerStore.retrieve` reads the learner's last session from the database and
replays every event of it into a new tracker, so within one long session a turn costs more
with each earlier one (14× after 1,000 turns, docs/PERFORMANCE.md). Here `save` keeps the
tracker it stored, with the id of the last stored row; `retrieve` returns the kept tracker
without reading or replaying when the database still ends at that row for the learner (one
probe of the `sender_id` index: any other writer, or an import, changes it) and nothing was
added to the tracker since (a turn that failed before saving). A tracker is kept when it is
exactly the stored last session (its event count is the session's row count); after a turn
that started a new session, whose tracker still holds the one before, what is kept is the
new session's events replayed from their stored JSON, the tracker Rasa's `retrieve` builds.

A kept tracker saved again is appended in one transaction with SQLAlchemy Core (the newest
row checked, the new events inserted as one `executemany`, the newest row read back), rows
filled as Rasa fills them; Rasa's own save (an ORM session, the stored session counted)
remains for every other tracker.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from bot.rasa_history import tail

#: Trackers each process keeps after saving them (a learner's turns usually come in a row).
CACHED_TRACKERS = 512


@dataclass(frozen=True)
class _Kept:
    """A tracker as saved: its event count then, and the learner's last row id after it."""

    tracker: DialogueStateTracker
    events: int
    last_id: int


class SessionSQLTrackerStore(SQLTrackerStore):
    """`SQLTrackerStore` (same settings) whose saved trackers are served again while the
    database holds exactly what was saved."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._kept: OrderedDict[str, _Kept] = OrderedDict()
        #: Learners whose `retrieve` found no stored event (their first save appends too).
        self._new: OrderedDict[str, bool] = OrderedDict()
        table = self.SQLEvent.__table__
        self._insert = table.insert()
        self._newest = sa.select(sa.func.max(table.c.id)).where(
            table.c.sender_id == sa.bindparam("sender_id")
        )

    def _last_id(self, connection: Any, sender_id: str) -> int | None:
        """The id of the learner's newest stored event (the `sender_id` index, one probe)."""
        return connection.execute(self._newest, {"sender_id": sender_id}).scalar()

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The tracker of the conversation's last session (None for a new conversation)."""
        kept = self._kept.pop(sender_id, None)
        if kept is not None and len(kept.tracker.events) != kept.events:
            kept = None  # it grew since it was saved: a turn that failed before saving
        if kept is None and self.domain is None:
            return await super().retrieve(sender_id)
        with self.engine.connect() as connection:
            last_id = self._last_id(connection, sender_id)
        if kept is not None and last_id == kept.last_id:
            self._kept[sender_id] = kept
            return kept.tracker
        if last_id is None and self.domain is not None:  # Rasa's read would find nothing
            self._new[sender_id] = True
            while len(self._new) > CACHED_TRACKERS:
                self._new.popitem(last=False)
            return None
        return await super().retrieve(sender_id)

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Store the tracker's new events, then keep it if it is exactly the stored last
        session.

        A kept tracker saved again, while the database still ends at its last row, gets its
        new events appended in one transaction with no count of the stored session: when they
        start no session and none is older than the last stored one, the session is now
        exactly the tracker's events. So does a new learner's tracker while the database still
        holds no event of theirs. Any other tracker is saved as Rasa saves it.
        """
        sender_id = tracker.sender_id
        kept = self._kept.pop(sender_id, None)
        new = self._new.pop(sender_id, False)
        if kept is not None and kept.tracker is tracker:
            stored, last_id = kept.events, kept.last_id
        elif new:
            stored, last_id = 0, None
        else:
            await self._save_as_rasa(tracker, stream=True)
            return
        await self.stream_events(tracker)
        if not self._append(tracker, stored, last_id):
            await self._save_as_rasa(tracker, stream=False)

    def _append(self, tracker: DialogueStateTracker, stored: int, last_id: int | None) -> bool:
        """Append the events after the first `stored` in one transaction; False (nothing
        written) when the learner's newest stored row is no longer `last_id`."""
        sender_id, events = tracker.sender_id, len(tracker.events)
        with self.engine.begin() as connection:
            if self._last_id(connection, sender_id) != last_id:
                return False
            rows = [_row(sender_id, event) for event in tail(tracker.events, stored)]
            if rows:
                connection.execute(self._insert, rows)
            newest = self._last_id(connection, sender_id)
        if stored and _continues(tracker, stored):
            self._keep(tracker, events, newest)
        elif not stored:  # every stored row of the learner is the tracker's
            stamps = [event.timestamp for event in _last_session(tracker)]
            self._keep_stored(tracker, stamps, newest)
        else:
            self._keep_if_session(tracker)
        return True

    async def _save_as_rasa(self, tracker: DialogueStateTracker, stream: bool) -> None:
        """Rasa's save (the stored session counted), then keep the tracker if it is exactly
        the stored last session."""
        if stream:
            await super().save(tracker)
        else:  # the events went to the broker already
            with self.session_scope() as session:
                for event in self._additional_events(session, tracker):
                    session.add(self.SQLEvent(**_row(tracker.sender_id, event)))
                session.commit()
        self._keep_if_session(tracker)

    def _keep_if_session(self, tracker: DialogueStateTracker) -> None:
        """Keep the tracker if the stored last session is its events (the same times in the
        same order: a row another process wrote in between differs); if the turn started a
        session, keep that session as Rasa's `retrieve` would build it."""
        with self.session_scope() as session:
            last_id = self._last_id(session, tracker.sender_id)
            query = self._event_query(
                session, tracker.sender_id, fetch_events_from_all_sessions=False
            )
            stamps = [row.timestamp for row in query.with_entities(self.SQLEvent.timestamp)]
        self._keep_stored(tracker, stamps, last_id)

    def _keep_stored(
        self, tracker: DialogueStateTracker, stamps: list[float], last_id: int | None
    ) -> None:
        """Keep what Rasa's `retrieve` returns when the stored last session has the events
        timed `stamps`: the tracker itself, or the session it started, replayed."""
        if stamps == [event.timestamp for event in tracker.events]:
            self._keep(tracker, len(stamps), last_id)
        elif 0 < len(stamps) < len(tracker.events) and self.domain is not None:
            last = _last_session(tracker)
            if stamps == [event.timestamp for event in last]:
                self._keep(self._replayed(tracker.sender_id, last), len(stamps), last_id)

    def _replayed(self, sender_id: str, events: list[Event]) -> DialogueStateTracker:
        """The tracker Rasa's `retrieve` builds from these stored events (their JSON)."""
        assert self.domain is not None
        stored = [json.loads(json.dumps(event.as_dict())) for event in events]
        return DialogueStateTracker.from_dict(sender_id, stored, self.domain.slots)

    def _keep(self, tracker: DialogueStateTracker, events: int, last_id: int | None) -> None:
        if last_id is None:
            return
        self._kept[tracker.sender_id] = _Kept(tracker, events, last_id)
        while len(self._kept) > CACHED_TRACKERS:
            self._kept.popitem(last=False)


def _row(sender_id: str, event: Event) -> dict[str, Any]:
    """An event as a row of Rasa's `events` table, columns filled as `SQLTrackerStore.save`
    fills them."""
    data = event.as_dict()
    return {
        "sender_id": sender_id,
        "type_name": event.type_name,
        "timestamp": data.get("timestamp"),
        "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
        "action_name": data.get("name"),
        "data": json.dumps(data),
    }


def _last_session(tracker: DialogueStateTracker) -> list[Event]:
    """The tracker's events that Rasa's session query selects when they are all the stored
    rows: those at or after the newest `session_started`'s time (all when there is none)."""
    starts = [e.timestamp for e in tracker.events if isinstance(e, SessionStarted)]
    if not starts:
        return list(tracker.events)
    start = max(starts)
    return [e for e in tracker.events if e.timestamp >= start]


def _continues(tracker: DialogueStateTracker, stored: int) -> bool:
    """Whether the events after the first `stored` start no session and none is older than
    the last stored event (so the stored session grew by exactly them)."""
    if stored == 0:
        return False
    previous = tracker.events[stored - 1].timestamp
    for event in tail(tracker.events, stored):
        if isinstance(event, SessionStarted) or event.timestamp < previous:
            return False
        previous = event.timestamp
    return True
