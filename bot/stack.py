"""Start, watch and stop Karmabot's processes: action server, Rasa server, gateway, worker."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

import httpx

from core.settings import PROJECT_ROOT, Settings

RASA_BIN = PROJECT_ROOT / ".venv-rasa" / "bin" / "rasa"
RASA_PYTHON = RASA_BIN.with_name("python")
MODEL_PATH = PROJECT_ROOT / "models" / "karmabot.tar.gz"


#: Seconds a service without a port must stay up to count as started.
WORKER_GRACE = 1.0


class StackError(RuntimeError):
    """A problem starting the stack, explained in one line for the person at the terminal."""


@dataclass
class Service:
    """One process of the stack."""

    name: str
    argv: list[str]
    port: int
    health_path: str
    startup_timeout: float
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None

    @property
    def listens(self) -> bool:
        """Whether the service serves HTTP (the worker does not)."""
        return self.port > 0

    @property
    def health_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.health_path}"


def rasa_env(settings: Settings, profile: str) -> dict[str, str]:
    """Environment for the Rasa server: the values endpoints*.yml refers to."""
    data_dir = settings.resolved_data_dir
    env = {
        "KARMABOT_ACTION_PORT": str(settings.action_port),
        "KARMABOT_TRACKER_DB": str(data_dir / "tracker.db"),
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "RASA_TELEMETRY_ENABLED": "false",
        "SANIC_WORKERS": str(settings.rasa_workers),
    }
    if profile == "scale":
        env |= redis_env(settings.redis_url or "redis://127.0.0.1:6379/1")
        env["KARMABOT_REDIS_PREFIX"] = "karmabot" + data_dir.name.replace("-", "")
    return env


def redis_env(url: str) -> dict[str, str]:
    """`REDIS_URL` as the values endpoints.scale.yml gives Rasa's Redis lock and tracker store.

    Nothing in the URL is dropped: user name and password (percent-decoded), database (the path
    or `?db=`), and TLS for `rediss://`. Rasa needs every variable set, so an absent user name,
    password or TLS flag is "" (which Rasa and redis-py read as none, and as off).
    """
    redis = urlparse(url)
    db = redis.path.lstrip("/") or parse_qs(redis.query).get("db", ["1"])[0]
    return {
        "KARMABOT_REDIS_HOST": redis.hostname or "127.0.0.1",
        "KARMABOT_REDIS_PORT": str(redis.port or 6379),
        "KARMABOT_REDIS_DB": db,
        "KARMABOT_REDIS_USERNAME": unquote(redis.username or ""),
        "KARMABOT_REDIS_PASSWORD": unquote(redis.password or ""),
        "KARMABOT_REDIS_SSL": "true" if redis.scheme == "rediss" else "",
    }


def child_env(settings: Settings) -> dict[str, str]:
    """The environment every child process gets on top of the supervisor's: all settings.

    Passing every setting down explicitly means a child never reads a different value (e.g.
    from a `.env` in another working directory). Rasa is always reached on its local port.
    """
    return settings.as_env() | {"KARMABOT_RASA_URL": f"http://127.0.0.1:{settings.rasa_port}"}


def build_services(settings: Settings, profile: str = "embedded") -> list[Service]:
    """The stack's processes, in start order."""
    python = sys.executable
    endpoints = "endpoints.scale.yml" if profile == "scale" else "endpoints.yml"
    return [
        Service(
            "action server",
            [python, "-m", "bot.serve", "actions", "--port", str(settings.action_port)],
            settings.action_port,
            "/health",
            60,
        ),
        Service(
            "rasa",
            [
                str(RASA_PYTHON), "-m", "bot.rasa_server",
                *([] if settings.rasa_patches else ["--stock"]), "run", "--model", str(MODEL_PATH),
                "--endpoints", endpoints, "--credentials", "credentials.yml",
                "--interface", "127.0.0.1", "--port", str(settings.rasa_port),
            ],
            settings.rasa_port,
            "/",
            240,
            rasa_env(settings, profile),
        ),
        Service(
            "gateway",
            [python, "-m", "bot.serve", "gateway", "--host", settings.gateway_host,
             "--port", str(settings.gateway_port)],
            settings.gateway_port,
            "/health",
            60,
        ),
        Service("worker", [python, "-m", "bot.serve", "worker"], 0, "", 30),
    ]  # fmt: skip


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    """True when something already listens on `host:port`."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def prepare_tracker_db(path: Path) -> None:
    """Put Rasa's SQLite tracker store in WAL mode (persistent in the file) before Rasa opens it.

    Rasa's SQL tracker store commits after every event; in the default rollback-journal mode each
    commit costs several fsyncs, in WAL mode one.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA journal_mode=WAL")


