"""Pacing unprompted sends to each channel's limit, shared by every worker.

Each worker spaces its sends evenly (`aiolimiter` with room for one: no bursts) a little under
the limit (`MARGIN`), because a send reaches the channel a few milliseconds after it was let
through and even spacing keeps every one-second window under the limit. With Redis configured,
all workers also draw from one moving one-second window per channel in Redis (the `limits`
library), so two workers together still send at most the channel's rate.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Protocol

from aiolimiter import AsyncLimiter


class Pacer(Protocol):
    """Waits until one more message may go to a channel."""

    async def acquire(self, channel: str) -> None: ...


#: The share of the channel's limit a worker's even spacing aims at, and the share the shared
#: Redis window allows (sends reach the channel a few milliseconds after they are let through).
MARGIN = 0.97
SHARED_MARGIN = 0.97


class LocalPacer:
    """In-process pacing: `rates` are messages per second per channel (0 or absent: no cap)."""

    def __init__(self, rates: Mapping[str, float], margin: float = MARGIN) -> None:
        self._limiters = {
            channel: AsyncLimiter(2, 2.0 / (rate * margin))  # room for two: even, not bursty
            for channel, rate in rates.items()
            if rate > 0
        }

    async def acquire(self, channel: str) -> None:
        """Wait for this channel's next slot."""
        limiter = self._limiters.get(channel)
        if limiter is not None:
            await limiter.acquire()


class RedisPacer:
    """Pacing shared through Redis: a moving one-second window per channel.

    Args:
        url: The Redis URL (the same as the scale profile's tracker and lock stores).
        rates: Messages per second per channel (0 or absent: no cap).
        prefix: Key prefix, so several deployments can share one Redis.
    """

    def __init__(self, url: str, rates: Mapping[str, float], prefix: str = "karmabot") -> None:
        from limits import RateLimitItemPerSecond
        from limits.aio.storage import RedisStorage
        from limits.aio.strategies import MovingWindowRateLimiter

        uri = url.replace("redis://", "async+redis://", 1)
        self._storage = RedisStorage(uri, key_prefix=prefix, implementation="redispy")
        self._limiter = MovingWindowRateLimiter(self._storage)
        self._spacing = LocalPacer(rates)
        self._items = {
            channel: RateLimitItemPerSecond(max(1, int(rate * SHARED_MARGIN)))
            for channel, rate in rates.items()
            if rate > 0
        }

    async def acquire(self, channel: str) -> None:
        """Wait until the shared window has room for one more message to `channel`."""
        item = self._items.get(channel)
        if item is None:
            return
        await self._spacing.acquire(channel)
        while not await self._limiter.hit(item, "send", channel):
            stats = await self._limiter.get_window_stats(item, "send", channel)
            await asyncio.sleep(max(0.005, stats.reset_time - time.time()))


def pacer_for(redis_url: str | None, rates: Mapping[str, float]) -> Pacer:
    """The shared Redis pacer when Redis is configured, else the in-process one."""
    return RedisPacer(redis_url, rates) if redis_url else LocalPacer(rates)
