"""Campaign delivery at scale: planning, pace, the engine's ceiling, and a SIGKILL mid-campaign."""

from __future__ import annotations

import contextlib
import ctypes
import signal
import sys
import time

_STARTED = time.monotonic()


def log(message: str) -> None:
    """A progress line on stderr, with the seconds since the benchmark started."""
    elapsed = time.monotonic() - _STARTED
    print(f"[bench.campaigns {elapsed:6.1f}s] {message}", file=sys.stderr, flush=True)


def die_with_parent() -> None:
    """For `Popen(preexec_fn=…)`: the child gets SIGTERM if the benchmark dies (Linux)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
