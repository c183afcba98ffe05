"""Evaluation metrics on hand-made outcomes, and the shipped eval set's shape."""

from __future__ import annotations

import json
from pathlib import Path

from knowledge.evaluate import Outcome, Question, aggregate, calibrate, read_questions

EVAL_SET = Path(__file__).resolve().parents[2] / "bench/knowledge/qa.jsonl"


def outcome(rank: int | None, confidence: float, none: bool = False) -> Outcome:
    question = Question("q", "en", "?", () if none else ("x",), none)
    return Outcome(question, rank, confidence, rank == 1, rank == 1, 0.01)


def test_metrics() -> None:
    scores = aggregate(
        [outcome(1, 0.9), outcome(2, 0.9), outcome(None, 0.1), outcome(None, 0.2, True)], 0.5
    )
    assert scores.recall1 == 1 / 3 and scores.recall5 == 2 / 3
    assert abs(scores.mrr - (1 + 0.5) / 3) < 1e-9
    assert scores.answer_hit == 1 / 3 and scores.abstention == 1.0
    assert scores.false_abstention == 1 / 3


def test_calibration_separates_answerable_from_unanswerable() -> None:
    threshold, rate = calibrate([outcome(1, 0.8), outcome(1, 0.6), outcome(None, 0.3, True)])
    assert 0.3 < threshold <= 0.6 and rate == 1.0


def test_the_shipped_eval_set_is_large_and_varied() -> None:
    questions = read_questions(EVAL_SET)
    assert len(questions) >= 60
    languages = {q.lang for q in questions}
    assert {"en", "hi", "hi-Latn", "ta", "bn"} <= languages
    assert sum(q.expect_none for q in questions) >= 10
    assert len({q.id for q in questions}) == len(questions)
    for line in EVAL_SET.read_text(encoding="utf-8").splitlines():
        if line.strip():
            assert set(json.loads(line)) >= {"id", "lang", "q"}
