"""Roster import at scale: set-based statements, short transactions, learners never locked out.

Times are measured in bench/learning/roster.py; here the import's shape is checked instead
(statements per chunk, not per row) and a learner's write during a 10,000-row import.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from learning.db import Sessions
from learning.models import EnrollmentRow, LearnerRow
from learning.repository import SqlLearnerRepository
from learning.roster import import_rows, parse
from tests.learning.roster_data import LANGUAGES, synthetic
from tests.learning.store import migrated

#: The longest a learner's own write may wait while an import runs (issue 13).
MAX_WAIT = 0.2


@pytest.fixture
def sessions(db_url: str) -> Iterator[Sessions]:
    """Sessions on a migrated, empty learner store."""
    made = migrated(db_url)
    yield made
    made.kw["bind"].dispose()


def roster(tmp_path: Path, rows: int, changed: int = 0) -> Path:
    path = tmp_path / f"roster-{rows}-{changed}.csv"
    path.write_text(synthetic(rows, changed=changed), encoding="utf-8")
    return path


def statements(sessions: Sessions, rows: int, tmp_path: Path, changed: int = 0) -> int:
    """SQL statements one import of a synthetic roster sends (executemany counts once)."""
    parsed, errors = parse(roster(tmp_path, rows, changed), LANGUAGES)
    assert errors == []
    engine = sessions.kw["bind"]
    sent = 0

    def count(*_: Any) -> None:
        nonlocal sent
        sent += 1

    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        import_rows(sessions, parsed, chunk=500)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    return sent


def test_statements_grow_with_chunks_not_rows(sessions: Sessions, tmp_path: Path) -> None:
    # 1,000 rows are 2 chunks, 4,000 are 8: about a dozen statements a chunk, not a few a row.
    small = statements(sessions, 1000, tmp_path)
    large = statements(sessions, 4000, tmp_path)  # its first 1,000 rows are updates
    assert large < 12 * 8 + 40, (small, large)
    assert large - small < 12 * 6 + 20, (small, large)
    with sessions() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(LearnerRow)) == 4000
    again = statements(sessions, 4000, tmp_path, changed=10)  # every 10th row changed
    assert again < 12 * 8 + 40
    with sessions() as session:
        moved = session.scalars(
            sa.select(EnrollmentRow.due_on).where(EnrollmentRow.course_id == "rti-for-officials")
        )
        assert sorted({d.isoformat() for d in moved}) == ["2027-03-31", "2027-04-30"]


def test_a_learner_is_not_locked_out_by_a_large_import(sessions: Sessions, tmp_path: Path) -> None:
    repo = SqlLearnerRepository(sessions)
    learner = repo.get_or_create("telegram", "424242", name="Chatting Learner")
    parsed, errors = parse(roster(tmp_path, 10_000), LANGUAGES)
    assert errors == []
    chunks: list[float] = []
    done = threading.Event()
    failure: list[BaseException] = []

    def run_import() -> None:
        try:
            report = import_rows(
                sessions, parsed, progress=lambda *_: chunks.append(time.monotonic())
            )
            assert report.created == 10_000 and not report.errors
        except BaseException as exc:  # surfaced in the test thread
            failure.append(exc)
        finally:
            done.set()

    importer = threading.Thread(target=run_import)
    importer.start()
    waits: list[tuple[float, float]] = []  # (start, seconds) of each of the learner's writes
    language = "hi"
    while not done.is_set():
        started = time.monotonic()
        repo.set_language(learner.id, language)
        waits.append((started, time.monotonic() - started))
        language = "en" if language == "hi" else "hi"
        time.sleep(0.005)
    importer.join()
    assert not failure, failure
    during = [w for start, w in waits if chunks and chunks[0] - 0.5 <= start <= chunks[-1]]
    assert len(during) >= 10, (len(chunks), len(during))
    assert max(during) <= MAX_WAIT, sorted(during)[-5:]
