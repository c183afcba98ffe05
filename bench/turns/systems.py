"""The systems under test: stock Rasa (`rasa init`) and the Karmabot stack in each profile."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from bench.turns import cpu
from bot.stack import RASA_BIN, Stack, rasa_env, redis_env
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
#: Karmabot profiles the benchmark knows, and the `bot.stack` profile each one runs.
STACK_PROFILES = {"embedded": "embedded", "scale": "scale", "scale-pg": "scale"}
#: Seconds to wait for every Sanic worker process to appear after the server answers.
WORKERS_WAIT_S = 30.0


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
    """The `rasa init` bot with its default config, served by `rasa run` (REST channel).

    Attributes:
        model: The trained `rasa init` model.
        port: Its port once launched.
        process: The `rasa run` process once launched.
        name: ``stock`` (one process, in-memory stores) or ``stock-scale``.
        workers: Sanic workers (`SANIC_WORKERS`; Rasa honours more than 1 only with a
            non-in-memory lock store).
        endpoints: Its endpoints file (default: the project's own, nothing enabled).
        redis_prefix: The Redis key prefix its endpoints file sets, if any.
        log_dir: Where its log goes (set by `launch`).
    """

    model: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    name: str = "stock"
    workers: int = 1
    endpoints: Path | None = None
    redis_prefix: str | None = None
    log_dir: Path | None = None

    @property
    def webhook(self) -> str:
        """Its REST channel URL."""
        return f"http://127.0.0.1:{self.port}/webhooks/rest/webhook"

    @property
    def label(self) -> str:
        """How logs and messages name it."""
        return "stock Rasa" + (" (scale)" if self.name == "stock-scale" else "")

    def launch(self, log_dir: Path) -> None:
        """Start `rasa run` (returns at once; see `wait_ready`)."""
        self.port = free_ports(1)[0]
        self.log_dir = log_dir
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
            str(self.endpoints or "endpoints.yml"),
        ]
        env = {k: v for k, v in os.environ.items() if k != "SANIC_WORKERS"} | QUIET_RASA
        if self.workers > 1:
            env["SANIC_WORKERS"] = str(self.workers)
        log = (log_dir / f"{self.name}-rasa.log").open("ab")
        self.process = subprocess.Popen(
            argv,
            cwd=STOCK_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        print(f"  starting {self.label} on port {self.port} …", flush=True)

    def wait_ready(self) -> None:
        """Block until the server answers."""
        assert self.process is not None
        wait_http(f"http://127.0.0.1:{self.port}/", self.process, START_TIMEOUT_S, self.label)

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


def stock_scale_endpoints(redis_url: str, prefix: str) -> dict[str, Any]:
    """Stock Rasa's endpoints at scale: Redis lock and tracker stores, as Karmabot's scale has.

    Host, port, database, credentials and TLS come from `redis_url`; `prefix` must be
    alphanumeric (Rasa silently ignores any other prefix).
    """
    if not prefix.isalnum():
        raise BenchError(f"Redis key prefix {prefix!r} is not alphanumeric; Rasa would ignore it")
    env = redis_env(redis_url)
    store: dict[str, Any] = {
        "type": "redis",
        "url": env["KARMABOT_REDIS_HOST"],
        "port": int(env["KARMABOT_REDIS_PORT"]),
        "db": int(env["KARMABOT_REDIS_DB"]),
        "key_prefix": prefix,
    }
    store |= {
        key: env[f"KARMABOT_REDIS_{key.upper()}"]
        for key in ("username", "password")
        if env[f"KARMABOT_REDIS_{key.upper()}"]
    }
    if env["KARMABOT_REDIS_SSL"]:
        store["use_ssl"] = True
    return {"lock_store": dict(store), "tracker_store": store | {"record_exp": 604800}}


def stock_scale(model: Path, run_dir: Path, redis_url: str, workers: int) -> StockRasa:
    """An unstarted stock Rasa with `workers` Sanic workers and Redis lock and tracker stores.

    Its endpoints file goes to `<run_dir>/stock-scale/endpoints.yml`; the key prefix is
    derived from the run directory's name, so it is unique per run.
    """
    home = run_dir / "stock-scale"
    home.mkdir(parents=True, exist_ok=True)
    prefix = "stockscale" + "".join(c for c in run_dir.name if c.isalnum())
    endpoints = home / "endpoints.yml"
    endpoints.write_text(yaml.safe_dump(stock_scale_endpoints(redis_url, prefix)))
    return StockRasa(model, name="stock-scale", workers=workers, endpoints=endpoints,
                     redis_prefix=prefix)  # fmt: skip


def sanic_workers(pid: int, expected: int, wait_s: float = WORKERS_WAIT_S) -> int:
    """Worker processes under a Rasa server's main process `pid` (0: it serves by itself).

    Waits up to `wait_s` for `expected` of them (Sanic forks them as it starts).
    """
    deadline = time.monotonic() + wait_s
    while True:
        workers = len(cpu.process_tree(pid)) - 1
        if workers >= expected or time.monotonic() >= deadline:
            return workers
        time.sleep(0.5)


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

    `profile` is a `bot.stack` profile or ``scale-pg`` (the scale stack; give it a
    ``database_url`` in `extra`). `extra` sets more settings by field name (e.g. the channels'
    tokens for bench.channels).
    """
    stack_profile = STACK_PROFILES.get(profile, profile)
    scale = stack_profile == "scale"
    gateway, rasa, action = free_ports(3)
    data_dir = run_dir / f"{profile}-{run_dir.name}"  # unique: it names the Redis key prefix
    data_dir.mkdir(parents=True, exist_ok=True)
    fields: dict[str, Any] = {
        "data_dir": data_dir,
        "gateway_port": gateway,
        "rasa_port": rasa,
        "action_port": action,
        "rasa_url": f"http://127.0.0.1:{rasa}",
        "rasa_workers": workers if scale else 1,
        "redis_url": redis_url if scale else None,
    }
    if content_dir is not None:
        fields["content_dir"] = content_dir
    settings = Settings(**(fields | extra))
    prefix = rasa_env(settings, stack_profile).get("KARMABOT_REDIS_PREFIX")
    if prefix is not None and not prefix.isalnum():
        raise BenchError(f"Redis key prefix {prefix!r} is not alphanumeric; Rasa would ignore it")
    return Karmabot(profile, settings, Stack(settings, stack_profile), prefix)


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


def postgres_problem(url: str) -> str | None:
    """None when PostgreSQL at `url` accepts a connection, else why not."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import SQLAlchemyError

    from core.settings import normalise_db_url

    engine = create_engine(normalise_db_url(url), connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        return f"PostgreSQL at {url} is not available ({type(exc).__name__})"
    finally:
        engine.dispose()
    return None


@contextlib.contextmanager
def postgres_database(admin_url: str, parent: Path) -> Iterator[str]:
    """A fresh, migrated learner database (`bench.campaigns.stores.fresh`); dropped on exit.

    Yields its URL. `stores.fresh` creates it on the server of `stores.POSTGRES_ADMIN` as
    user postgres, so `admin_url` must name that host and port (and no other user).
    """
    from sqlalchemy.engine import make_url

    from bench.campaigns import stores
    from core.settings import normalise_db_url

    def server(url: str) -> tuple[str, int, str | None]:
        u = make_url(normalise_db_url(url))
        return u.host or "localhost", u.port or 5432, u.username

    host, port, user = server(admin_url)
    if (host, port) != server(stores.POSTGRES_ADMIN)[:2] or user not in (None, "postgres"):
        raise BenchError(
            f"--pg-url {admin_url}: bench.campaigns.stores creates its databases on "
            f"{stores.POSTGRES_ADMIN} only"
        )
    with stores.fresh("postgresql", parent) as store:
        yield store.url
