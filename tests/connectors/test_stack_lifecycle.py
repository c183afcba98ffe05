"""`karmabot up` starts every process, and Ctrl-C stops every one of them cleanly."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.connectors.conftest import KARMABOT, interrupt, port_open, stack_env, start_stack

pytestmark = pytest.mark.stack


def test_ctrl_c_stops_every_process(tmp_path: Path) -> None:
    stack = start_stack(tmp_path)
    assert all(port_open(p) for p in stack.ports)
    assert interrupt(stack) == 0
    time.sleep(0.5)
    assert not any(port_open(p) for p in stack.ports), "a process is still listening"
    assert "Stopped." in (tmp_path / "up.log").read_text()


def test_a_busy_port_is_explained_in_one_line(tmp_path: Path) -> None:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        busy = blocker.getsockname()[1]
        env = stack_env(tmp_path, [busy, busy + 1, busy + 2])
        done = subprocess.run(
            [str(KARMABOT), "up"], env=env, capture_output=True, text=True, timeout=60, check=False
        )
    assert done.returncode == 1
    assert f"Port {busy}" in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
