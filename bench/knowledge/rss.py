"""Memory of a process that serves questions: model loaded, index open, one answer given.

Run in a fresh interpreter by the benchmark (`python -m bench.knowledge.rss DATA_DIR`); it
prints one JSON line with the resident set size now and at its peak, in MB.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def status_mb(field: str) -> float:
    """A memory figure of this process from /proc/self/status, in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    """Load the knowledge base at argv[1], answer one question, report memory."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from knowledge.base import KnowledgeBase
    from knowledge.config import KnowledgeConfig

    kb = KnowledgeBase(KnowledgeConfig(data_dir=Path(sys.argv[1])))
    kb.ask("What is Mission Karmayogi?", log_gap=False)
    chunks = kb.store.count()
    figures = {"rss_mb": status_mb("VmRSS"), "peak_mb": status_mb("VmHWM"), "chunks": chunks}
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
