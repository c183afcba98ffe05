"""A Redis tracker store whose cost per turn does not grow with the learner's history.

`.venv-rasa` only: Rasa loads it from endpoints.scale.yml
(`type: bot.rasa_tracker_store.SessionRedisTrackerStore`), its supported way to plug in a
tracker store; nothing in Rasa is patched.

Rasa 3.6's `RedisTrackerStore` keeps a conversation as one JSON document. Every turn it reads
and replays all of it (every session the learner ever had) to return the last session, and
every save reads and replays it again, then merges by comparing each new event with every
stored one, and writes the whole document back. A learner's hundredth session costs a hundred
times the first. Here the events are a Redis list, one JSON event per item, and a second key
holds where the last session starts:

- `retrieve` reads the last session's events only (one Lua call, which also says how many
  events are stored and whether a conversation stored whole waits to be converted), as
  `RedisTrackerStore` returns them: the events from the last `action_session_start`, replayed
  on the domain's slots (carried-over slots are `slot` events inside the session);
- `save` appends only the events after the last stored one (found from the end of the
  tracker, so it is usually the last few), moves the session start when one of them starts a
  session, and renews the expiry: cost proportional to the turn, not to the history. It is
  one Lua call that appends only if Redis still holds what this process last read or wrote
  (the count and the last event); if another worker wrote meanwhile, the stored tail is read
  and the save is made after it. A turn costs two round trips (Rasa's store: two, each
  moving the whole history; this store before: three to five);
- a conversation stored by `RedisTrackerStore` under the same prefix is read once and
  converted (an upgrade does not reset learners' conversations);
- each process keeps the trackers it saved last (`CACHED_TRACKERS`, least recently used go
  first). `retrieve` returns the kept one, without reading or replaying the session, when
  Redis still holds exactly what it saved (the stored count and the last event, read in one
  round trip: another worker's turn or an expiry changes them) and nothing was added to it
  since (a turn that failed before saving). A turn that started a session is not kept: the
  tracker then holds the session before it too, which a read from Redis would not return.
"""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from rasa.core.tracker_store import TrackerStore
from rasa.shared.core.constants import ACTION_SESSION_START_NAME
from rasa.shared.core.trackers import DialogueStateTracker

logger = logging.getLogger(__name__)

#: The prefix `RedisTrackerStore` puts after the configured one (and alone without one).
TRACKER = "tracker:"
#: The last session's events: LRANGE from the stored start (0 when none) to the end, after
#: how many events are stored and whether a conversation stored whole (KEYS[3]) exists.
_LAST_SESSION = """
local start = tonumber(redis.call('GET', KEYS[2]) or '0')
local items = redis.call('LRANGE', KEYS[1], start, -1)
table.insert(items, 1, redis.call('EXISTS', KEYS[3]))
table.insert(items, 1, redis.call('LLEN', KEYS[1]))
return items
"""
#: Append ARGV[5..] when the list still holds ARGV[1] events ending with ARGV[2]; set the
#: session start to ARGV[3] (unless empty) and the expiry to ARGV[4] seconds (unless 0).
#: Returns the new length, or -1 (nothing written) when the list changed meanwhile.
_APPEND_IF_UNCHANGED = """
local stored = redis.call('LLEN', KEYS[1])
if stored ~= tonumber(ARGV[1]) then return -1 end
if stored > 0 and redis.call('LINDEX', KEYS[1], -1) ~= ARGV[2] then return -1 end
for i = 5, #ARGV, 1000 do
  redis.call('RPUSH', KEYS[1], unpack(ARGV, i, math.min(i + 999, #ARGV)))
end
if ARGV[3] ~= '' then redis.call('SET', KEYS[2], ARGV[3]) end
local seconds = tonumber(ARGV[4])
if seconds > 0 then
  redis.call('EXPIRE', KEYS[1], seconds)
  redis.call('EXPIRE', KEYS[2], seconds)
end
return stored + #ARGV - 4
"""


#: Trackers each process keeps after saving them (a learner's turns usually come in a row).
CACHED_TRACKERS = 512


@dataclass(frozen=True)
class _Kept:
    """What Redis held when this process last read or wrote a conversation (the count and
    the last event as stored), and the tracker as saved with its event count then (None
    when only the tail is known: read from Redis, or a turn that started a session)."""

    tracker: DialogueStateTracker | None
    events: int
    stored: int
    last: str | None


def _starts_session(event: dict[str, Any]) -> bool:
    return event.get("event") == "action" and event.get("name") == ACTION_SESSION_START_NAME


def flag(value: Any) -> bool:
    """A YAML or environment switch: true, "true", "1", "yes" are on; "", "false" are off."""
    return value is True or str(value).strip().lower() in ("true", "1", "yes", "on")


def _as_stored(event: dict[str, Any]) -> Any:
    """An event as it reads back from Redis (tuples become lists), for comparing."""
    return json.loads(json.dumps(event))


