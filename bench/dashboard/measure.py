"""Timing dashboard pages over real HTTP: the dashboard's Starlette app served by uvicorn on
loopback (in a thread of this process), an httpx client signed in through the one-time link
and its Sign in form, exactly as a browser would be, then sequential GETs.

Each request is timed from sending it to the last byte of the page; warm-up requests first,
then the timed ones. The database's own floor is timed in the same run: a bare
`SELECT count(*) FROM learners`, and the overview page with its figures already at hand
(`Pages` given yesterday's answers: HTTP, the session check, rendering, no figure query).
"""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import event, text
from starlette.applications import Starlette

from bench.campaigns.stores import Store
from connectors.dashboard import DashboardServices, dashboard_routes
from learning.content import Library
from learning.dashboard_access import DashboardAccess
from tests.fakes.server import serve

SECRET = "bench-dashboard-secret"
TARGET_MS = 300.0


@dataclass(frozen=True)
class Timing:
    """Milliseconds of the timed repetitions of one measure."""

    samples: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.samples) if self.samples else float("nan")

    @property
    def p95(self) -> float:
        return percentile(self.samples, 95)

    @property
    def worst(self) -> float:
        return max(self.samples) if self.samples else float("nan")


def percentile(samples: tuple[float, ...] | list[float], q: float) -> float:
    """The q-th percentile, interpolated between the closest ranks (numpy's default)."""
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def repeat(action: Callable[[], object], runs: int, warmup: int) -> Timing:
    """Run `action` warmup times untimed, then `runs` times timed."""
    for _ in range(warmup):
        action()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    return Timing(tuple(samples))


@dataclass
class Statements:
    """SQL statements run during one request, with their milliseconds (cursor execute to
    return; the rows' fetching is in the request's time, not here)."""

    found: list[tuple[str, float]] = field(default_factory=list)

    def slowest(self, n: int = 3) -> list[tuple[str, float]]:
        return sorted(self.found, key=lambda item: -item[1])[:n]


@contextmanager
def watching(store: Store) -> Iterator[Statements]:
    """Record each statement's duration on the store's engine meanwhile."""
    seen = Statements()
    started: dict[int, float] = {}

    def before(_conn: Any, cursor: Any, *_args: Any) -> None:
        started[id(cursor)] = time.perf_counter()

    def after(_conn: Any, cursor: Any, statement: str, *_args: Any) -> None:
        began = started.pop(id(cursor), None)
        if began is not None:
            seen.found.append((" ".join(statement.split()), (time.perf_counter() - began) * 1000))

    event.listen(store.engine, "before_cursor_execute", before)
    event.listen(store.engine, "after_cursor_execute", after)
    try:
        yield seen
    finally:
        event.remove(store.engine, "before_cursor_execute", before)
        event.remove(store.engine, "after_cursor_execute", after)


def dashboard_app(store: Store, library: Library) -> Starlette:
    """The dashboard's routes on the store, as the gateway mounts them."""
    services = DashboardServices(
        access=DashboardAccess(store.sessions), sessions=store.sessions, secret=SECRET,
        zone=ZoneInfo("Asia/Kolkata"), library=library, client_limit="100000/minute",
    )  # fmt: skip
    return Starlette(routes=dashboard_routes(services))


@contextmanager
def served(store: Store, library: Library) -> Iterator[str]:
    """The dashboard on a loopback port; yields its base URL."""
    with serve(dashboard_app(store, library)) as url:
        yield url


def signed_in(store: Store, url: str, who: str) -> httpx.Client:
    """A client signed in as `who` through a fresh one-time link and its form."""
    token = DashboardAccess(store.sessions).invite(who)
    client = httpx.Client(base_url=url, timeout=120)
    path = f"/dashboard/signin/{token}"
    form = client.get(path)
    form.raise_for_status()
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    if csrf is None:
        raise RuntimeError(f"no sign-in form at {path}")
    done = client.post(path, data={"csrf": csrf.group(1)}, follow_redirects=False)
    if done.status_code != 303:
        raise RuntimeError(f"sign-in as {who} failed: {done.status_code}")
    return client


def get_page(client: httpx.Client, path: str, params: dict[str, str] | None = None) -> str:
    """GET a page; anything but 200 is an error (a redirect would time the sign-in page)."""
    response = client.get(path, params=params, follow_redirects=False)
    if response.status_code != 200:
        raise RuntimeError(f"GET {path} {params or ''}: {response.status_code}")
    return response.text


def figure(html: str, key: str) -> str:
    """The number a page's `data-figure` card shows ("" when it has none)."""
    found = re.search(rf'data-figure="{key}"><div class="n">([^<]+)</div>', html)
    return found.group(1) if found else ""


def count_learners(store: Store) -> None:
    """The floor: one trivial aggregate, through the same engine."""
    with store.engine.connect() as connection:
        connection.execute(text("SELECT count(*) FROM learners")).scalar()


@contextmanager
def figures_at_hand() -> Iterator[None]:
    """The overview's figure queries answered from memory: the answers of their first call
    come back at once, so a GET costs HTTP, the session check and rendering only."""
    from connectors.dashboard import pages

    kept: dict[str, Callable[..., Any]] = {}
    cache: dict[str, Any] = {}
    for name in ("overview", "choices"):
        original = getattr(pages, name)
        kept[name] = original

        def remembered(*args: Any, _name: str = name, _f: Any = original, **kw: Any) -> Any:
            if _name not in cache:
                cache[_name] = _f(*args, **kw)
            return cache[_name]

        setattr(pages, name, remembered)
    try:
        yield
    finally:
        for name, original in kept.items():
            setattr(pages, name, original)
