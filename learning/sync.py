"""The sync job: learning events from the outbox to the LRS (xAPI) and to Sunbird/iGOT.

Each configured sink (learning/sinks.py) takes batches of due events in outbox order. What
happens to a batch depends on how the remote answers:

- it gets through: its events are marked sent, except those the sink holds back until the
  learner's platform identity is known (retried with a growing delay, at most hourly);
- a retry can fix it (down, 5xx, 429): the batch is retried with jittered exponential backoff,
  and the sink rests until then (at most a minute), so a remote that is down for a while
  loses nothing and is not hammered;
- the sink is misconfigured (401, 403, 404): logged as an ERROR and retried within minutes,
  and at once when the sink's URL or credentials change (`SqlOutbox.reconfigured`);
- it is rejected as invalid (400, 422): the batch is split in halves until the bad events are
  alone; those are parked (dead-lettered, with the reason) and everything else goes.

Statement ids and content states are stable, so a batch resent after a lost reply duplicates
nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from learning.models import utcnow
from learning.outbox import OutboxItem, SqlOutbox, config_error, jittered, retry_delay
from learning.sinks import (
    LrsSink,
    Sink,
    SinkError,
    SinkMisconfigured,
    SinkRejected,
    SunbirdSink,
)

__all__ = [
    "LrsSink",
    "Sink",
    "SinkError",
    "SinkMisconfigured",
    "SinkRejected",
    "SunbirdSink",
    "SyncJob",
    "SyncReport",
]

logger = logging.getLogger(__name__)
#: Retry time after a configuration error (401, 403, 404).
CONFIG_RETRY = timedelta(minutes=5)
#: Longest a sink rests after a failure before its next round (`sync retry` then takes effect).
REST_CAP = timedelta(minutes=1)
#: Longest wait before an event held for identity is looked at again.
HELD_CAP = 3600.0


@dataclass
class SyncReport:
    """What one round of syncing did, per sink."""

    sent: dict[str, int] = field(default_factory=dict)
    failed: dict[str, int] = field(default_factory=dict)
    held: dict[str, int] = field(default_factory=dict)
    parked: dict[str, int] = field(default_factory=dict)

    def add(self, sink: str, what: str, count: int) -> None:
        """Count `count` events of `sink` as `what` (sent, failed, held or parked)."""
        counts: dict[str, int] = getattr(self, what)
        counts[sink] = counts.get(sink, 0) + count


class SyncJob:
    """Moves due events from the outbox to every sink."""

    def __init__(
        self,
        outbox: SqlOutbox,
        sinks: Sequence[Sink],
        *,
        clock: Callable[[], datetime] = utcnow,
        batch_size: int = 100,
    ) -> None:
        self.outbox, self.sinks, self._clock, self.batch_size = outbox, sinks, clock, batch_size
        self._resting: dict[str, datetime] = {}
        self._checked: set[str] = set()

    async def run_once(self) -> SyncReport:
        """Send everything that is due; a sink that fails rests until its retry time."""
        report = SyncReport()
        for sink in self.sinks:
            for what in ("sent", "failed", "held", "parked"):
                report.add(sink.name, what, 0)
            if sink.name not in self._checked:
                await self._reconfigured(sink)
            resting = self._resting.get(sink.name)
            if resting and self._clock() < resting:
                continue
            while items := await asyncio.to_thread(
                self.outbox.due, sink.name, self.batch_size, self._clock()
            ):
                if not await self._deliver(sink, items, report):
                    break
        return report

    async def _reconfigured(self, sink: Sink) -> None:
        """Retry at once what failed under another configuration of the sink."""
        count = await asyncio.to_thread(
            self.outbox.reconfigured, sink.name, sink.fingerprint, self._clock()
        )
        if count:
            logger.info("%s: configuration changed; %d events due again", sink.name, count)
        self._checked.add(sink.name)

    async def _deliver(self, sink: Sink, items: list[OutboxItem], report: SyncReport) -> bool:
        """Send a claimed batch, splitting it where the remote rejects it; False when the sink
        should rest (its failed events are marked with their retry time)."""
        parts = [items]
        while parts:
            part = parts.pop(0)
            try:
                held = await sink.send([item.event for item in part])
            except SinkRejected as exc:
                if len(part) > 1:  # bisect: find the bad events, send the rest
                    middle = len(part) // 2
                    parts[:0] = [part[:middle], part[middle:]]
                    continue
                await self._park(sink, part[0], exc, report)
                continue
            except SinkError as exc:
                await self._fail(sink, [item for p in (part, *parts) for item in p], exc, report)
                return False
            await self._settle(sink, part, held, report)
        return True

    async def _settle(
        self, sink: Sink, part: list[OutboxItem], held: dict[str, str], report: SyncReport
    ) -> None:
        now = self._clock()
        sent = [item.id for item in part if item.event.id not in held]
        await asyncio.to_thread(self.outbox.mark_sent, sent, now)
        report.add(sink.name, "sent", len(sent))
        by_reason: dict[str, list[OutboxItem]] = {}
        for item in part:
            if reason := held.get(item.event.id):
                by_reason.setdefault(reason, []).append(item)
        for reason, group in by_reason.items():
            wait = retry_delay(max(item.attempts for item in group) + 1, cap=HELD_CAP)
            ids = [item.id for item in group]
            await asyncio.to_thread(self.outbox.mark_failed, ids, reason, now + wait)
            report.add(sink.name, "held", len(ids))

    async def _park(self, sink: Sink, item: OutboxItem, exc: SinkError, report: SyncReport) -> None:
        logger.warning("%s: event %s parked: rejected as invalid: %s", sink.name, item.id, exc)
        await asyncio.to_thread(self.outbox.park, [item.id], f"rejected: {exc}", self._clock())
        report.add(sink.name, "parked", 1)

    async def _fail(
        self, sink: Sink, items: list[OutboxItem], exc: SinkError, report: SyncReport
    ) -> None:
        now, ids = self._clock(), [item.id for item in items]
        if isinstance(exc, SinkMisconfigured):
            wait, error = jittered(CONFIG_RETRY), config_error(sink.fingerprint, str(exc))
            logger.error(
                "%s: configuration error, check its URL and credentials: %s; "
                "%d events retry in %s, or at once when the configuration changes",
                sink.name, exc, len(ids), wait,
            )  # fmt: skip
        else:
            wait, error = retry_delay(max(item.attempts for item in items) + 1), str(exc)
            logger.warning("%s: %d events not delivered (%s); retry in %s", sink.name, len(ids),
                           exc, wait)  # fmt: skip
        await asyncio.to_thread(self.outbox.mark_failed, ids, error, now + wait)
        self._resting[sink.name] = now + min(wait, REST_CAP)
        report.add(sink.name, "failed", len(ids))

    async def run_forever(self, stop: asyncio.Event, interval: float = 5.0) -> None:
        """Sync every `interval` seconds until `stop` is set; errors are logged, not raised."""
        while not stop.is_set():
            try:
                await self.run_once()
            except Exception:  # a broken round must not end syncing
                logger.exception("sync round failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)
