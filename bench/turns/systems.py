"""The systems under test: stock Rasa (`rasa init`) and the Karmabot stack in each profile."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bot.stack import RASA_BIN, Stack, rasa_env
from core.settings import PROJECT_ROOT, Settings

BENCH_DIR = PROJECT_ROOT / "var" / "bench"
STOCK_DIR = BENCH_DIR / "stock"
QUIET_RASA = {
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "RASA_TELEMETRY_ENABLED": "false",
    "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
}
TRAIN_TIMEOUT_S = 1200.0
START_TIMEOUT_S = 300.0


class BenchError(RuntimeError):
    """A system could not be prepared or started."""


def free_ports(count: int) -> list[int]:
    """`count` distinct TCP ports that nothing listens on right now."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _run_logged(argv: list[str], cwd: Path, log: Path, what: str) -> None:
    """Run a preparation command to completion, its output in `log`."""
    print(f"  {what} (log: {log.relative_to(PROJECT_ROOT)}) …", flush=True)
    env = {k: v for k, v in os.environ.items() if k != "SANIC_WORKERS"} | QUIET_RASA
    with log.open("wb") as out:
        done = subprocess.run(
            argv,
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            timeout=TRAIN_TIMEOUT_S,
            check=False,
        )
    if done.returncode != 0:
        raise BenchError(f"{what} failed with code {done.returncode}; see {log}")


def stock_model() -> Path:
    """The stock `rasa init` model, creating and training the project when missing."""
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    if not (STOCK_DIR / "config.yml").exists():
        shutil.rmtree(STOCK_DIR, ignore_errors=True)
        STOCK_DIR.mkdir(parents=True)
        argv = [str(RASA_BIN), "init", "--no-prompt", "--init-dir", str(STOCK_DIR)]
        _run_logged(
            argv, BENCH_DIR, BENCH_DIR / "stock-init.log", "creating stock Rasa (rasa init)"
        )
    models = sorted((STOCK_DIR / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not models:
        _run_logged(
            [str(RASA_BIN), "train"],
            STOCK_DIR,
            BENCH_DIR / "stock-train.log",
            "training stock Rasa",
        )
        models = sorted((STOCK_DIR / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not models:
        raise BenchError(f"no model in {STOCK_DIR / 'models'} after training")
    return models[-1]


def wait_http(url: str, process: subprocess.Popen[bytes], timeout_s: float, what: str) -> None:
    """Wait until `url` answers 200, failing early when the process exits."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"{what} exited with code {process.returncode} during start-up")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        time.sleep(0.25)
    raise BenchError(f"{what} did not answer {url} within {timeout_s:.0f} s")


@dataclass
class StockRasa:
    """The `rasa init` bot with its default config, served by `rasa run` (REST channel)."""

    model: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def webhook(self) -> str:
        """Its REST channel URL."""
        return f"http://127.0.0.1:{self.port}/webhooks/rest/webhook"

    def launch(self, log_dir: Path) -> None:
        """Start `rasa run` (returns at once; see `wait_ready`)."""
        self.port = free_ports(1)[0]
        argv = [
            str(RASA_BIN),
            "run",
            "--model",
            str(self.model),
            "--interface",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--credentials",
            "credentials.yml",
            "--endpoints",
            "endpoints.yml",
        ]
        env = {k: v for k, v in os.environ.items() if k != "SANIC_WORKERS"} | QUIET_RASA
        log = (log_dir / "stock-rasa.log").open("ab")
        self.process = subprocess.Popen(
            argv,
            cwd=STOCK_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        print(f"  starting stock Rasa on port {self.port} …", flush=True)

    def wait_ready(self) -> None:
        """Block until the server answers."""
        assert self.process is not None
        wait_http(f"http://127.0.0.1:{self.port}/", self.process, START_TIMEOUT_S, "stock Rasa")

    def stop(self, timeout_s: float = 15.0) -> None:
        """SIGTERM its process group, SIGKILL after `timeout_s`."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


@dataclass
class Karmabot:
    """One Karmabot stack (action server, Rasa, gateway) in a fresh data directory."""

    profile: str
    settings: Settings
    stack: Stack
    redis_prefix: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def chat_api(self) -> str:
        """The gateway's JSON chat API."""
        return f"http://127.0.0.1:{self.settings.gateway_port}/chat/api"

    @property
    def webhook(self) -> str:
        """Rasa's REST channel, bypassing the gateway."""
        return f"http://127.0.0.1:{self.settings.rasa_port}/webhooks/rest/webhook"

    @property
    def pids(self) -> dict[str, int]:
        """Root process id of each running service, by service name."""
        return {s.name: s.process.pid for s in self.stack.services if s.process is not None}


def karmabot(
    profile: str,
    run_dir: Path,
    redis_url: str,
    workers: int,
    content_dir: Path | None = None,
    **extra: Any,
) -> Karmabot:
    """Settings and an unstarted Stack for `profile` on free ports under `run_dir`.

    `extra` sets more settings by field name (e.g. the channels' tokens for bench.channels).
    """
    gateway, rasa, action = free_ports(3)
    data_dir = run_dir / f"{profile}-{run_dir.name}"  # unique: it names the Redis key prefix
    data_dir.mkdir(parents=True, exist_ok=True)
    fields: dict[str, Any] = {
        "data_dir": data_dir,
        "gateway_port": gateway,
        "rasa_port": rasa,
        "action_port": action,
        "rasa_url": f"http://127.0.0.1:{rasa}",
        "rasa_workers": workers if profile == "scale" else 1,
        "redis_url": redis_url if profile == "scale" else None,
    }
    if content_dir is not None:
        fields["content_dir"] = content_dir
    settings = Settings(**(fields | extra))
    prefix = rasa_env(settings, profile).get("KARMABOT_REDIS_PREFIX")
    if prefix is not None and not prefix.isalnum():
        raise BenchError(f"Redis key prefix {prefix!r} is not alphanumeric; Rasa would ignore it")
    return Karmabot(profile, settings, Stack(settings, profile), prefix)


def redis_problem(url: str) -> str | None:
    """None when Redis at `url` answers PING, else why not."""
    import redis

    try:
        redis.Redis.from_url(url, socket_timeout=2).ping()
    except redis.RedisError as exc:
        return f"Redis at {url} is not available ({exc})"
    return None


def delete_redis_prefix(url: str, prefix: str, limit: int = 1_000_000) -> int:
    """Delete this run's keys (``<prefix>:*``) and nothing else; return how many."""
    import redis

    client = redis.Redis.from_url(url, socket_timeout=5)
    deleted = 0
    batch: list[bytes] = []
    for key in client.scan_iter(match=f"{prefix}:*", count=1000):
        batch.append(key)
        if len(batch) >= 500:
            deleted += int(client.delete(*batch))
            batch.clear()
        if deleted + len(batch) >= limit:
            break
    if batch:
        deleted += int(client.delete(*batch))
    return deleted
