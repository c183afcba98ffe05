"""The gaps log: questions the knowledge base could not answer, for content owners.

One SQLite file under the data directory (`knowledge/gaps.sqlite3`), safe to share between
processes. `top()` groups questions by their normalised text and sorts them by frequency.
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
CREATE TABLE IF NOT EXISTS gaps (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    asked_at REAL NOT NULL,
    question TEXT NOT NULL,
    normalized TEXT NOT NULL,
    language TEXT NOT NULL DEFAULT '',
    course TEXT NOT NULL DEFAULT '',
    confidence REAL NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS gaps_normalized ON gaps (normalized);
"""
_MAX_STORED = 500
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
    return " ".join(text.split())[:_MAX_STORED]


class GapLog:
    """Appends unanswered questions and lists them by frequency."""

    def __init__(self, path: Path, clock: Callable[[], float] = time.time) -> None:
        """Log into the SQLite file at `path` (created on first write)."""
        self.path = path
        self.clock = clock

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(self.path, timeout=10)) as conn:
            conn.executescript(_SCHEMA)
            with conn:
                yield conn

    def record(
        self, question: str, language: str = "", course: str = "", confidence: float = 0.0
    ) -> None:
        """Log one unanswered question (empty ones are ignored)."""
        key = normalize_question(question)
        if not key:
            return
        with self._connect() as conn:
            conn.execute(
                "INSERT INTO gaps (asked_at, question, normalized, language, course, confidence)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (
                    self.clock(),
                    question.strip()[:_MAX_STORED],
                    key,
                    language,
                    course or "",
                    confidence,
                ),
            )

    def top(self, limit: int = 50) -> list[Gap]:
        """Unanswered questions, most frequent first (ties: most recent first)."""
        if not self.path.exists():
            return []
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT MAX(question), COUNT(*), GROUP_CONCAT(DISTINCT language),"
                " GROUP_CONCAT(DISTINCT course), MAX(asked_at) FROM gaps"
                " GROUP BY normalized ORDER BY COUNT(*) DESC, MAX(asked_at) DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [
            Gap(str(q), int(n), str(langs or ""), str(courses or "").strip(","), float(last))
            for q, n, langs, courses, last in rows
        ]
