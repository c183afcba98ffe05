"""A worker process with a stack sampler inside (py-spy's poor cousin, for finding hot spots).

    python -m bench.campaigns.sample OUT.json     # instead of `python -m bot.serve worker`

A thread takes every thread's stack every 5 ms (`sys._current_frames`) and counts, per thread
kind (the event loop's thread, executor threads), how often each function was on the stack
(inclusive) and on top of it (self). The counts go to OUT.json when the worker stops. It needs
the GIL to sample, so it sees Python code only, and time spent waiting for the GIL shows up in
whatever held it: a guide to where the time goes, not a measurement.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from types import FrameType

INTERVAL = 0.005


def _where(frame: FrameType) -> str:
    code = frame.f_code
    parts = Path(code.co_filename).parts
    short = "/".join(parts[-2:]) if "site-packages" not in parts else "/".join(parts[-3:])
    return f"{short}:{code.co_name}"


class Sampler(threading.Thread):
    """Samples every other thread's stack until `stop` is set."""

    def __init__(self) -> None:
        super().__init__(daemon=True, name="bench-sampler")
        self.stop = threading.Event()
        self.main = threading.main_thread().ident
        self.samples: Counter[str] = Counter()
        self.inclusive: dict[str, Counter[str]] = {"loop": Counter(), "executor": Counter()}
        self.top: dict[str, Counter[str]] = {"loop": Counter(), "executor": Counter()}

    def run(self) -> None:
        me = threading.get_ident()
        while not self.stop.wait(INTERVAL):
            for ident, frame in sys._current_frames().items():
                if ident == me:
                    continue
                kind = "loop" if ident == self.main else "executor"
                stack = []
                current: FrameType | None = frame
                while current is not None:
                    stack.append(_where(current))
                    current = current.f_back
                if kind == "executor" and stack[0].endswith(("_worker", "wait")):
                    continue  # an idle executor thread
                self.samples[kind] += 1
                self.top[kind][stack[0]] += 1
                for name in set(stack):
                    self.inclusive[kind][name] += 1

    def dump(self, path: Path) -> None:
        """Write the counts (the 60 largest of each kind) as JSON."""
        body = {
            "interval_s": INTERVAL,
            "samples": dict(self.samples),
            "inclusive": {k: c.most_common(60) for k, c in self.inclusive.items()},
            "self": {k: c.most_common(60) for k, c in self.top.items()},
        }
        path.write_text(json.dumps(body, indent=1), encoding="utf-8")


def summary(path: Path, top: int = 12) -> list[str]:
    """The hottest frames of a dump, per thread kind: on top of the stack, and on it at all."""
    body = json.loads(path.read_text(encoding="utf-8"))
    lines = []
    for kind, total in body["samples"].items():
        lines.append(f"{kind} thread(s): {total} samples")
        for title in ("self", "inclusive"):
            # frames on (nearly) every stack, such as the event loop's own, say nothing
            found = [(name, n) for name, n in body[title][kind] if n / total < 0.9][:top]
            lines.append(f"  {title}:")
            lines += [f"    {n / total:6.1%}  {name}" for name, n in found]
    return lines


def main() -> None:
    """Run the worker under the sampler; write the counts when it stops."""
    out = Path(sys.argv[1])
    sampler = Sampler()
    sampler.start()
    started = time.monotonic()
    try:
        from bot.serve import main as serve

        serve(["worker"])
    finally:
        sampler.stop.set()
        sampler.join()
        sampler.dump(out)
        print(f"sampled {time.monotonic() - started:.0f} s into {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