def _newer(events: Sequence[Any], last: dict[str, Any] | None) -> list[dict[str, Any]] | None:
    """The events after the one equal to `last` (all when `last` is None), as dicts, found
    from the end (a save costs the turn, not the session); None when none equals it."""
    if last is None:
        return [event.as_dict() for event in events]
    newer: list[dict[str, Any]] = []
    for event in reversed(events):
        event_dict = event.as_dict()
        if _as_stored(event_dict) == last:
            return newer[::-1]
        newer.append(event_dict)
    return None


class SessionRedisTrackerStore(TrackerStore):
    """Conversations as Redis lists of events; reads and writes touch the last session only.

    Takes the same settings as Rasa's `RedisTrackerStore` (host, port, db, username,
    password, use_ssl and the certificate paths, key_prefix, record_exp).
    """

    def __init__(
        self,
        domain: Any = None,
        host: str = "localhost",
        port: int = 6379,
        db: int = 0,
        username: str | None = None,
        password: str | None = None,
        event_broker: Any = None,
        record_exp: float | None = None,
        key_prefix: str | None = None,
        use_ssl: bool | str = False,
        ssl_keyfile: str | None = None,
        ssl_certfile: str | None = None,
        ssl_ca_certs: str | None = None,
        **kwargs: Any,
    ) -> None:
        import redis

        self.red = redis.StrictRedis(
            host=host, port=int(port), db=int(db), username=username or None,
            password=password or None,
            ssl=flag(use_ssl), ssl_keyfile=ssl_keyfile, ssl_certfile=ssl_certfile,
            ssl_ca_certs=ssl_ca_certs, decode_responses=True,
        )  # fmt: skip
        self.record_exp = record_exp
        if key_prefix and not key_prefix.isalnum():
            logger.warning("ignoring the non-alphanumeric Redis key prefix %r", key_prefix)
            key_prefix = None
        self.key_prefix = f"{key_prefix}:{TRACKER}" if key_prefix else TRACKER
        self._last_session = self.red.register_script(_LAST_SESSION)
        self._append_if_unchanged = self.red.register_script(_APPEND_IF_UNCHANGED)
        self._kept: OrderedDict[str, _Kept] = OrderedDict()
        super().__init__(domain, event_broker, **kwargs)

    # -- keys ---------------------------------------------------------------------------

    def _events_key(self, sender_id: str) -> str:
        return f"{self.key_prefix}{sender_id}:events"

    def _start_key(self, sender_id: str) -> str:
        return f"{self.key_prefix}{sender_id}:session"

    def _legacy_key(self, sender_id: str) -> str:
        return f"{self.key_prefix}{sender_id}"

    # -- reading ------------------------------------------------------------------------

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The tracker of the conversation's last session (None for a new conversation)."""
        kept = self._kept.pop(sender_id, None)
        if kept is not None and kept.tracker and len(kept.tracker.events) == kept.events:
            stored, last = self._tail_raw(sender_id)
            if (stored, last) == (kept.stored, kept.last):
                self._kept[sender_id] = kept
                return kept.tracker
        stored, legacy, items = self._read_last_session(sender_id)
        if legacy and not stored and self._convert(sender_id):
            stored, _, items = self._read_last_session(sender_id)
        self._remember(sender_id, None, stored, items[-1] if items else None)
        if not stored:
            return None
        return self._tracker(sender_id, [json.loads(item) for item in items])

    def _read_last_session(self, sender_id: str) -> tuple[int, bool, list[str]]:
        """How many events are stored, whether a whole-stored conversation waits to be
        converted, and the last session's events as stored (one round trip)."""
        keys = [self._events_key(sender_id), self._start_key(sender_id)]
        stored, legacy, *items = self._last_session(keys=[*keys, self._legacy_key(sender_id)])
        return int(stored), bool(legacy), items

    def _remember(
        self,
        sender_id: str,
        tracker: DialogueStateTracker | None,
        stored: int,
        last: str | None,
    ) -> None:
        """Keep what Redis holds now (the next save appends after it in one round trip if
        it still holds) and the tracker, if any (the next retrieve may return it)."""
        events = len(tracker.events) if tracker is not None else 0
        self._kept[sender_id] = _Kept(tracker, events, stored, last)
        self._kept.move_to_end(sender_id)
        while len(self._kept) > CACHED_TRACKERS:
            self._kept.popitem(last=False)

    async def retrieve_full_tracker(self, sender_id: str) -> DialogueStateTracker | None:
        """The tracker of every session of the conversation."""
        items = self.red.lrange(self._events_key(sender_id), 0, -1)
        if not items and not self._convert(sender_id):
            return None
        items = items or self.red.lrange(self._events_key(sender_id), 0, -1)
        return self._tracker(sender_id, [json.loads(item) for item in items])

    async def exists(self, conversation_id: str) -> bool:
        """Whether the conversation is stored (in either layout)."""
        keys = (self._events_key(conversation_id), self._legacy_key(conversation_id))
        return bool(self.red.exists(*keys))

    async def keys(self) -> Iterable[str]:
        """The sender ids of the stored conversations."""
        suffix = ":events"
        found = self.red.scan_iter(match=f"{self.key_prefix}*{suffix}", count=1000)
        return [key[len(self.key_prefix) : -len(suffix)] for key in found]

    def _tracker(self, sender_id: str, events: list[dict[str, Any]]) -> DialogueStateTracker:
        slots = self.domain.slots if self.domain is not None else []
        return DialogueStateTracker.from_dict(
            sender_id, events, slots, max_event_history=self.max_event_history
        )

    # -- writing ------------------------------------------------------------------------

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Append the tracker's events that are not stored yet.

        When this process read or wrote the conversation last, its new events are appended
        in one round trip, on condition that Redis still holds what it held then (another
        worker's turn or an expiry changes it); otherwise the stored tail is read first.
        """
        await self.stream_events(tracker)
        sender_id = tracker.sender_id
        kept = self._kept.pop(sender_id, None)
        if kept is not None and self._append_after(tracker, kept.stored, kept.last):
            return
        stored, last = self._tail(sender_id)
        if not stored and self._convert(sender_id):
            stored, last = self._tail(sender_id)
        new = self._after(tracker.events, last, sender_id)
        added = self._append(sender_id, stored, new)
        self._saved(tracker, stored, new, added)

    def _append_after(self, tracker: DialogueStateTracker, stored: int, last: str | None) -> bool:
        """Append the tracker's events after `last` if Redis still holds `stored` events
        ending with it; whether it did (one round trip)."""
        new = _newer(tracker.events, json.loads(last) if last else None)
        sender_id = tracker.sender_id
        if new is None:  # the tracker does not hold the last stored event
            return False
        if not new:  # nothing to add (Rasa saves a new learner's empty tracker first)
            self._remember(sender_id, None, stored, last)
            return True
        starts = [stored + i for i, event in enumerate(new) if _starts_session(event)]
        items = [json.dumps(event) for event in new]
        args: list[str | int] = [stored, last or "", starts[-1] if starts else ""]
        args.append(int(self.record_exp or 0))
        keys = [self._events_key(sender_id), self._start_key(sender_id)]
        if int(self._append_if_unchanged(keys=keys, args=[*args, *items])) < 0:
            return False
        self._saved(tracker, stored, new, items)
        return True

    def _saved(
        self,
        tracker: DialogueStateTracker,
        stored: int,
        new: Sequence[dict[str, Any]],
        added: Sequence[str],
    ) -> None:
        """Keep the tracker (unless its turn started a session), or at least the tail."""
        if not new:
            return
        starts = any(_starts_session(event) for event in new)
        kept = None if starts else tracker
        self._remember(tracker.sender_id, kept, stored + len(new), added[-1])

    def _tail_raw(self, sender_id: str) -> tuple[int, str | None]:
        """How many events are stored, and the last of them as stored."""
        events_key = self._events_key(sender_id)
        with self.red.pipeline() as pipe:
            pipe.llen(events_key)
            pipe.lindex(events_key, -1)
            stored, last = pipe.execute()
        return int(stored or 0), last

    def _tail(self, sender_id: str) -> tuple[int, dict[str, Any] | None]:
        """How many events are stored, and the last of them."""
        stored, last = self._tail_raw(sender_id)
        return stored, (json.loads(last) if last else None)

    def _after(
        self, tracker_events: Sequence[Any], last: dict[str, Any] | None, sender_id: str
    ) -> list[dict[str, Any]]:
        """The tracker's events after the last stored one, as dicts; all of them when nothing
        is stored. They are converted from the end until the last stored one is met, so a save
        costs the turn, not the session. A tracker that does not hold the last stored event
        (another process wrote meanwhile, or the tracker was built elsewhere) adds what the
        last session does not have yet."""
        newer = _newer(tracker_events, last)
        if newer is not None:
            return newer
        _, _, items = self._read_last_session(sender_id)
        session = [json.loads(item) for item in items]
        every = [event.as_dict() for event in tracker_events]
        return [event for event in every if _as_stored(event) not in session]

    def _append(self, sender_id: str, stored: int, events: Sequence[dict[str, Any]]) -> list[str]:
        """Store `events` after the `stored` ones; the JSON items pushed."""
        events_key, start_key = self._events_key(sender_id), self._start_key(sender_id)
        starts = [stored + i for i, event in enumerate(events) if _starts_session(event)]
        items = [json.dumps(event) for event in events]
        with self.red.pipeline() as pipe:
            if items:
                pipe.rpush(events_key, *items)
            if starts:
                pipe.set(start_key, starts[-1])
            if self.record_exp:
                pipe.expire(events_key, int(self.record_exp))
                pipe.expire(start_key, int(self.record_exp))
            pipe.execute()
        return items

    def _convert(self, sender_id: str) -> bool:
        """Move a conversation stored whole by `RedisTrackerStore` into the list; whether
        there was one."""
        stored = self.red.get(self._legacy_key(sender_id))
        if stored is None:
            return False
        events = json.loads(stored).get("events", [])  # `Dialogue.as_dict()`
        self._append(sender_id, 0, events)
        self.red.delete(self._legacy_key(sender_id))
        logger.info("converted the stored conversation of %s (%d events)", sender_id, len(events))
        return True
