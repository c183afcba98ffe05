"""CPU time used by the processes of a system, read from /proc (Linux)."""

from __future__ import annotations

import os
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
#: Stands for this process alone (the load generator), without the systems it started.
SELF = 0


def _children(pid: int) -> list[int]:
    kids: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            kids += [int(k) for k in task.read_text().split()]
        except (OSError, ValueError):
            continue
    return kids


def process_tree(pid: int, limit: int = 64) -> list[int]:
    """`pid` and its descendants (e.g. forked Sanic workers), at most `limit` of them."""
    found: list[int] = []
    queue = [pid]
    while queue and len(found) < limit:
        current = queue.pop()
        found.append(current)
        queue += _children(current)
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of `pid` and its descendants so far (0 when gone)."""
    if pid == SELF:
        times = os.times()
        return times.user + times.system
    total = 0
    for proc in process_tree(pid):
        try:
            fields = Path(f"/proc/{proc}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


#: Key of the whole machine's busy CPU time in snapshots.
MACHINE = "machine"


def machine_busy_seconds() -> float:
    """Busy CPU seconds of the whole machine since boot, all cores (0 when unknown)."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except (OSError, IndexError):
        return 0.0
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / TICKS


def snapshot(processes: dict[str, int]) -> dict[str, float]:
    """CPU seconds so far for each named process tree, and for the whole machine."""
    seconds = {name: cpu_seconds(pid) for name, pid in processes.items()}
    seconds[MACHINE] = machine_busy_seconds()
    return seconds


def other_cores(cpu_ms: dict[str, float], throughput: float) -> float:
    """Cores used by processes outside the system and load generator (other work on the box)."""
    if MACHINE not in cpu_ms:
        return float("nan")
    mine = sum(v for k, v in cpu_ms.items() if k != MACHINE)
    return max(0.0, cpu_ms[MACHINE] - mine) * throughput / 1000


def per_turn_ms(before: dict[str, float], after: dict[str, float], turns: int) -> dict[str, float]:
    """CPU milliseconds per turn for each process tree between two snapshots."""
    if turns <= 0:
        return {}
    return {name: (after[name] - before[name]) * 1000 / turns for name in before}