def preflight(services: list[Service]) -> None:
    """Check what the stack needs before starting anything.

    Raises:
        StackError: with a one-line explanation and what to do about it.
    """
    if not RASA_BIN.exists():
        raise StackError(f"Rasa is not installed ({RASA_BIN} missing): run `make setup`.")
    if not MODEL_PATH.exists():
        raise StackError(f"No trained Rasa model at {MODEL_PATH}: run `make model`.")
    for service in services:
        if service.listens and port_in_use(service.port):
            raise StackError(
                f"Port {service.port} (needed by the {service.name}) is already in use: stop "
                "what runs there, or choose other ports (KARMABOT_PORT, KARMABOT_RASA_PORT, "
                "KARMABOT_ACTION_PORT)."
            )


def explain_exit(service: Service, log: Path) -> str:
    """One line on why a service stopped during start-up, from the tail of its log."""
    assert service.process is not None
    tail = log.read_text(errors="replace")[-20_000:] if log.exists() else ""
    missing = re.findall(r"ModuleNotFoundError: No module named '([^']+)'", tail)
    if missing:
        return (
            f"The {service.name} cannot start: the Python package '{missing[-1]}' is missing; "
            "run `make setup`."
        )
    if "Address already in use" in tail or "address already in use" in tail:
        return f"The {service.name} cannot start: port {service.port} is already in use."
    return f"The {service.name} exited with code {service.process.returncode}; see {log}."


class Stack:
    """The running processes, started in order and stopped together."""

    def __init__(self, settings: Settings, profile: str = "embedded") -> None:
        self.settings = settings
        self.services = build_services(settings, profile)
        self.log_dir = settings.resolved_data_dir / "logs"

    def start(self, progress: bool = True) -> None:
        """Start every service and wait until each answers its health check."""
        preflight(self.services)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        prepare_tracker_db(self.settings.resolved_data_dir / "tracker.db")
        base_env = os.environ | child_env(self.settings)
        try:
            for service in self.services:
                if progress:
                    where = f" on port {service.port}" if service.listens else ""
                    print(f"  starting {service.name}{where} …", flush=True)
                log = self.log_path(service).open("ab")
                service.process = subprocess.Popen(
                    service.argv,
                    cwd=PROJECT_ROOT,
                    env=base_env | service.env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    # Own process group: a child's cleanup (Sanic kills its process group when
                    # a shutdown is interrupted) can never take the supervisor down with it.
                    # The supervisor forwards Ctrl-C as SIGTERM instead.
                    start_new_session=True,
                )
                self._wait_healthy(service)
        except BaseException:
            self.stop()
            raise

    def log_path(self, service: Service) -> Path:
        """Where a service's output goes."""
        return self.log_dir / f"{service.name.replace(' ', '-')}.log"

    def _wait_healthy(self, service: Service) -> None:
        deadline = time.monotonic() + service.startup_timeout
        assert service.process is not None
        if not service.listens:  # no health check: it must not exit at once
            time.sleep(WORKER_GRACE)
            if service.process.poll() is not None:
                raise StackError(explain_exit(service, self.log_path(service)))
            return
        while time.monotonic() < deadline:
            if service.process.poll() is not None:
                raise StackError(explain_exit(service, self.log_path(service)))
            try:
                if httpx.get(service.health_url, timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        raise StackError(
            f"The {service.name} did not become ready within {service.startup_timeout:.0f} s."
        )

    def wait(self) -> int:
        """Block until a service exits; return its exit code."""
        while True:
            for service in self.services:
                if service.process is not None and service.process.poll() is not None:
                    return service.process.returncode
            time.sleep(0.5)

    def stop(self, timeout: float = 15.0) -> None:
        """Stop all services: SIGTERM first, SIGKILL after `timeout` seconds."""
        running = [s.process for s in reversed(self.services) if s.process is not None]
        for process in running:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for process in running:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
