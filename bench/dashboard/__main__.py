"""`python -m bench.dashboard`: the supervisor dashboard's pages at 100,000 learners.

For each store (SQLite in a file, PostgreSQL in a fresh database on 127.0.0.1:5432, dropped
afterwards): a year of activity (bench/dashboard/generate.py) and a campaign to everyone
(campaign.py), then full HTTP GETs of the overview as an admin, a ministry's and a district's
supervisor, with and without filters, and of the campaign's report page, against the
baselines (measure.py). Writes the "dashboard" section of docs/PERFORMANCE.md (`--quick`: of
var/bench/PERFORMANCE.quick.md, at 5,000 learners).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

from bench.campaigns.stores import Store, fresh
from bench.dashboard import campaign, generate, measure
from bench.dashboard.report import Row, StoreRun, section
from bench.doc import DOC, provenance, write_section
from bench.turns.cpu import machine_busy_seconds
from core.settings import PROJECT_ROOT
from learning.content_loader import load

_STARTED = time.monotonic()
COURSE = generate.course_name(3)
#: (page, viewer, query parameters) of the overview's timed views.
OVERVIEWS: tuple[tuple[str, dict[str, str]], ...] = (
    ("admin", {}),
    ("admin", {"organisation": "Ministry 2", "course": COURSE}),
    ("ministry", {}),
    ("district", {}),
    ("district", {"role": "Clerk", "course": COURSE, "language": "hi"}),
)


def log(message: str) -> None:
    """A progress line on stderr."""
    print(f"[bench.dashboard {time.monotonic() - _STARTED:6.1f}s] {message}", file=sys.stderr,
          flush=True)  # fmt: skip


def options(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.dashboard", description=__doc__)
    p.add_argument("--quick", action="store_true", help="5,000 learners, 3 runs: a smoke test")
    p.add_argument("--learners", type=int, help="learners in the organisation (100,000)")
    p.add_argument("--runs", type=int, help="timed requests per page (9)")
    p.add_argument("--warmup", type=int, default=2, help="untimed requests first (2)")
    p.add_argument("--stores", default="sqlite,postgresql", help="sqlite, postgresql")
    p.add_argument("--out", type=Path, help="the document to write the section into")
    args = p.parse_args(argv)
    args.learners = args.learners or (5_000 if args.quick else 100_000)
    args.runs = args.runs or (3 if args.quick else 9)
    quick_doc = PROJECT_ROOT / "var" / "bench" / "PERFORMANCE.quick.md"
    args.out = args.out or (quick_doc if args.quick else DOC)
    return args


def describe(params: dict[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in params.items())


def load_average() -> float:
    return os.getloadavg()[0]


def run_store(kind: str, args: argparse.Namespace, parent: Path) -> StoreRun:
    """Make one store, time its pages, drop it."""
    library = load(PROJECT_ROOT / "content")
    with fresh(kind, parent) as store:
        now = datetime.now(UTC)
        started = time.monotonic()
        counts = generate.fill(store, args.learners, now, log=lambda m: log(f"{kind}: {m}"))
        cid, sends = campaign.sent_campaign(store, "admin", now)
        fill_s = time.monotonic() - started
        log(f"{kind}: filled in {fill_s:.0f} s; campaign {cid} with {sends:,} sends")
        done = StoreRun(kind, counts, fill_s)
        with measure.served(store, library) as url:
            clients = {who: measure.signed_in(store, url, who) for who in generate.VIEWERS}
            load_before, busy_before = load_average(), machine_busy_seconds()
            own_before, wall_before = time.process_time(), time.monotonic()
            bare = measure.repeat(lambda: measure.count_learners(store), args.runs, args.warmup)
            done.rows.append(Row(kind, "`SELECT count(*) FROM learners`", "–", "", bare,
                                 baseline=True))  # fmt: skip
            admin = clients["admin"]
            with measure.figures_at_hand():
                timing = measure.repeat(
                    lambda: measure.get_page(admin, "/dashboard/"), args.runs, args.warmup
                )
            done.rows.append(Row(kind, "overview, figures at hand", "admin", "", timing,
                                 baseline=True))  # fmt: skip
            for who, params in OVERVIEWS:
                done.rows.append(time_page(store, clients[who], "overview", who, "/dashboard/",
                                           params, args))  # fmt: skip
            done.rows.append(time_page(store, admin, "campaign report", "admin",
                                       f"/dashboard/campaigns/{cid}", {}, args,
                                       size=f"{sends:,} sends"))  # fmt: skip
            busy = machine_busy_seconds() - busy_before
            own = time.process_time() - own_before
            wall = max(time.monotonic() - wall_before, 1e-9)
            done.load = (load_before, load_average())
            done.other_cores = max(busy - own, 0.0) / wall
            for client in clients.values():
                client.close()
    return done


def time_page(
    store: Store, client: httpx.Client, page: str, who: str, path: str,
    params: dict[str, str], args: argparse.Namespace, size: str = "",
) -> Row:  # fmt: skip
    """Time GETs of one page; one more request records its SQL statements."""

    def get() -> str:
        return measure.get_page(client, path, params)

    timing = measure.repeat(get, args.runs, args.warmup)
    with measure.watching(store) as seen:
        html = get()
    if not size:  # the page writes numbers the Indian way (1,00,003)
        digits = "".join(c for c in measure.figure(html, "learners") if c.isdigit())
        size = f"{int(digits):,}" if digits else ""
    log(f"{store.kind}: {page} as {who} {describe(params)}: median {timing.median:.0f} ms, "
        f"p95 {timing.p95:.0f} ms")  # fmt: skip
    return Row(store.kind, page, who, describe(params), timing, size, tuple(seen.slowest()))


def stop_cleanly(signum: int, _frame: object) -> None:
    """SIGTERM: leave through the `with` blocks, so the PostgreSQL database is dropped."""
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> None:
    args = options(argv)
    before = signal.signal(signal.SIGTERM, stop_cleanly)
    runs = []
    try:
        with tempfile.TemporaryDirectory(prefix="bench-dashboard-") as parent:
            for kind in [k.strip() for k in args.stores.split(",") if k.strip()]:
                runs.append(run_store(kind, args, Path(parent)))
    finally:
        signal.signal(signal.SIGTERM, before)
    text = section(runs, args.learners, provenance("bench.dashboard", argv), args.runs)
    write_section("dashboard", text, args.out)
    print(text)
    log(f"wrote the section to {args.out}")


if __name__ == "__main__":
    main()
