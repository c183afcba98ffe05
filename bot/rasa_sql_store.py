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
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker

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
        stored last session."""
        sender_id = tracker.sender_id
        self._kept.pop(sender_id, None)
        await super().save(tracker)
        with self.session_scope() as session:
            session_rows = self._event_query(
                session, sender_id, fetch_events_from_all_sessions=False
            ).count()
            last_id = self._last_id(session, sender_id)
        if last_id is not None and session_rows == len(tracker.events):
            self._kept[sender_id] = _Kept(tracker, len(tracker.events), last_id)
            while len(self._kept) > CACHED_TRACKERS:
                self._kept.popitem(last=False)
