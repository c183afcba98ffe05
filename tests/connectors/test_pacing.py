"""Send pacing: evenly spaced slots, no burst at the start, one schedule shared through Redis."""

from __future__ import annotations

import asyncio
import itertools
import os
import uuid

import pytest

from connectors.pacing import MARGIN, LocalPacer, RedisPacer

RATE = 30.0
INTERVAL = 1.0 / (RATE * MARGIN)
REDIS_URL = os.environ.get("KARMABOT_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def busiest(times: list[float], width: float = 1.0) -> int:
    """The most slots in any window of `width` seconds."""
    ordered, best, start = sorted(times), 0, 0
    for end, t in enumerate(ordered):
        while t - ordered[start] >= width:
            start += 1
        best = max(best, end - start + 1)
    return best


def test_local_slots_are_evenly_spaced_from_the_first() -> None:
    async def reserve_all() -> list[float]:
        pacer = LocalPacer({"telegram": RATE})
        return [await pacer.reserve("telegram") for _ in range(90)]

    delays = asyncio.run(reserve_all())
    assert delays[0] == pytest.approx(0.0, abs=0.005)  # the first goes now…
    gaps = [b - a for a, b in itertools.pairwise(delays)]
    assert min(gaps) == pytest.approx(INTERVAL, abs=0.002)  # …and no two come together
    assert busiest(delays) <= RATE  # not even at the start (a bucket would burst there)
    assert delays[-1] == pytest.approx(89 * INTERVAL, abs=0.01)  # and it keeps the pace


def test_an_unlimited_channel_never_waits() -> None:
    async def reserve() -> list[float]:
        pacer = LocalPacer({"telegram": RATE, "whatsapp": 0})
        return [await pacer.reserve(c) for c in ("whatsapp", "web", "whatsapp")]

    assert asyncio.run(reserve()) == [0.0, 0.0, 0.0]


def _redis_or_skip() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError as exc:  # pragma: no cover - Redis runs on every dev and CI machine
        pytest.skip(f"no Redis at {REDIS_URL}: {exc}")


def test_two_workers_share_one_schedule_through_redis() -> None:
    _redis_or_skip()
    prefix = f"test-{uuid.uuid4().hex[:8]}"

    async def both() -> list[float]:
        first = RedisPacer(REDIS_URL, {"telegram": RATE}, prefix=prefix)
        second = RedisPacer(REDIS_URL, {"telegram": RATE}, prefix=prefix)
        loop = asyncio.get_running_loop()
        slots: list[float] = []

        async def worker(pacer: RedisPacer) -> None:
            for _ in range(45):
                slots.append(loop.time() + await pacer.reserve("telegram"))

        try:
            await asyncio.gather(worker(first), worker(second))
        finally:
            await first.close()
            await second.close()
        return slots

    slots = sorted(asyncio.run(both()))
    gaps = [b - a for a, b in itertools.pairwise(slots)]
    # One schedule for both: slots interleave a whole interval apart (less the round trip).
    assert min(gaps) >= INTERVAL - 0.005
    assert busiest(slots) <= RATE
    assert slots[-1] - slots[0] == pytest.approx(89 * INTERVAL, abs=0.05)
