"""Real worker processes (`python -m bot.serve worker`) against a store and the fake Telegram API.

Each worker gets its own label (`w1`, `w2`…): its Bot API URL is `<fake>/<label>/bot`, so the
fake can tell the workers' messages apart, and its `KARMABOT_WORKER_NAME` is `bench-<label>`.
A campaign is planned and paused before the workers start, and resumed once every worker has
said hello (getMe), so all of them start on a full queue.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bench.campaigns import die_with_parent
from bench.campaigns.fake import FakeServer
from bench.campaigns.planning import MESSAGE
from bench.campaigns.stores import Store
from bench.turns.cpu import TICKS, cpu_seconds, machine_busy_seconds
from core.settings import PROJECT_ROOT
from learning.campaigns import Actor, Campaigns
from learning.cohort import Cohort
from learning.sends import SendQueue

TOKEN = "123456:fake-token"  # FakeTelegram's
#: `KARMABOT_TELEGRAM_RATE` must be above 0: this stands for "no cap".
UNCAPPED = 1_000_000.0
_OURS = ("KARMABOT_", "TELEGRAM_", "WHATSAPP_", "DATABASE_URL", "REDIS_URL")


def worker_env(
    store: Store,
    api_url: str,
    label: str,
    *,
    rate: float,
    concurrency: int,
    redis_url: str | None = None,
) -> dict[str, str]:
    """The environment of one worker process (nothing inherited that could redirect it)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_OURS)}
    env |= store.env() | {
        "TELEGRAM_BOT_TOKEN": TOKEN, "KARMABOT_TELEGRAM_API_URL": api_url,
        "KARMABOT_TELEGRAM_RATE": str(rate), "KARMABOT_WORKER_NAME": f"bench-{label}",
        "KARMABOT_QUIET_HOURS": "off", "KARMABOT_WORKER_CONCURRENCY": str(concurrency),
        "KARMABOT_NUDGE_INACTIVE_DAYS": "0", "KARMABOT_REVIEW_NUDGES": "false",
    }  # fmt: skip
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


class Workers:
    """Worker processes, one per label; logs under `log_dir/worker-<label>.log`.

    With `sample`, each runs under the stack sampler and leaves `log_dir/sample-<label>.json`.
    """

    def __init__(
        self,
        store: Store,
        fake: FakeServer,
        labels: list[str],
        log_dir: Path,
        *,
        rate: float,
        concurrency: int,
        redis_url: str | None = None,
        sample: bool = False,
    ) -> None:
        self.store, self.fake, self.log_dir, self.sample = store, fake, log_dir, sample
        self.options = {"rate": rate, "concurrency": concurrency, "redis_url": redis_url}
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        for label in labels:
            self.start(label)

    def start(self, label: str) -> None:
        """Start (or restart) the worker `label`."""
        url = f"{self.fake.url}/{label}/bot"
        env = worker_env(self.store, url, label, **self.options)  # type: ignore[arg-type]
        command = [sys.executable, "-m", "bot.serve", "worker"]
        if self.sample:  # the same worker, with a stack sampler inside (bench/campaigns/sample.py)
            out = self.log_dir / f"sample-{label}.json"
            command = [sys.executable, "-m", "bench.campaigns.sample", str(out)]
        with (self.log_dir / f"worker-{label}.log").open("ab") as log:
            self.processes[label] = subprocess.Popen(
                command,
                cwd=PROJECT_ROOT,
                env=env,
                stdout=log,
                stderr=log,
                preexec_fn=die_with_parent,
            )

    @property
    def pids(self) -> dict[str, int]:
        """Process id by label."""
        return {label: p.pid for label, p in self.processes.items()}

    def kill(self, label: str) -> None:
        """SIGKILL one worker and reap it."""
        process = self.processes[label]
        process.send_signal(signal.SIGKILL)
        process.wait(10)

    def stop(self) -> list[int]:
        """SIGTERM every worker (a clean stop); returns their exit codes."""
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        codes = []
        for process in self.processes.values():
            try:
                codes.append(process.wait(30))
            except subprocess.TimeoutExpired:
                process.kill()
                codes.append(process.wait(10))
        return codes


def prepare(store: Store, name: str) -> str:
    """A campaign to everyone in `store`, planned, then paused; returns its id."""
    campaigns = Campaigns(store.sessions, SendQueue(store.sessions, worker="bench"))
    admin = Actor.operator()
    campaign = campaigns.create(admin, name, Cohort(), MESSAGE)
    campaigns.send(admin, campaign.id)
    campaigns.start_due()
    campaigns.pause(admin, campaign.id)
    return campaign.id


def resume(store: Store, campaign_id: str) -> None:
    """Let the workers send the campaign."""
    campaigns = Campaigns(store.sessions, SendQueue(store.sessions, worker="bench"))
    campaigns.resume(Actor.operator(), campaign_id)


def wait(condition: Callable[[], bool], timeout: float, what: str, every: float = 0.1) -> None:
    """Poll `condition` until true; RuntimeError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(every)


def wait_ready(fake: FakeServer, workers: Workers, timeout: float = 60) -> None:
    """Until every worker said getMe (its loop starts right after)."""

    def ready() -> bool:
        for label, process in workers.processes.items():
            if process.poll() is not None:
                raise RuntimeError(f"worker {label} exited; see {workers.log_dir}")
        return set(workers.processes) <= set(fake.count()["started"])

    wait(ready, timeout, "the workers to start")
    time.sleep(0.5)


def pending(store: Store, campaign_id: str) -> int:
    """Sends of the campaign not finished yet."""
    return SendQueue(store.sessions).pending(campaign_id)


def cpu_snapshot(pids: dict[str, int], store: Store | None) -> dict[str, float]:
    """CPU seconds so far: each named process (and its main thread, `<name>:loop`), PostgreSQL's
    backends on the store, this process, the machine."""
    seconds = {name: cpu_seconds(pid) for name, pid in pids.items()}
    for name, pid in pids.items():  # the main thread alone: a worker's event loop
        seconds[f"{name}:loop"] = _thread_seconds(pid, pid)
    if store is not None:
        for pid in store.backend_pids():
            seconds[f"pg:{pid}"] = cpu_seconds(pid)
    seconds["self"] = cpu_seconds(0)
    seconds["machine"] = machine_busy_seconds()
    return seconds


def _thread_seconds(pid: int, tid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def cpu_used(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """CPU seconds between two snapshots; PostgreSQL backends summed under "postgres"."""
    used: dict[str, float] = {}
    for name, value in after.items():
        key = "postgres" if name.startswith("pg:") else name
        used[key] = used.get(key, 0.0) + max(0.0, value - before.get(name, 0.0))
    return used
