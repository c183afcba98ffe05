"""The delivery worker: plans due campaign runs and nudges, then sends the queue, paced.

One loop: plan what has fallen due (campaign runs; automatic nudges every few minutes), claim
a batch of due sends, drop those whose campaign was paused or cancelled meanwhile, apply the
rules (opt-out, reachability, quiet hours, the daily nudge cap), and send the rest with up to
`concurrency` in flight, each at a slot reserved from the channel's pacer. Each send is marked
`sending` (committed) just before its slot and its channel call, and finished just after;
marks and results are written together in groups as they come (group commit: one transaction
for both kinds), so the database keeps up with hundreds of sends a second while a worker
killed at any moment leaves at most the sends in flight as `unknown`, never a duplicate.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from connectors.nudge_render import Renderer
from connectors.outbound import Outbound, Sent
from connectors.pacing import Pacer
from learning.campaigns import Campaigns
from learning.delivery_rules import DeliveryPolicy, gate, retry_or_fail
from learning.sends import Result, Send, SendQueue
from learning.store import Clock

logger = logging.getLogger(__name__)

_Item = TypeVar("_Item")
#: Seconds between checks that the campaigns being sent were not paused or cancelled.
LIVE_CHECK = 0.5
#: Seconds before its paced slot that a send commits its write-ahead mark, so the commit's
#: time does not delay the send past its slot (and bunch it with the next one).
MARK_LEAD = 0.05
#: Seconds past its slot after which a send takes a new slot instead of going out late (two
#: late sends would reach the channel together).
LATE = 0.01


class GroupWriter(Generic[_Item]):
    """Writes items in groups: whoever arrives while a write runs goes in the next one.

    `put` returns once the item's group is committed.
    """

    def __init__(self, write: Callable[[list[_Item]], None]) -> None:
        self._write = write
        self._waiting: list[tuple[_Item, asyncio.Future[None]]] = []
        self._task: asyncio.Task[None] | None = None

    async def put(self, item: _Item) -> None:
        """Queue `item` and wait until it is written."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._drain())
        await future

    async def _drain(self) -> None:
        while self._waiting:
            group, self._waiting = self._waiting, []
            try:
                await asyncio.to_thread(self._write, [item for item, _ in group])
            except Exception as exc:  # every waiter of the group learns of it
                for _, future in group:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for _, future in group:
                if not future.done():
                    future.set_result(None)


@dataclass
class WorkerStats:
    """What a worker did since it started."""

    sent: int = 0
    failed: int = 0
    skipped: int = 0
    deferred: int = 0
    retried: int = 0


Planner = Callable[[], Any]


