"""Fixtures that run the real stack through `karmabot up`: action server, Rasa and gateway."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from bot.stack import MODEL_PATH, RASA_BIN
from core.settings import PROJECT_ROOT
from tests.fakes.lrs import FakeLrs
from tests.fakes.server import serve
from tests.fakes.sunbird import FakeSunbird
from tests.fakes.telegram import FakeTelegram
from tests.fakes.whatsapp import FakeGraph

KARMABOT = Path(sys.executable).with_name("karmabot")
#: A small, fixed course, so course conversations do not depend on the sample content; the
#: sample content is there too, for questions to the knowledge base.
FIXTURE_CONTENT = Path(__file__).parents[1] / "fixtures" / "content"
SAMPLE_CONTENT = PROJECT_ROOT / "content"


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class RunningStack:
    """A `karmabot up` process and where to reach it."""

    process: subprocess.Popen[bytes]
    url: str
    data_dir: Path
    ports: list[int]


def stack_env(data_dir: Path, ports: list[int], **extra: str) -> dict[str, str]:
    """Environment for an isolated stack under `data_dir` on the given ports."""
    gateway, rasa, action = ports
    return os.environ | {
        "KARMABOT_DATA_DIR": str(data_dir),
        "KARMABOT_PORT": str(gateway),
        "KARMABOT_RASA_PORT": str(rasa),
        "KARMABOT_ACTION_PORT": str(action),
        **extra,
    }


def start_stack(data_dir: Path, timeout: float = 300.0, **extra: str) -> RunningStack:
    """Run `karmabot up` in its own process group and wait for the gateway and Rasa."""
    if not (RASA_BIN.exists() and MODEL_PATH.exists()):
        pytest.fail("the Rasa environment and model are missing: run `make setup model`")
    ports = [free_port() for _ in range(3)]
    log = (data_dir / "up.log").open("wb")
    process = subprocess.Popen(
        [str(KARMABOT), "up"],
        cwd=PROJECT_ROOT,
        env=stack_env(data_dir, ports, **extra),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{ports[0]}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"karmabot up exited: {(data_dir / 'up.log').read_text()[-2000:]}")
        try:
            if httpx.get(f"{url}/health", timeout=1).json().get("rasa"):
                return RunningStack(process, url, data_dir, ports)
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    os.killpg(process.pid, signal.SIGKILL)
    pytest.fail("the stack did not start in time")


def interrupt(stack: RunningStack, timeout: float = 60.0) -> int:
    """Press Ctrl-C: SIGINT to the whole process group, as a terminal does."""
    os.killpg(stack.process.pid, signal.SIGINT)
    try:
        return stack.process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(stack.process.pid, signal.SIGKILL)
        raise


@pytest.fixture(scope="session")
def platform() -> Iterator[tuple[FakeLrs, str, FakeSunbird, str]]:
    """A fake LRS and a fake Sunbird for the stack to sync to."""
    lrs, sunbird = FakeLrs(), FakeSunbird()
    with serve(lrs.app()) as lrs_url, serve(sunbird.app()) as sunbird_url:
        yield lrs, lrs_url + "/xapi", sunbird, sunbird_url


TELEGRAM_SECRET = "e2e-webhook-secret"
WHATSAPP_SECRET = "e2e-app-secret"


@pytest.fixture(scope="session")
def telegram_api() -> Iterator[tuple[FakeTelegram, str]]:
    """A fake Telegram Bot API for the stack's gateway."""
    fake = FakeTelegram()
    with serve(fake.app()) as url:
        yield fake, url


@pytest.fixture(scope="session")
def graph_api() -> Iterator[tuple[FakeGraph, str]]:
    """A fake WhatsApp Graph API for the stack's gateway."""
    fake = FakeGraph(app_secret=WHATSAPP_SECRET)
    with serve(fake.app()) as url:
        yield fake, url


@pytest.fixture(scope="session")
def running_stack(
    tmp_path_factory: pytest.TempPathFactory,
    platform: tuple[FakeLrs, str, FakeSunbird, str],
    telegram_api: tuple[FakeTelegram, str],
    graph_api: tuple[FakeGraph, str],
) -> Iterator[RunningStack]:
    """The whole stack on the embedded default, with Telegram (webhook mode) and WhatsApp on
    fake platform servers, stopped with Ctrl-C at the end."""
    lrs, lrs_url, sunbird, sunbird_url = platform
    telegram, telegram_url = telegram_api
    graph, graph_url = graph_api
    content = tmp_path_factory.mktemp("content")
    for course in [*FIXTURE_CONTENT.iterdir(), *SAMPLE_CONTENT.iterdir()]:
        shutil.copytree(course, content / course.name)
    stack = start_stack(
        tmp_path_factory.mktemp("stack"),
        KARMABOT_CONTENT_DIR=str(content),
        KARMABOT_LRS_URL=lrs_url,
        KARMABOT_LRS_USERNAME=lrs.username,
        KARMABOT_LRS_PASSWORD=lrs.password,
        KARMABOT_SUNBIRD_URL=sunbird_url,
        KARMABOT_SUNBIRD_API_KEY=sunbird.api_key,
        KARMABOT_SUNBIRD_BATCH_ID="batch-e2e",
        TELEGRAM_BOT_TOKEN=telegram.token,
        KARMABOT_TELEGRAM_MODE="webhook",
        KARMABOT_TELEGRAM_WEBHOOK_SECRET=TELEGRAM_SECRET,
        KARMABOT_TELEGRAM_API_URL=f"{telegram_url}/bot",
        WHATSAPP_ACCESS_TOKEN=graph.token,
        WHATSAPP_PHONE_NUMBER_ID=graph.phone_number_id,
        WHATSAPP_APP_SECRET=WHATSAPP_SECRET,
        WHATSAPP_VERIFY_TOKEN="e2e-verify",
        KARMABOT_WHATSAPP_API_URL=f"{graph_url}/{graph.version}",
        KARMABOT_WHATSAPP_TEMPLATE="karmabot_update",
        KARMABOT_QUIET_HOURS="off",  # the worker's sends must not wait for the morning
    )
    try:
        yield stack
    finally:
        if stack.process.poll() is None:
            interrupt(stack)


@pytest.fixture(scope="session")
def stack(running_stack: RunningStack) -> str:
    """The gateway's base URL."""
    return running_stack.url
