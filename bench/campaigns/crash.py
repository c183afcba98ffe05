"""A real worker process SIGKILLed in the middle of a campaign, then started again.

The kill comes when the fake has received a random share (20-60 %, seeded) of the campaign.
The restarted worker, under the same name, puts its `claimed` rows back in the queue and marks
its `sending` rows `unknown` (never resent). Afterwards every recipient must have been
received exactly once, or be `unknown`; none may be received twice.
"""

from __future__ import annotations

import random
import re
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bench.campaigns import stores, workers
from bench.campaigns.fake import FakeServer

_RECOVERED = re.compile(r"recovered after a stop: (\d+) sends back in the queue, (\d+) in flight")


@dataclass
class CrashRun:
    """What one kill-and-restart did."""

    recipients: int
    at_kill: int
    sent: int
    duplicates: int
    lost: int
    unknown: int
    unknown_received: int
    requeued: int

    @property
    def ok(self) -> bool:
        """No duplicate and nothing lost."""
        return self.duplicates == 0 and self.lost == 0


def run_crash(
    kind: str,
    recipients: int,
    fake: FakeServer,
    log_dir: Path,
    *,
    rate: float,
    concurrency: int,
    seed: int,
) -> CrashRun:
    """Deliver a campaign, SIGKILL the worker part-way, restart it, and count."""
    log_dir.mkdir(parents=True, exist_ok=True)
    share = random.Random(seed).uniform(0.2, 0.6)
    with stores.fresh(kind, log_dir) as store:
        stores.fill(store, recipients, mixed=False)
        campaign_id = workers.prepare(store, "bench crash")
        fake.reset()
        pool = workers.Workers(store, fake, ["w1"], log_dir, rate=rate, concurrency=concurrency)
        try:
            workers.wait_ready(fake, pool)
            workers.resume(store, campaign_id)
            target = int(recipients * share)
            workers.wait(lambda: fake.count()["sent"] >= target, 300, "the kill point", 0.01)
            pool.kill("w1")
            time.sleep(0.5)  # whatever was already on the wire lands
            at_kill = int(fake.count()["sent"])
            pool.start("w1")
            timeout = recipients / rate * 2 + 120
            done = lambda: workers.pending(store, campaign_id) == 0  # noqa: E731
            workers.wait(done, timeout, "the campaign to finish after the restart", 1.0)
        finally:
            pool.stop()
        statuses = stores.send_statuses(store, campaign_id)
    received = Counter(stores.number_of(chat) for chat in fake.stats()["chats"])
    unknown = [g for g, status in statuses.items() if status == "unknown"]
    found = _RECOVERED.findall((log_dir / "worker-w1.log").read_text(errors="replace"))
    return CrashRun(
        recipients=recipients,
        at_kill=at_kill,
        sent=sum(1 for status in statuses.values() if status == "sent"),
        duplicates=sum(1 for n in received.values() if n > 1),
        lost=sum(1 for g, s in statuses.items() if s != "unknown" and received[g] != 1),
        unknown=len(unknown),
        unknown_received=sum(1 for g in unknown if received[g] > 0),
        requeued=int(found[-1][0]) if found else 0,
    )
