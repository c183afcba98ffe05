"""Recording a lesson completion (record, points and outbox rows) on SQLite and PostgreSQL.

Baseline, in the same run on the same database: one bare INSERT of a completion row and its
COMMIT, which is the least any durable recording can cost.
"""

from __future__ import annotations

import statistics
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from learning.db import make_engine, session_factory, upgrade
from learning.events import EventKind, LearningEvent
from learning.models import LessonCompletionRow
from learning.records import RecordStore
from learning.repository import SqlLearnerRepository

POSTGRES_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@dataclass(frozen=True)
class Figures:
    """Median over runs of each run's p50 and p95, in milliseconds."""

    backend: str
    baseline_p50: float
    record_p50: float
    record_p95: float

    @property
    def ratio(self) -> float:
        """How many bare inserts one recording costs."""
        return self.record_p50 / self.baseline_p50 if self.baseline_p50 else 0.0


def _event(learner_id: str, lesson: str) -> LearningEvent:
    return LearningEvent(
        kind=EventKind.LESSON_COMPLETED,
        key=f"{learner_id}:bench:{lesson}",
        learner_id=learner_id,
        course_id="bench",
        course_version=1,
        registration=str(uuid.uuid4()),
        language="en",
        timestamp=datetime.now(UTC),
        lesson_id=lesson,
        title=lesson,
    )


def _quantile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q * 100) - 1]


def _one_run(url: str, operations: int) -> tuple[float, float, float]:
    engine = make_engine(url)
    upgrade(url, engine)
    sessions = session_factory(engine)
    learner = SqlLearnerRepository(sessions).get_or_create("bench", uuid.uuid4().hex)
    records = RecordStore(sessions, sinks=("lrs", "sunbird"))
    base, ours = [], []
    for i in range(operations):
        started = time.perf_counter()
        with sessions.begin() as session:
            session.add(
                LessonCompletionRow(
                    learner_id=learner.id, course_id="baseline", lesson_id=f"b{i}", language="en"
                )
            )
        base.append((time.perf_counter() - started) * 1000)
        event = _event(learner.id, f"l{i}")
        progress = LearningEvent(
            **{**event.__dict__, "kind": EventKind.COURSE_PROGRESSED, "progress": i % 100}
        )
        started = time.perf_counter()
        records.lessons.complete(event, progress)
        ours.append((time.perf_counter() - started) * 1000)
    engine.dispose()
    return statistics.median(base), statistics.median(ours), _quantile(ours, 0.95)


def _postgres_url() -> tuple[str, sa.Engine] | None:
    admin = sa.create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            name = f"karmabot_bench_{uuid.uuid4().hex[:8]}"
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError:
        return None
    return admin.url.set(database=name).render_as_string(hide_password=False), admin


def measure(runs: int = 3, operations: int = 300) -> list[Figures]:
    """Figures for SQLite (a file in a temp dir) and PostgreSQL (a fresh database), if up."""
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        per_run = [_one_run(f"sqlite:///{Path(tmp) / f'r{i}.db'}", operations) for i in range(runs)]
    results.append(_figures("SQLite (WAL, file)", per_run))
    postgres = _postgres_url()
    if postgres:
        url, admin = postgres
        per_run = [_one_run(url, operations) for _ in range(runs)]
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE "{sa.make_url(url).database}" WITH (FORCE)'))
        admin.dispose()
        results.append(_figures("PostgreSQL 15 (local)", per_run))
    return results


def _figures(backend: str, per_run: list[tuple[float, float, float]]) -> Figures:
    return Figures(backend, *(statistics.median(r[i] for r in per_run) for i in range(3)))


def table(figures: list[Figures], runs: int, operations: int) -> list[str]:
    """Markdown lines for docs/PERFORMANCE.md."""
    lines = [
        f"Each run records {operations} lesson completions (completion row, Karma Points "
        "ledger row, and 4 outbox rows: the completion and a progress event for each of 2 "
        f"sinks), one transaction each; medians over {runs} runs of each run's p50/p95.",
        "",
        "| Database | Baseline: bare INSERT + COMMIT, p50 | Recording, p50 | Recording, p95 "
        "| Ratio | Target p50 ≤ 5 ms |",
        "|---|---|---|---|---|---|",
    ]
    for f in figures:
        met = "met" if f.record_p50 <= 5 else "**not met**"
        lines.append(
            f"| {f.backend} | {f.baseline_p50:.2f} ms | {f.record_p50:.2f} ms | "
            f"{f.record_p95:.2f} ms | {f.ratio:.1f}× | {met} |"
        )
    return lines
