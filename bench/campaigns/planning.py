"""Planning a campaign: `Campaigns.start_due()` right after `send`, which runs the cohort query
and writes every recipient's `sends` row in one `INSERT … SELECT`.

Baseline, same store and run: a bare `INSERT INTO sends … SELECT … FROM learners LIMIT n` of
the same number of rows (same key length, no filter, no join), committed. The ratio is what
the cohort logic costs on top of writing the rows. `sends` is emptied between timings.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import DateTime, bindparam, text

from bench.campaigns import log, stores
from learning.campaign_message import Message
from learning.campaigns import Actor, Campaigns
from learning.cohort import Cohort
from learning.sends import SendQueue

MESSAGE = Message("reminder", course=stores.COURSE)
#: A supervisor's usual campaign: one ministry's learners who have not completed the course.
REALISTIC = Cohort(course=stores.COURSE, status="not_completed", organisation="Ministry 2")
COHORTS = {"course + not_completed + ministry subtree": REALISTIC, "everyone": Cohort()}
TARGETS = {"postgresql": 60.0, "sqlite": 30.0}

_BARE = """
INSERT INTO sends (key, kind, campaign_id, run, learner_id, payload, reason, status, channel,
    attempts, not_before, created_at)
SELECT 'campaign:' || :cid || ':99:' || id, 'campaign', :cid, 99, id, NULL, NULL, 'queued',
    'telegram', 0, :now, :now
FROM learners LIMIT :rows
"""


@dataclass
class PlanFigures:
    """Planning one cohort on one store, every run."""

    store: str
    cohort: str
    learners: int
    rows: int = 0
    queued: int = 0
    skipped: int = 0
    fill_s: float = 0.0
    plan_s: list[float] = field(default_factory=list)
    bare_s: list[float] = field(default_factory=list)

    @property
    def plan(self) -> float:
        """Median planning time, s."""
        return statistics.median(self.plan_s)

    @property
    def bare(self) -> float:
        """Median bare INSERT … SELECT time, s."""
        return statistics.median(self.bare_s)

    @property
    def ratio(self) -> float:
        """Median over runs of planning ÷ bare insert in the same run."""
        return statistics.median(p / b for p, b in zip(self.plan_s, self.bare_s, strict=True))


def _plan_once(store: stores.Store, cohort: Cohort) -> tuple[float, str, dict[str, int]]:
    queue = SendQueue(store.sessions, worker="bench-planner")
    campaigns = Campaigns(store.sessions, queue)
    admin = Actor.operator()
    campaign = campaigns.create(admin, "bench planning", cohort, MESSAGE)
    campaigns.send(admin, campaign.id)
    started = time.perf_counter()
    planned = campaigns.start_due()
    seconds = time.perf_counter() - started
    assert [cid for cid, _ in planned] == [campaign.id], planned
    by_status: dict[str, int] = {}
    for (status, _reason), n in queue.counts(campaign.id).items():
        by_status[status] = by_status.get(status, 0) + n
    return seconds, campaign.id, by_status


def _bare_once(store: stores.Store, campaign_id: str, rows: int) -> float:
    statement = text(_BARE).bindparams(bindparam("now", type_=DateTime(timezone=True)))
    values = {"cid": campaign_id, "rows": rows, "now": datetime.now(UTC)}
    started = time.perf_counter()
    with store.sessions.begin() as session:
        session.execute(statement, values)
    return time.perf_counter() - started


def measure(kind: str, learners: int, runs: int, parent: Path) -> list[PlanFigures]:
    """Fill a fresh store with `learners`, then time each cohort's planning `runs` times."""
    with stores.fresh(kind, parent) as store:
        log(f"planning/{kind}: generating {learners:,} learners …")
        started = time.perf_counter()
        stores.fill(store, learners, mixed=True)
        fill_s = time.perf_counter() - started
        log(f"planning/{kind}: generated in {fill_s:.1f} s")
        figures = {name: PlanFigures(kind, name, learners, fill_s=fill_s) for name in COHORTS}
        for run in range(1, runs + 1):
            for name, cohort in COHORTS.items():
                seconds, campaign_id, by_status = _plan_once(store, cohort)
                result = figures[name]
                result.plan_s.append(seconds)
                result.rows = sum(by_status.values())
                result.queued = by_status.get("queued", 0)
                result.skipped = by_status.get("skipped", 0)
                store.clear_sends()
                result.bare_s.append(_bare_once(store, campaign_id, result.rows))
                store.clear_sends()
                log(
                    f"planning/{kind} run {run}/{runs} {name}: {result.rows:,} rows in "
                    f"{seconds:.2f} s (bare insert {result.bare_s[-1]:.2f} s)"
                )
        return list(figures.values())
