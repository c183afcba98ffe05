"""Delivering a campaign to the fake Telegram API: paced (30 msg/s) and uncapped.

Each run builds a fresh store with `recipients` learners, all on Telegram, plans a campaign to
everyone and pauses it, starts the worker processes, resumes the campaign once they are up,
and waits until no send is left. Rates come from the fake's arrival times over the span in
which every worker was sending. The baseline for the uncapped runs is the fake's own ceiling:
PTB's `Bot.send_message` in a tight loop with no database (`bench/campaigns/blast.py`), in as
many processes as there are workers.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.campaigns import die_with_parent, log, rates, stores, workers
from bench.campaigns.fake import FakeServer
from core.settings import PROJECT_ROOT

FAKE_CEILING = "fake API ceiling (PTB client, no DB)"
WORKER = "worker"


class WorkerDied(RuntimeError):
    """A worker process ended before the campaign was delivered."""


@dataclass
class DeliveryRun:
    """One campaign (or blast) delivered to the fake."""

    system: str
    store: str
    processes: int
    recipients: int
    concurrency: int
    received: int = 0
    duplicates: int = 0
    missing: int = 0
    rate: float = 0.0
    span_s: float = 0.0
    steady_rate: float = 0.0
    steady_s: float = 0.0
    max_1s: int = 0
    max_1s_at: float = 0.0
    max_1s_late: int = 0
    wall_s: float = 0.0
    by_label: dict[str, int] = field(default_factory=dict)
    connections: dict[str, int] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    arrivals: dict[str, list[float]] = field(default_factory=dict, repr=False)

    def cpu_ms(self, key: str) -> float:
        """CPU milliseconds per message received, of "clients" (and of their main threads,
        "loop"), "fake" or "postgres"."""
        return self.cpu.get(key, 0.0) * 1000 / self.received if self.received else 0.0

    @property
    def other_cores(self) -> float:
        """Cores used meanwhile by processes outside the run (other work on the machine)."""
        return self.cpu.get("other", 0.0) / self.wall_s if self.wall_s else 0.0


def _score(run: DeliveryRun, stats: dict[str, Any]) -> None:
    arrivals: dict[str, list[float]] = stats["arrivals"]
    counts = Counter(stats["chats"])
    expected = range(stores.CHAT_BASE + 1, stores.CHAT_BASE + run.recipients + 1)
    run.received = sum(counts.values())
    run.duplicates = sum(1 for n in counts.values() if n > 1)
    run.missing = sum(1 for chat in expected if chat not in counts)
    run.rate, run.span_s = rates.ceiling(arrivals)
    run.steady_rate, run.steady_s = rates.steady(arrivals)
    times = rates.merged(arrivals)
    run.max_1s, run.max_1s_at = rates.busiest(times)
    run.max_1s_late = rates.busiest([t for t in times if t - times[0] >= 2.0])[0] if times else 0
    run.by_label = {label: len(times) for label, times in sorted(arrivals.items())}
    run.connections = dict(sorted(stats.get("connections", {}).items()))
    run.problems = list(stats.get("problems", []))
    run.arrivals = arrivals


def _account(run: DeliveryRun, used: dict[str, float], clients: list[str]) -> None:
    ours = {
        "clients": sum(used.get(label, 0.0) for label in clients),
        "fake": used.get("fake", 0.0),
        "postgres": used.get("postgres", 0.0),
    }
    ours["other"] = max(0.0, used.get("machine", 0.0) - sum(ours.values()) - used.get("self", 0))
    ours["loop"] = sum(used.get(f"{label}:loop", 0.0) for label in clients)
    run.cpu = ours


def run_workers(
    kind: str,
    processes: int,
    recipients: int,
    fake: FakeServer,
    run_dir: Path,
    *,
    rate: float = workers.UNCAPPED,
    concurrency: int = 32,
    redis_url: str | None = None,
    sample: bool = False,
) -> DeliveryRun:
    """Deliver one campaign to `recipients` with `processes` workers on a fresh `kind` store."""
    run = DeliveryRun(WORKER, kind, processes, recipients, concurrency)
    labels = [f"w{i}" for i in range(1, processes + 1)]
    with stores.fresh(kind, run_dir) as store:
        stores.fill(store, recipients, mixed=False)
        campaign_id = workers.prepare(store, "bench delivery")
        fake.reset()
        pool = workers.Workers(
            store, fake, labels, run_dir, rate=rate, concurrency=concurrency, redis_url=redis_url,
            sample=sample,
        )  # fmt: skip
        try:
            workers.wait_ready(fake, pool)
            pids = pool.pids | {"fake": fake.pid}
            before = workers.cpu_snapshot(pids, store)
            started = time.monotonic()
            workers.resume(store, campaign_id)
            paced = rate < workers.UNCAPPED
            timeout = recipients / (rate * processes if paced else 50) * 1.5 + 120

            checked = [0.0]

            def done() -> bool:  # the fake's count is cheap; the store is asked now and then
                codes = {label: p.poll() for label, p in pool.processes.items()}
                if any(code is not None for code in codes.values()):
                    raise WorkerDied(f"a worker exited early {codes}; see {run_dir}")
                if fake.count()["sent"] < recipients and time.monotonic() - checked[0] < 5:
                    return False
                checked[0] = time.monotonic()
                return workers.pending(store, campaign_id) == 0

            workers.wait(done, timeout, "the campaign to be delivered", every=0.25)
            run.wall_s = time.monotonic() - started
            _account(run, workers.cpu_used(before, workers.cpu_snapshot(pids, store)), labels)
        finally:
            codes = pool.stop()
        if any(code != 0 for code in codes):
            log(f"warning: worker exit codes {codes}; logs in {run_dir}")
    _score(run, fake.stats())
    return run


def run_blast(
    processes: int, recipients: int, fake: FakeServer, run_dir: Path, concurrency: int = 32
) -> DeliveryRun:
    """The fake's ceiling: `processes` PTB clients sending `recipients` messages, no DB."""
    run = DeliveryRun(FAKE_CEILING, "-", processes, recipients, concurrency)
    fake.reset()
    share = recipients // processes
    start_at = time.time() + 4.0  # after every client has imported PTB and said getMe
    commands = [
        [sys.executable, "-m", "bench.campaigns.blast", f"{fake.url}/b{i + 1}/bot",
         str(share if i < processes - 1 else recipients - share * (processes - 1)),
         str(concurrency), str(stores.CHAT_BASE + 1 + i * share), str(start_at)]
        for i in range(processes)
    ]  # fmt: skip
    with (run_dir / "blast.log").open("ab") as log_file:
        clients = [
            subprocess.Popen(
                c,
                cwd=PROJECT_ROOT,
                stdout=subprocess.PIPE,
                stderr=log_file,
                preexec_fn=die_with_parent,
            )
            for c in commands
        ]
        time.sleep(max(0.0, start_at - time.time()))  # the clients start sending now
        before = workers.cpu_snapshot({"fake": fake.pid}, None)
        started = time.monotonic()
        outputs = [client.communicate(timeout=recipients / 20 + 120)[0] for client in clients]
    run.wall_s = time.monotonic() - started
    used = workers.cpu_used(before, workers.cpu_snapshot({"fake": fake.pid}, None))
    codes = [client.returncode for client in clients]
    if any(codes):
        raise RuntimeError(f"a blast client failed ({codes}); see {run_dir / 'blast.log'}")
    spent = [json.loads(out.decode().strip().splitlines()[-1])["cpu"] for out in outputs]
    used |= {f"b{i + 1}": s for i, s in enumerate(spent)}
    _account(run, used, [f"b{i + 1}" for i in range(processes)])
    _score(run, fake.stats())
    return run
