"""A Redis lock store that takes and gives back a conversation's lock in one round trip each.

`.venv-rasa` only: Rasa loads it from endpoints.scale.yml
(`type: bot.rasa_lock_store.AtomicRedisLockStore`), its supported way to plug in a lock store.

Rasa 3.6's `RedisLockStore` keeps each conversation's `TicketLock` as a JSON string and edits
it from Python: issuing a ticket reads and writes the lock, acquiring reads it again, and
giving it back reads, writes, reads and deletes: seven round trips per message, each a
blocking call on the event loop. Two workers issuing tickets for one learner at the same
moment can both read the same lock and one ticket is lost (the read and the write are not
atomic). Here each step is one Lua script, so it is atomic and costs one round trip:

- `issue`: drops expired tickets, appends the next ticket (the number after the last one,
  0 for the first) and says whether it is first in line; the lock is then taken at once;
- `poll` (only while waiting): drops expired tickets and says whether the ticket is first,
  still waiting, or the lock is gone (then `LockError`, as in Rasa);
- `release`: removes the ticket and deletes the lock when no ticket is left.

The lock is the same JSON document under the same key as Rasa's (`<prefix>:lock:<id>`,
tickets as JSON strings with `number` and `expires`), so Rasa's `RedisLockStore` and this one
can serve side by side during an upgrade, and `get_lock`, `save_lock` and `delete_lock` are
Rasa's own. The key expires a minute after its last ticket would (Rasa's never expires; a
worker killed while holding a lock left the key behind).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Any

from rasa.core.lock import Ticket, TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore

from bot.rasa_tracker_store import flag

logger = logging.getLogger(__name__)

#: Seconds the lock key outlives its last ticket's expiry.
KEY_GRACE = 60

# Shared by the scripts: KEYS[1] is the lock, ARGV[1] the time now (seconds, the workers'
# clock, as Rasa's tickets use). Tickets are JSON strings inside the lock's JSON.
_LOAD = """
local function load(key, now)
  local raw = redis.call('GET', key)
  local lock = {conversation_id = ARGV[2], tickets = {}}
  if raw then lock = cjson.decode(raw) end
  local tickets = {}
  for _, text in ipairs(lock.tickets or {}) do
    local ticket = cjson.decode(text)
    if ticket.expires >= now then table.insert(tickets, ticket) end
  end
  return raw, lock, tickets
end
local function store(key, lock, tickets, now)
  if #tickets == 0 then redis.call('DEL', key) return end
  local texts, last = {}, now
  for i, ticket in ipairs(tickets) do
    texts[i] = cjson.encode(ticket)
    if ticket.expires > last then last = ticket.expires end
  end
  lock.tickets = texts
  redis.call('SET', key, cjson.encode(lock), 'EX', math.ceil(last - now) + tonumber(ARGV[3]))
end
"""
#: ARGV: now, conversation id, grace, lifetime → {ticket, 1 if first in line}.
_ISSUE = (
    _LOAD
    + """
local now = tonumber(ARGV[1])
local _, lock, tickets = load(KEYS[1], now)
local number = 0
if #tickets > 0 then number = tickets[#tickets].number + 1 end
table.insert(tickets, {number = number, expires = now + tonumber(ARGV[4])})
store(KEYS[1], lock, tickets, now)
if tickets[1].number == number then return {number, 1} end
return {number, 0}
"""
)
#: ARGV: now, conversation id, grace, ticket → 1 first in line, 0 waiting, -1 no lock.
_POLL = (
    _LOAD
    + """
local now = tonumber(ARGV[1])
local raw, lock, tickets = load(KEYS[1], now)
if not raw then return -1 end
store(KEYS[1], lock, tickets, now)
if #tickets == 0 then return -1 end
if tickets[1].number == tonumber(ARGV[4]) then return 1 end
return 0
"""
)
#: ARGV: now, conversation id, grace, ticket → how many tickets are left.
_RELEASE = (
    _LOAD
    + """
local now = tonumber(ARGV[1])
local raw, lock, tickets = load(KEYS[1], now)
if not raw then return 0 end
local left = {}
for _, ticket in ipairs(tickets) do
  if ticket.number ~= tonumber(ARGV[4]) then table.insert(left, ticket) end
end
store(KEYS[1], lock, left, now)
return #left
"""
)


class AtomicRedisLockStore(RedisLockStore):
    """Rasa's Redis ticket lock, each step one atomic Lua script (one round trip).

    Takes the settings of Rasa's `RedisLockStore` from the endpoint (url as the host, port,
    db, username, password, use_ssl, the certificate paths, key_prefix, socket_timeout).
    """

    def __init__(self, endpoint_config: Any = None, **kwargs: Any) -> None:
        settings = dict(getattr(endpoint_config, "kwargs", None) or {}) | kwargs
        host = getattr(endpoint_config, "url", None) or settings.pop("host", "localhost")
        settings.pop("type", None)
        super().__init__(
            host=host,
            port=int(settings.pop("port", 6379) or 6379),
            db=int(settings.pop("db", 1) or 0),
            username=settings.pop("username", None) or None,
            password=settings.pop("password", None) or None,
            use_ssl=flag(settings.pop("use_ssl", False)),
            **settings,
        )
        self._issue = self.red.register_script(_ISSUE)
        self._poll = self.red.register_script(_POLL)
        self._release = self.red.register_script(_RELEASE)

    def _call(self, script: Any, conversation_id: str, value: float) -> Any:
        key = self.key_prefix + conversation_id
        return script(keys=[key], args=[repr(time.time()), conversation_id, KEY_GRACE, value])

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        """Issue the next ticket for the conversation's lock (created when there is none)."""
        return int(self._issued(conversation_id, lock_lifetime)[0])

    def _issued(self, conversation_id: str, lock_lifetime: float) -> tuple[int, bool]:
        try:
            number, first = self._call(self._issue, conversation_id, float(lock_lifetime))
        except Exception as error:  # Rasa raises LockError for any failure to issue
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error
        return int(number), bool(first)

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = 1,
    ) -> AsyncGenerator[TicketLock, None]:
        """Hold the conversation's lock: at once when no one is ahead, else when it is our
        turn (checked every `wait_time_in_seconds`); `LockError` if the lock expires."""
        ticket, first = self._issued(conversation_id, lock_lifetime)
        try:
            while not first:
                await asyncio.sleep(wait_time_in_seconds)
                state = int(self._call(self._poll, conversation_id, ticket))
                if state < 0:
                    raise LockError(
                        f"Could not acquire lock for conversation_id '{conversation_id}'."
                    )
                first = state == 1
            held = Ticket(ticket, time.time() + float(lock_lifetime))
            yield TicketLock(conversation_id, deque([held]))
        finally:
            self.cleanup(conversation_id, ticket)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Give the ticket back; the lock is deleted when no one else holds a ticket."""
        left = int(self._call(self._release, conversation_id, ticket_number))
        if not left:
            self._log_deletion(conversation_id, True)
