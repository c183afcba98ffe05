"""Short keys for button payloads that are too long for a channel.

Telegram's `callback_data` holds at most 64 bytes, and a Rasa payload such as
``/answer_quiz{"option":"b","step":"…/q3"}`` can be longer. A key is derived from the payload
itself, so the same payload always gets the same key (no duplicate rows, no coordination
between gateway processes), and it is kept in the learner store, so a button tapped days
later, after a restart, still works.
"""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from learning.channel_models import ButtonKeyRow
from learning.models import utcnow
from learning.store import insert_once

#: Keys start with this, so they can never be mistaken for a payload (payloads start with "/").
PREFIX = "k:"


def key_of(payload: str) -> str:
    """The key for a payload: "k:" and 20 base32 characters of its SHA-256 (100 bits)."""
    digest = hashlib.sha256(payload.encode("utf-8")).digest()
    return PREFIX + base64.b32encode(digest).decode("ascii")[:20].lower()


class ButtonKeys:
    """Payload ↔ key, remembered in the learner store.

    Args:
        sessions: The learner store.
        cache_size: How many recent keys to remember in memory.
    """

    def __init__(self, sessions: sessionmaker[Session], cache_size: int = 10_000) -> None:
        self._sessions = sessions
        self._stored = lru_cache(maxsize=cache_size)(self._store)
        self._found = lru_cache(maxsize=cache_size)(self._find)

    def key_for(self, payload: str) -> str:
        """A short key that `payload_for` turns back into `payload`."""
        return self._stored(payload)

    def payload_for(self, key: str) -> str | None:
        """The payload behind a key, or None for a key this store never issued."""
        if not key.startswith(PREFIX):
            return None
        return self._found(key)

    def _store(self, payload: str) -> str:
        key = key_of(payload)
        with self._sessions.begin() as session:
            insert_once(
                session, ButtonKeyRow, {"key": key, "payload": payload, "created_at": utcnow()}
            )
        return key

    def _find(self, key: str) -> str | None:
        with self._sessions() as session:
            return session.scalar(select(ButtonKeyRow.payload).filter_by(key=key))
