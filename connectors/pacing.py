"""Pacing unprompted sends to each channel's limit, shared by every worker.

A pacer hands out *slots*: evenly spaced send times, `1 / (rate × MARGIN)` seconds apart,
with no burst allowance (the generic cell rate algorithm, GCRA: each reservation takes the
channel's "theoretical arrival time" and moves it one interval on). Slots are reserved ahead
of time so the worker can commit its write-ahead mark while it waits and then send *at* the
slot: the time between being let through and reaching the channel no longer includes a
database commit, so even spacing at the worker stays even at the channel, and every
one-second window holds at most the limit.

With Redis configured, every worker reserves from one schedule per channel kept in Redis (a
short Lua script, atomic, timed by Redis's own clock), so two workers together still send at
most the channel's rate, evenly interleaved. Without Redis the schedule is in-process.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, Protocol

#: The share of the channel's limit the schedule aims at: a send reaches the channel a few
#: milliseconds after its slot, and the margin keeps any one-second window under the limit
#: despite that jitter (at 30/s the 31st send would need ~30 ms of it).
MARGIN = 0.96


class Pacer(Protocol):
    """Hands out each channel's send slots."""

    async def reserve(self, channel: str) -> float:
        """Reserve the channel's next slot; seconds from now until it (0: now)."""
        ...


def _intervals(rates: Mapping[str, float], margin: float) -> dict[str, float]:
    return {channel: 1.0 / (rate * margin) for channel, rate in rates.items() if rate > 0}


class LocalPacer:
    """In-process schedule: `rates` are messages per second per channel (0 or absent: no cap)."""

    def __init__(self, rates: Mapping[str, float], margin: float = MARGIN) -> None:
        self._interval = _intervals(rates, margin)
        self._next: dict[str, float] = {}

    async def reserve(self, channel: str) -> float:
        """The next slot of `channel`, as seconds from now."""
        interval = self._interval.get(channel)
        if interval is None:
            return 0.0
        now = time.monotonic()
        slot = max(self._next.get(channel, now), now)
        self._next[channel] = slot + interval
        return slot - now


#: KEYS[1]: the channel's schedule; ARGV[1]: the interval in µs. Returns µs until the slot.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local slot = tonumber(redis.call('GET', KEYS[1]) or '0')
if slot < now then slot = now end
local interval = tonumber(ARGV[1])
redis.call('SET', KEYS[1], string.format('%.0f', slot + interval), 'PX',
           math.ceil((slot + interval - now) / 1000) + 1000)
return slot - now
"""


class RedisPacer:
    """One schedule per channel in Redis, shared by every worker.

    Args:
        url: The Redis URL (the same as the scale profile's tracker and lock stores).
        rates: Messages per second per channel (0 or absent: no cap).
        prefix: Key prefix, so several deployments can share one Redis.
    """

    def __init__(
        self, url: str, rates: Mapping[str, float], prefix: str = "karmabot", margin: float = MARGIN
    ) -> None:
        from redis.asyncio import Redis

        self._redis: Any = Redis.from_url(url)
        self._script = self._redis.register_script(_RESERVE)
        self._interval = {
            channel: round(seconds * 1_000_000)
            for channel, seconds in _intervals(rates, margin).items()
        }
        self._prefix = prefix

    async def reserve(self, channel: str) -> float:
        """The next shared slot of `channel`, as seconds from now."""
        interval = self._interval.get(channel)
        if interval is None:
            return 0.0
        key = f"{self._prefix}:pace:{channel}"
        micros = await self._script(keys=[key], args=[interval])
        return max(0.0, int(micros) / 1_000_000)

    async def close(self) -> None:
        """Close the Redis connections."""
        await self._redis.aclose()


def pacer_for(redis_url: str | None, rates: Mapping[str, float]) -> Pacer:
    """The shared Redis pacer when Redis is configured, else the in-process one."""
    return RedisPacer(redis_url, rates) if redis_url else LocalPacer(rates)
