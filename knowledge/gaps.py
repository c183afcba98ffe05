"""The gaps log: questions the knowledge base could not answer, for content owners.

One SQLite file under the data directory (`knowledge/gaps.sqlite3`), safe to share between
processes. It cannot grow without bound: a question is stored once per normalised text,
language and course, with how often and when it was last asked (asking again bumps the
count), and beyond `max_questions` such rows the least recently asked are dropped. `top()`
groups questions by their normalised text and sorts them by frequency. A log written by the
older one-row-per-question schema is folded into counts the first time it is opened.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

from knowledge.text import normalize

_SCHEMA = """
CREATE TABLE IF NOT EXISTS gap_counts (
    normalized TEXT NOT NULL,
    language TEXT NOT NULL DEFAULT '',
    course TEXT NOT NULL DEFAULT '',
    question TEXT NOT NULL,
    count INTEGER NOT NULL,
    first_asked REAL NOT NULL,
    last_asked REAL NOT NULL,
    confidence REAL NOT NULL DEFAULT 0,
    PRIMARY KEY (normalized, language, course)
);
CREATE INDEX IF NOT EXISTS gap_counts_last_asked ON gap_counts (last_asked);
"""
_UPSERT = """
INSERT INTO gap_counts (normalized, language, course, question, count, first_asked,
                        last_asked, confidence)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (normalized, language, course) DO UPDATE SET
    count = count + excluded.count, question = excluded.question,
    last_asked = MAX(last_asked, excluded.last_asked),
    first_asked = MIN(first_asked, excluded.first_asked),
    confidence = MAX(confidence, excluded.confidence)
"""
#: The old schema's rows, folded into counts (then its table is dropped).
_FOLD_OLD = """
SELECT normalized, language, course, MAX(question), COUNT(*), MIN(asked_at), MAX(asked_at),
       MAX(confidence)
FROM gaps GROUP BY normalized, language, course
"""
_PRUNE = """
DELETE FROM gap_counts WHERE rowid IN (
    SELECT rowid FROM gap_counts ORDER BY last_asked, count LIMIT ?
)
"""
_MAX_CHARS = 500
#: Distinct (question, language, course) rows kept: about 1 kB each at most.
MAX_QUESTIONS = 5000
_NOISE = re.compile(r"[^\w\s]|_", re.UNICODE)


@dataclass(frozen=True)
class Gap:
    """An unanswered question and how often it was asked."""

    question: str
    count: int
    languages: str
    courses: str
    last_asked: float


def normalize_question(question: str) -> str:
    """A grouping key: lowercased, punctuation and extra spaces removed."""
    text = _NOISE.sub(" ", normalize(question).casefold())
    return " ".join(text.split())[:_MAX_CHARS]


class GapLog:
    """Counts unanswered questions and lists them by frequency.

    Args:
        path: The SQLite file (created on first write).
        clock: Seconds since the epoch.
        max_questions: Distinct questions kept; the least recently asked go first.
    """

    def __init__(
        self,
        path: Path,
        clock: Callable[[], float] = time.time,
        max_questions: int = MAX_QUESTIONS,
    ) -> None:
        self.path = path
        self.clock = clock
        self.max_questions = max(1, max_questions)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(self.path, timeout=10)) as conn:
            conn.executescript(_SCHEMA)
            with conn:
                old = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'gaps'"
                if conn.execute(old).fetchone():
                    conn.executemany(_UPSERT, conn.execute(_FOLD_OLD).fetchall())
                    conn.execute("DROP TABLE gaps")
                    self._prune(conn)
                yield conn

    def _prune(self, conn: sqlite3.Connection) -> None:
        (rows,) = conn.execute("SELECT COUNT(*) FROM gap_counts").fetchone()
        if rows > self.max_questions:
            conn.execute(_PRUNE, (rows - self.max_questions,))

    def record(
        self, question: str, language: str = "", course: str = "", confidence: float = 0.0
    ) -> None:
        """Count one unanswered question (empty ones are ignored)."""
        key = normalize_question(question)
        if not key:
            return
        now = self.clock()
        text = question.strip()[:_MAX_CHARS]
        with self._connect() as conn:
            values = (key, language, course or "", text, 1, now, now, confidence)
            conn.execute(_UPSERT, values)
            self._prune(conn)

    def top(self, limit: int = 50) -> list[Gap]:
        """Unanswered questions, most frequent first (ties: most recent first)."""
        if not self.path.exists():
            return []
        # SQLite takes the bare `question` from the row with MAX(last_asked): the latest wording.
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT question, SUM(count), GROUP_CONCAT(DISTINCT language),"
                " GROUP_CONCAT(DISTINCT course), MAX(last_asked) FROM gap_counts"
                " GROUP BY normalized ORDER BY SUM(count) DESC, MAX(last_asked) DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [
            Gap(str(q), int(n), str(langs or ""), str(courses or "").strip(","), float(last))
            for q, n, langs, courses, last in rows
        ]
