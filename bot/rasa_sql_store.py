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
added to the tracker since (a turn that failed before saving). A tracker is kept only when it
is exactly the stored last session (its event count is the session's row count), so a turn
that started a new session, whose tracker still holds the one before, is read again next time.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker

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
        #: During a save (between its awaits): the kept tracker being saved again, and
        #: whether Rasa's count of the stored session was needed.
        self._saving: dict[str, _Kept] = {}
        self._counted: dict[str, bool] = {}

    def _last_id(self, session: Any, sender_id: str) -> int | None:
        """The id of the learner's newest stored event (the `sender_id` index, one probe)."""
        query = session.query(sa.func.max(self.SQLEvent.id))
        return query.filter(self.SQLEvent.sender_id == sender_id).scalar()

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The tracker of the conversation's last session (None for a new conversation)."""
        kept = self._kept.pop(sender_id, None)
        if kept is not None and len(kept.tracker.events) == kept.events:
            with self.session_scope() as session:
                if self._last_id(session, sender_id) == kept.last_id:
                    self._kept[sender_id] = kept
                    return kept.tracker
        return await super().retrieve(sender_id)

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Store the tracker's new events (as Rasa does), then keep it if it is exactly the
        stored last session.

        A kept tracker saved again needs no count of the stored session: the database still
        ends at its last row, so it holds the kept events, and when the new events start no
        session and none is older than the last stored one, the session is now exactly the
        tracker's events.
        """
        sender_id = tracker.sender_id
        kept = self._kept.pop(sender_id, None)
        if kept is not None and kept.tracker is tracker:
            self._saving[sender_id] = kept
        try:
            await super().save(tracker)
            counted = self._counted.pop(sender_id, True)
        finally:
            self._saving.pop(sender_id, None)
            self._counted.pop(sender_id, None)
        events = len(tracker.events)
        with self.session_scope() as session:
            last_id = self._last_id(session, sender_id)
            if counted or not _continues(tracker, kept.events if kept else 0):
                rows = self._event_query(
                    session, sender_id, fetch_events_from_all_sessions=False
                ).count()
            else:
                rows = events
        if last_id is not None and rows == events:
            self._kept[sender_id] = _Kept(tracker, events, last_id)
            while len(self._kept) > CACHED_TRACKERS:
                self._kept.popitem(last=False)

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator[Any]:
        """The tracker's events not stored yet: after the kept ones when the database still
        ends at the kept tracker's last row, else after as many as the stored session has
        (Rasa's count)."""
        kept = self._saving.get(tracker.sender_id)
        if kept is not None and self._last_id(session, tracker.sender_id) == kept.last_id:
            self._counted[tracker.sender_id] = False
            return iter(tail(tracker.events, kept.events))
        self._counted[tracker.sender_id] = True
        return super()._additional_events(session, tracker)


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
