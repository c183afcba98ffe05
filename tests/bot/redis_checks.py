"""Run a check script in `.venv-rasa` against the local Redis and read its JSON report."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from bot import stack
from core.settings import PROJECT_ROOT

REDIS_DB = 13


def run_redis_check(check: Path, folder: Path, stem: str) -> dict[str, Any]:
    """Run `check --redis-db --prefix --out` under a fresh key prefix; its keys are deleted
    afterwards. Fails (not skips) without Redis or the Rasa environment."""
    redis = pytest.importorskip("redis")
    client = redis.Redis(host="127.0.0.1", port=6379, db=REDIS_DB)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis on 127.0.0.1:6379 is needed: {exc}")
    if not stack.RASA_PYTHON.exists():
        pytest.fail("the Rasa environment is missing: run `make setup`")
    prefix = f"{stem}{time.time_ns()}"
    out = folder / "report.json"
    env = os.environ | {"PYTHONPATH": str(PROJECT_ROOT), "RASA_TELEMETRY_ENABLED": "false"}
    try:
        done = subprocess.run(
            [str(stack.RASA_PYTHON), str(check), "--redis-db", str(REDIS_DB),
             "--prefix", prefix, "--out", str(out)],
            cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-3000:]
        return dict(json.loads(out.read_text(encoding="utf-8")))
    finally:
        keys = list(client.scan_iter(match=f"{prefix}*"))
        if keys:
            client.delete(*keys)
