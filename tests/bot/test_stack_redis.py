"""REDIS_URL reaches Rasa's Redis lock and tracker store whole: user, password, database, TLS."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import stack
from core.settings import PROJECT_ROOT, Settings

SCALE_ENDPOINTS = PROJECT_ROOT / "endpoints.scale.yml"


def scale_env(tmp_path: Path, url: str) -> dict[str, str]:
    settings = Settings(KARMABOT_DATA_DIR=str(tmp_path), REDIS_URL=url)  # type: ignore[call-arg]
    return stack.rasa_env(settings, "scale")


def test_the_password_user_and_database_are_kept(tmp_path: Path) -> None:
    env = scale_env(tmp_path, "redis://karma:s3cr%40t%2Fx@cache.test:6380/4")
    assert env["KARMABOT_REDIS_HOST"] == "cache.test" and env["KARMABOT_REDIS_PORT"] == "6380"
    assert env["KARMABOT_REDIS_DB"] == "4"
    assert env["KARMABOT_REDIS_USERNAME"] == "karma"
    assert env["KARMABOT_REDIS_PASSWORD"] == "s3cr@t/x"  # percent-decoded
    assert env["KARMABOT_REDIS_SSL"] == ""


def test_a_password_without_a_user_tls_and_a_query_database(tmp_path: Path) -> None:
    env = scale_env(tmp_path, "rediss://:only-pass@redis.internal?db=2")
    assert (env["KARMABOT_REDIS_USERNAME"], env["KARMABOT_REDIS_PASSWORD"]) == ("", "only-pass")
    assert env["KARMABOT_REDIS_DB"] == "2" and env["KARMABOT_REDIS_PORT"] == "6379"
    assert env["KARMABOT_REDIS_SSL"] == "true"


def test_no_credentials_stay_empty_and_the_defaults_hold(tmp_path: Path) -> None:
    env = scale_env(tmp_path, "redis://10.0.0.5")
    assert env["KARMABOT_REDIS_DB"] == "1"
    assert env["KARMABOT_REDIS_USERNAME"] == env["KARMABOT_REDIS_PASSWORD"] == ""


def test_every_variable_of_the_scale_endpoints_is_set(tmp_path: Path) -> None:
    """Rasa refuses to start on an unset ${VAR}; each store gets the credentials."""
    text = SCALE_ENDPOINTS.read_text(encoding="utf-8")
    env = scale_env(tmp_path, "redis://:pw@127.0.0.1:6379/1")
    assert set(re.findall(r"\$\{(\w+)\}", text)) <= set(env) | {"KARMABOT_ACTION_PORT"}
    for store in ("lock_store", "tracker_store"):
        block = text.split(f"{store}:")[1].split("\n\n")[0]
        for key in ("username", "password", "db", "use_ssl"):
            assert re.search(rf"^  {key}: \$\{{KARMABOT_REDIS_\w+\}}$", block, re.M), (store, key)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def locked_redis(tmp_path: Path) -> Iterator[int]:
    """A Redis on loopback whose only user is `karma` with a password."""
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed")
    port = _free_port()
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path), "--user", "default", "off",
         "--user", "karma", "on", ">s3cr@t", "~*", "&*", "+@all"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _ in range(100):
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        yield port
    finally:
        process.terminate()
        process.wait(10)


_PROBE = """
import json, sys
from rasa.core.lock_store import LockStore
from rasa.core.tracker_store import TrackerStore
from rasa.utils.endpoints import read_endpoint_config
path = sys.argv[1]
lock = LockStore.create(read_endpoint_config(path, "lock_store"))
tracker = TrackerStore.create(read_endpoint_config(path, "tracker_store"))
lock.save_lock(lock.create_lock("probe"))
print(json.dumps({"lock": lock.red.ping(), "tracker": tracker.red.ping(),
                  "db": lock.red.connection_pool.connection_kwargs["db"],
                  "tracker_db": tracker.red.connection_pool.connection_kwargs["db"],
                  "store": type(tracker).__name__, "lock_store": type(lock).__name__}))
"""


@pytest.mark.skipif(not stack.RASA_PYTHON.exists(), reason="needs .venv-rasa (make setup)")
def test_rasa_stores_log_in_to_a_password_protected_redis(
    tmp_path: Path, locked_redis: int
) -> None:
    url = f"redis://karma:s3cr%40t@127.0.0.1:{locked_redis}/3"
    env = os.environ | scale_env(tmp_path, url) | {"KARMABOT_ACTION_PORT": "5055"}
    done = subprocess.run(
        [str(stack.RASA_PYTHON), "-c", _PROBE, str(SCALE_ENDPOINTS)],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {"lock": True, "tracker": True, "db": 3, "tracker_db": 3,
                      "store": "SessionRedisTrackerStore",
                      "lock_store": "AtomicRedisLockStore"}  # fmt: skip
