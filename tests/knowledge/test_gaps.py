"""The gaps log counts each unanswered question once and never grows without bound."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from knowledge.gaps import GapLog


class Clock:
    """Seconds that move only when told."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        self.now += 1
        return self.now


def rows(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM gap_counts").fetchone()[0])


def test_a_question_asked_again_is_counted_not_stored_again(tmp_path: Path) -> None:
    path, clock = tmp_path / "gaps.sqlite3", Clock()
    log = GapLog(path, clock)
    wordings = (
        "What is the pension rule?",
        "what is the PENSION rule",
        "What is the pension rule??",
    )
    for wording in wordings:
        log.record(wording, "en", "demo")
    log.record("छुट्टी के नियम क्या हैं?", "hi")
    [pension, leave] = log.top()
    assert (pension.count, pension.question, pension.languages) == (3, wordings[-1], "en")
    assert pension.courses == "demo" and pension.last_asked == 1_003.0
    assert leave.count == 1 and leave.languages == "hi"
    assert rows(path) == 2


def test_the_log_keeps_at_most_max_questions_dropping_the_least_recently_asked(
    tmp_path: Path,
) -> None:
    path = tmp_path / "gaps.sqlite3"
    log = GapLog(path, Clock(), max_questions=3)
    for question in ("alpha rules", "beta rules", "gamma rules"):
        log.record(question)
    log.record("alpha rules")  # asked again: now the most recent
    log.record("delta rules")
    assert rows(path) == 3
    assert {g.question for g in log.top()} == {"alpha rules", "gamma rules", "delta rules"}
    for n in range(200):
        log.record(f"question number {n}")
    assert rows(path) == 3
    assert [g.question for g in log.top()] == [f"question number {n}" for n in (199, 198, 197)]


def test_a_log_in_the_old_one_row_per_question_schema_is_folded_into_counts(
    tmp_path: Path,
) -> None:
    path = tmp_path / "gaps.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE TABLE gaps (id INTEGER PRIMARY KEY AUTOINCREMENT, asked_at REAL NOT NULL,"
            " question TEXT NOT NULL, normalized TEXT NOT NULL, language TEXT NOT NULL"
            " DEFAULT '', course TEXT NOT NULL DEFAULT '', confidence REAL NOT NULL DEFAULT 0)"
        )
        old = [(10.0, "Leave rules?", "leave rules", "en")] * 4 + [(20.0, "RTI?", "rti", "en")]
        conn.executemany(
            "INSERT INTO gaps (asked_at, question, normalized, language) VALUES (?, ?, ?, ?)", old
        )
    conn.close()
    log = GapLog(path, Clock())
    log.record("leave rules", "en")
    top = log.top()
    assert [(g.question, g.count) for g in top] == [("leave rules", 5), ("RTI?", 1)]
    with sqlite3.connect(path) as conn:
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
    conn.close()
    assert "gaps" not in tables and rows(path) == 2


def test_empty_questions_are_ignored_and_a_missing_log_is_empty(tmp_path: Path) -> None:
    log = GapLog(tmp_path / "none" / "gaps.sqlite3")
    assert log.top() == []
    log.record("  ?!  ")
    assert log.top() == []