class Worker:
    """Delivers nudges and campaigns.

    Args:
        queue: The send queue.
        campaigns: Plans due runs and settles finished campaigns.
        outbound: The channels, by name.
        renderer: What each send says.
        pacer: Each channel's pace.
        policy: Quiet hours, the nudge cap, retries.
        clock: The current time.
        planners: Nudge planners, run every `plan_every` seconds.
        concurrency: Sends in flight at once.
        idle: Seconds to wait when there is nothing to send.
        plan_every: Seconds between nudge planning rounds.
    """

    def __init__(
        self,
        *,
        queue: SendQueue,
        campaigns: Campaigns,
        outbound: Mapping[str, Outbound],
        renderer: Renderer,
        pacer: Pacer,
        policy: DeliveryPolicy,
        clock: Clock,
        planners: Sequence[Planner] = (),
        concurrency: int = 16,
        idle: float = 1.0,
        plan_every: float = 300.0,
    ) -> None:
        self.queue, self.campaigns = queue, campaigns
        self.outbound = dict(outbound)
        self._renderer, self._pacer, self._policy = renderer, pacer, policy
        self._clock, self._planners = clock, tuple(planners)
        self._concurrency, self._idle, self._plan_every = concurrency, idle, plan_every
        self._batch = max(concurrency * 4, 32)
        # Marks (ints) and results share one writer: one transaction per group for both.
        self._writes: GroupWriter[int | Result] = GroupWriter(self._write)
        self._planned_at: datetime | None = None
        self._live: tuple[float, set[str]] = (0.0, set())
        self.stats = WorkerStats()
        self.on_progress: Callable[[WorkerStats], None] | None = None

    async def run(self, stop: asyncio.Event) -> None:
        """Work until `stop` is set; sends in flight finish first."""
        requeued, unknown = await asyncio.to_thread(self.queue.recover, mine=True)
        if requeued or unknown:
            logger.warning(
                "recovered after a stop: %d sends back in the queue, %d in flight marked "
                "unknown (not resent)", requeued, unknown,
            )  # fmt: skip
        for outbound in self.outbound.values():
            await outbound.start()
        try:
            while not stop.is_set():
                await self.plan()
                if not await self.drain_once():
                    with suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), self._idle)
        finally:
            for outbound in self.outbound.values():
                await outbound.stop()

    async def plan(self) -> None:
        """Plan due campaign runs; every `plan_every` seconds, the nudges and lapsed leases."""
        await asyncio.to_thread(self.campaigns.start_due)
        now = self._clock()
        if self._planned_at and now - self._planned_at < timedelta(seconds=self._plan_every):
            return
        self._planned_at = now
        await asyncio.to_thread(self.queue.recover, mine=False)
        for planner in self._planners:
            try:
                await asyncio.to_thread(planner)
            except Exception:
                logger.exception("nudge planning failed; next round in %ss", self._plan_every)

    async def drain_once(self) -> int:
        """Claim due sends and process them, claiming more as soon as there is room (no
        barrier between batches); returns how many sends were claimed in all."""
        claimed = 0
        running: set[asyncio.Task[None]] = set()
        gate_keeper = asyncio.Semaphore(self._concurrency)

        async def one(send: Send) -> None:
            async with gate_keeper:  # a slot for the channel call, not for recording it
                result = await self._attempt(send)
            if result is not None:
                await self._finish(result)

        while True:
            room = self._batch - len(running)
            sends = await asyncio.to_thread(self._claim, room) if room >= self._batch // 2 else []
            claimed += len(sends)
            for send in sends:
                task = asyncio.create_task(one(send))
                running.add(task)
                task.add_done_callback(running.discard)
            if not running:
                break
            await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
        if not claimed:
            await asyncio.to_thread(self.campaigns.settle)
        return claimed

    def _claim(self, limit: int) -> list[Send]:
        """Claim up to `limit` sends (only of campaigns still sending: the claim checks) and
        have their campaigns ready for rendering (one thread hop)."""
        sends = self.queue.claim(limit, list(self.outbound))
        if sends:
            self._renderer.warm({s.campaign_id for s in sends if s.campaign_id})
        return sends

    async def _live_campaigns(self, send: Send) -> set[str]:
        """Campaigns still sending, looked up at most every `LIVE_CHECK` seconds, so a pause
        stops a batch in the middle."""
        checked, live = self._live
        loop = asyncio.get_running_loop()
        if loop.time() - checked > LIVE_CHECK or send.campaign_id not in live:
            ids = {send.campaign_id} | live if send.campaign_id else live
            live = await asyncio.to_thread(self.campaigns.sending, ids)
            self._live = (loop.time(), live)
        return live

    async def _attempt(self, send: Send) -> Result | None:
        """Apply the rules and make the channel call; the result to record, or None when the
        send went back to the queue (its campaign was paused meanwhile).

        The write-ahead mark is committed before the call; the result is recorded by the
        caller after the call's concurrency slot is free, so the next send need not wait for
        this one's commit (a kill in between leaves the row `sending`, reported as unknown).
        """
        now = self._clock()
        sent_today: list[datetime] = []
        if send.kind != "campaign":
            since = now - timedelta(days=1)
            sent_today = await asyncio.to_thread(self.queue.sent_since, send.learner.id, since)
        blocked = gate(send, now, self._policy, sent_today)
        if blocked is not None:
            return blocked
        messages = self._renderer.messages(send)  # campaigns were fetched when claimed
        if not messages:
            return Result(send.id, "skipped", reason="nothing_to_send")
        outbound = self.outbound[send.channel or ""]
        slot = await self._slot(outbound.channel, lead=MARK_LEAD)
        if send.campaign_id and send.campaign_id not in await self._live_campaigns(send):
            await asyncio.to_thread(self.queue.release, [send.id])  # paused meanwhile
            return None
        await self._writes.put(send.id)
        await self._on_slot(outbound.channel, slot)  # the mark is committed: send at the slot
        try:
            outcome = await outbound.send(send.learner, messages, send.kind, send.campaign_id)
        except Exception as exc:  # an adapter bug must not leave the send in `sending`
            logger.exception("send %s failed unexpectedly", send.id)
            outcome = Sent("retry", reason="error", error=repr(exc)[:500])
        return self._result(send, outcome)

    async def _slot(self, channel: str, lead: float = 0.0) -> float:
        """Reserve the channel's next slot and sleep until `lead` seconds before it; the slot
        (event-loop time)."""
        loop = asyncio.get_running_loop()
        slot = loop.time() + await self._pacer.reserve(channel)
        if slot - lead > loop.time():
            await asyncio.sleep(slot - lead - loop.time())
        return slot

    async def _on_slot(self, channel: str, slot: float) -> None:
        """Sleep until `slot`; a send that wakes up more than `LATE` after its slot (the loop
        or the commit was slow) takes a new one rather than go out with the next send's."""
        loop = asyncio.get_running_loop()
        while True:
            if slot > loop.time():
                await asyncio.sleep(slot - loop.time())
            if loop.time() - slot <= LATE:
                return
            slot = await self._slot(channel)

    def _result(self, send: Send, outcome: Sent) -> Result:
        if outcome.status == "sent":
            log = (send.channel or "", send.learner.id, send.kind, send.campaign_id)
            return Result(send.id, "sent", message_ids=outcome.message_ids, log=log)
        if outcome.status == "failed":
            return Result(send.id, "failed", reason=outcome.reason, error=outcome.error)
        now, error = self._clock(), outcome.error or ""
        reason = outcome.reason or "retry"
        return retry_or_fail(send, now, self._policy, error, outcome.retry_after, reason)

    def _write(self, items: list[int | Result]) -> None:
        marks = [item for item in items if isinstance(item, int)]
        self.queue.write(marks, [item for item in items if isinstance(item, Result)])

    async def _finish(self, result: Result) -> None:
        await self._writes.put(result)
        counter = {"sent": "sent", "failed": "failed", "skipped": "skipped",
                   "defer": "deferred", "retry": "retried"}[result.outcome]  # fmt: skip
        setattr(self.stats, counter, getattr(self.stats, counter) + 1)
        if self.on_progress is not None:
            self.on_progress(self.stats)
