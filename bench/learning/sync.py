"""Outbox sync throughput: statements per second from the outbox to a local fake LRS.

Baseline, in the same run: the same statements POSTed to the same fake LRS in the same batch
size straight from memory, with no outbox reads or writes. The ratio is the outbox's cost.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

from learning.db import make_engine, session_factory, upgrade
from learning.events import EventKind, LearningEvent
from learning.outbox import SqlOutbox
from learning.records import RecordStore
from learning.repository import SqlLearnerRepository
from learning.sync import LrsSink, SyncJob
from learning.xapi import statement_for
from tests.fakes.lrs import FakeLrs
from tests.fakes.server import serve

HOME, BASE = "https://igot.example.gov.in", "https://karmabot.example.org/xapi"


@dataclass(frozen=True)
class SyncFigures:
    """Medians over runs, in statements per second."""

    statements: int
    batch: int
    baseline: float
    outbox: float


def _events(learner_id: str, count: int) -> list[LearningEvent]:
    now = datetime.now(UTC)
    return [
        LearningEvent(
            kind=EventKind.LESSON_COMPLETED,
            key=f"{learner_id}:c:{i}",
            learner_id=learner_id,
            course_id="c",
            course_version=1,
            registration=str(uuid.uuid4()),
            language="en",
            timestamp=now,
            lesson_id=f"l{i}",
            title=f"Lesson {i}",
        )
        for i in range(count)
    ]


async def _baseline(url: str, events: list[LearningEvent], batch: int) -> float:
    statements = [statement_for(e, home_page=HOME, activity_base=BASE) for e in events]
    headers = {"X-Experience-API-Version": "1.0.3"}
    async with httpx.AsyncClient(timeout=30) as client:
        started = time.perf_counter()
        for i in range(0, len(statements), batch):
            response = await client.post(
                url + "/statements",
                json=statements[i : i + batch],
                auth=("karmabot", "secret"),
                headers=headers,
            )
            response.raise_for_status()
        return len(statements) / (time.perf_counter() - started)


async def _outbox(url: str, db: Path, count: int, batch: int) -> float:
    db_url = f"sqlite:///{db}"
    engine = make_engine(db_url)
    upgrade(db_url, engine)
    sessions = session_factory(engine)
    learner = SqlLearnerRepository(sessions).get_or_create("bench", db.stem)
    records = RecordStore(sessions, sinks=("lrs",))
    events = _events(learner.id, count)  # ids of their own, not the baseline's statements
    for event in events:
        records.lessons.complete(event, None)
    async with httpx.AsyncClient(timeout=30) as client:
        sink = LrsSink(url, "karmabot", "secret", home_page=HOME, activity_base=BASE, client=client)
        job = SyncJob(SqlOutbox(sessions), [sink], batch_size=batch)
        started = time.perf_counter()
        report = await job.run_once()
        elapsed = time.perf_counter() - started
    engine.dispose()
    assert report.sent["lrs"] == len(events), report
    return len(events) / elapsed


def measure(statements: int = 5000, batch: int = 100, runs: int = 3) -> SyncFigures:
    """Run baseline and outbox sync `runs` times each against one fake LRS."""
    base, ours = [], []
    with tempfile.TemporaryDirectory() as tmp, serve(FakeLrs().app()) as root:
        url = root + "/xapi"
        for run in range(runs):
            events = _events(f"run{run}", statements)
            base.append(asyncio.run(_baseline(url, events, batch)))
            ours.append(asyncio.run(_outbox(url, Path(tmp) / f"r{run}.db", statements, batch)))
    return SyncFigures(statements, batch, statistics.median(base), statistics.median(ours))


def table(f: SyncFigures, runs: int) -> list[str]:
    """Markdown lines for docs/PERFORMANCE.md."""
    met = "met" if f.outbox >= 1000 else "**not met**"
    return [
        f"{f.statements:,} lesson-completion events, synced in batches of {f.batch} to a local "
        f"fake LRS (a Starlette app under uvicorn that checks every statement against the "
        f"xAPI rules); medians of {runs} runs. The baseline POSTs the same statements from "
        "memory; the outbox path claims each batch from SQLite, builds the statements, POSTs "
        "them and marks them sent.",
        "",
        "| Path | Statements/s | vs baseline | Target ≥ 1,000/s |",
        "|---|---|---|---|",
        f"| Baseline: POST from memory | {f.baseline:,.0f} | 1.00× | |",
        f"| Outbox → LRS (SyncJob) | {f.outbox:,.0f} | {f.outbox / f.baseline:.2f}× | {met} |",
    ]
